/**
 * Publisher role: one raw connection that writes a prebuilt batch of PUB frames as fast as
 * the socket takes them, then PING, and reports when the PONG came back: by then the server
 * has processed every PUB, so start→PONG is the broker's publish throughput.
 *
 *   node --import tsx bench/load/publisher.ts '{"port":4222,"subject":"bench.x","size":16,"count":100000}'
 */
import { buildPubBatch } from "./frames.ts";
import { cpuSeconds, nowNs, numberField, readConfig, report, runRole, stringField } from "./messages.ts";
import { drained, RawConnection } from "./raw-connection.ts";

/** About 64 KiB per write: large enough to be cheap, small enough to let PONGs interleave. */
const TARGET_SLICE = 64 * 1024;

runRole(async () => {
  const config = readConfig();
  const port = numberField(config, "port");
  const subject = stringField(config, "subject");
  const size = numberField(config, "size");
  const count = numberField(config, "count");

  let failure: string | undefined;
  const conn = await RawConnection.open(port, "bench-publisher", {
    onMsg: () => {},
    onMsgRead: () => {},
    onFailure: (message) => {
      failure ??= message;
      report({ type: "error", message: `publisher: ${message}` });
    },
  });
  const batch = buildPubBatch(subject, size, count);
  // Frame-aligned slices: a PONG answering a server PING may go out between two slices.
  const slice = Math.max(1, Math.floor(TARGET_SLICE / batch.frameLength)) * batch.frameLength;
  const { buffer } = batch;
  const socket = conn.socket;

  const cpuStart = cpuSeconds();
  const startNs = nowNs();
  for (let off = 0; off < buffer.length; off += slice) {
    if (failure !== undefined) throw new Error(failure);
    if (!socket.write(buffer.subarray(off, Math.min(off + slice, buffer.length)))) await drained(socket);
  }
  const lastWriteNs = nowNs();
  await conn.pingUnbounded();
  const pongNs = nowNs();
  const cpuSec = cpuSeconds() - cpuStart;
  if (failure !== undefined) throw new Error(failure);
  report({ type: "published", count, bytes: buffer.length, startNs, lastWriteNs, pongNs, cpuSec });
  conn.close();
  process.disconnect?.();
});

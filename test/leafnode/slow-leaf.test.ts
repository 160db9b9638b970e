/**
 * A leaf peer that does not keep up is a slow consumer like any client (client.go
 * markConnAsSlow, for every kind): cut by `max_pending` or `write_deadline`, counted in
 * `/varz` `slow_consumers`, reported by the `slow-consumer` event, and the host's memory
 * stays bounded while it lasts. The peer is a raw socket on 127.0.0.1 that completes the leaf
 * handshake as a spoke, announces interest, then stops reading (or reads a trickle).
 */
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { CloseReason } from "../../src/core/close-reason.ts";
import { gc } from "../hardening/gc.ts";
import { getJson, startMonitored, type MonitoredServer } from "../monitor/monitor-helpers.ts";
import { eventually, sleep } from "./helpers.ts";

const SLOW_REASONS: readonly string[] = [CloseReason.SlowConsumerPendingBytes, CloseReason.SlowConsumerWriteDeadline];

interface Watch {
  /** `leafnode:close` reasons. */
  readonly closes: string[];
  /** `slow-consumer` events: transport and reason. */
  readonly slow: { transport: string; name: string; reason: string }[];
}

function watch(server: MonitoredServer): Watch {
  const w: Watch = { closes: [], slow: [] };
  server.on("leafnode:close", (_link, reason) => void w.closes.push(reason));
  server.on("slow-consumer", (info, reason) => void w.slow.push({ transport: info.transport, name: info.name, reason }));
  return w;
}

/**
 * A spoke over a raw socket: reads our INFO, sends CONNECT, interest in `subject` and a PING,
 * and resolves once the PONG says the hub took it all. It reads nothing after that.
 */
async function stalledSpoke(t: TestContext, port: number, subject: string): Promise<Socket> {
  const socket = netConnect(port, "127.0.0.1");
  t.after(() => socket.destroy());
  socket.on("error", () => {});
  let text = "";
  const onData = (chunk: Buffer): void => void (text += chunk.toString("latin1"));
  socket.on("data", onData);
  await eventually(() => text.startsWith("INFO ") && text.includes("\r\n"), "the hub's INFO");
  socket.write(`CONNECT {"server_id":"SLOWSPOKE","name":"slow-spoke","headers":true}\r\nLS+ ${subject}\r\nPING\r\n`);
  await eventually(() => text.includes("PONG\r\n"), "the hub's PONG");
  socket.off("data", onData);
  socket.pause();
  return socket;
}

/** RSS after a full collection, in bytes. */
function settledRss(): number {
  gc();
  return process.memoryUsage().rss;
}

describe("a slow leaf peer", () => {
  it("that stops reading is cut at max_pending, counted and reported, and memory stays bounded", async (t) => {
    const maxPending = 1024 * 1024;
    const server = await startMonitored(t, { maxPending, leafnodes: { port: 0, host: "127.0.0.1" } });
    const w = watch(server);
    await stalledSpoke(t, server.leafNodePort!, "firehose");
    await eventually(() => server.leafNodes.length === 1, "the link up");
    const payload = Buffer.alloc(1024, 0x78); // copied into the outbound slabs, not referenced
    const rssBefore = settledRss();
    const started = performance.now();
    let cutAt = 0;
    let published = 0;
    // 64 MB offered in all, far past max_pending and the kernel's socket buffers; bounded in
    // count, and each batch lets the event loop write and notice.
    for (let batch = 0; batch < 1024; batch++) {
      for (let i = 0; i < 64; i++) server.publish("firehose", payload);
      published += 64 * payload.length;
      await new Promise((r) => setImmediate(r));
      if (cutAt === 0 && w.closes.length > 0) cutAt = performance.now();
    }
    await eventually(() => w.closes.length === 1, "the link cut", 10_000);
    if (cutAt === 0) cutAt = performance.now();
    const rssGrowth = settledRss() - rssBefore;
    t.diagnostic(`cut after ${(cutAt - started).toFixed(0)} ms; ${(published / 2 ** 20).toFixed(0)} MB offered; RSS growth ${(rssGrowth / 2 ** 20).toFixed(1)} MB`);

    assert.deepEqual(w.closes, [CloseReason.SlowConsumerPendingBytes]);
    assert.deepEqual(w.slow, [{ transport: "leafnode", name: "slow-spoke", reason: CloseReason.SlowConsumerPendingBytes }]);
    assert.equal(server.stats.slowConsumers, 1);
    const varz = await getJson<{ slow_consumers: number }>(server.monitorPort, "/varz");
    assert.equal(varz.slow_consumers, 1);
    assert.equal(server.leafNodes.length, 0);
    // What was queued for the peer went with it: growth stays within max_pending plus a
    // margin for the heap's own noise, far below what was offered.
    assert.ok(rssGrowth < maxPending + 32 * 2 ** 20, `RSS grew ${rssGrowth} bytes`);
    // The cut peer's interest is gone: nothing is queued for it any more.
    assert.equal(server.publish("firehose", payload), false);
  });

  it("that reads a trickle is cut by the write deadline or max_pending, counted and reported", async (t) => {
    const server = await startMonitored(t, { maxPending: 8 * 1024 * 1024, writeDeadline: 300, leafnodes: { port: 0, host: "127.0.0.1" } });
    const w = watch(server);
    const socket = await stalledSpoke(t, server.leafNodePort!, "drip");
    await eventually(() => server.leafNodes.length === 1, "the link up");
    // The peer reads 1 KB every 20 ms (50 KB/s) while 4 MB/s is offered to it.
    let read = 0;
    const trickle = setInterval(() => {
      const chunk = socket.read(1024) as Buffer | null;
      if (chunk !== null) read += chunk.length;
    }, 20);
    t.after(() => clearInterval(trickle));
    const payload = Buffer.alloc(4096, 0x79);
    const started = performance.now();
    let cutAt = 0;
    for (let tick = 0; tick < 1000 && w.closes.length === 0; tick++) {
      for (let i = 0; i < 10; i++) server.publish("drip", payload);
      await sleep(10);
    }
    cutAt = performance.now();
    clearInterval(trickle);
    await eventually(() => w.closes.length === 1, "the link cut", 10_000);
    t.diagnostic(`cut after ${(cutAt - started).toFixed(0)} ms (${w.closes[0]}); the peer had read ${(read / 1024).toFixed(0)} KB`);

    assert.ok(read > 0, "the peer did read");
    assert.equal(w.closes.length, 1);
    assert.ok(SLOW_REASONS.includes(w.closes[0]!), `cut as ${w.closes[0]}`);
    assert.deepEqual(w.slow, [{ transport: "leafnode", name: "slow-spoke", reason: w.closes[0]! }]);
    assert.equal(server.stats.slowConsumers, 1);
    const varz = await getJson<{ slow_consumers: number }>(server.monitorPort, "/varz");
    assert.equal(varz.slow_consumers, 1);
    // Well within the 10 s the loop allows: the deadline (300 ms) once the kernel buffers are full.
    assert.ok(cutAt - started < 8000, `cut after ${cutAt - started} ms`);
  });
});

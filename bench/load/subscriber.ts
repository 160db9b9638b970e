/**
 * Subscriber role: N raw connections in one process (one per fan-out member or queue-group
 * member; one process keeps the 2-core box from drowning in load processes). Counts MSG frames
 * and checks the sequence numbers: plain subscriptions must see 0..count-1 in order; a queue
 * group must see every number exactly once across its members. Reports "ready" once every
 * SUB is confirmed, and "received" once the expected total has arrived.
 *
 *   node --import tsx bench/load/subscriber.ts '{"port":4222,"subject":"bench.x","connections":1,"count":100000}'
 */
import type { ConnectionTally, ReceivedReport } from "./messages.ts";
import { cpuSeconds, isWorkerCommand, nowNs, numberField, optionalStringField, readConfig, report, runRole, stringField } from "./messages.ts";
import { subFrame } from "./frames.ts";
import { RawConnection } from "./raw-connection.ts";

/** Extra messages after the expected total would be duplicates; wait this long to catch them. */
const GRACE_MS = 100;

runRole(async () => {
  const config = readConfig();
  const port = numberField(config, "port");
  const subject = stringField(config, "subject");
  const connections = numberField(config, "connections");
  /** Messages the publisher sends. */
  const count = numberField(config, "count");
  const queue = optionalStringField(config, "queue");

  // Plain subscriptions each get every message; a queue group shares them.
  const expectedTotal = queue === undefined ? count * connections : count;
  const seen = queue === undefined ? undefined : new Uint8Array(count);
  let duplicates = 0;
  let total = 0;
  let completed = false;
  const tallies: ConnectionTally[] = [];
  let cpuAtReady = 0;
  let cpuAtComplete: number | undefined;

  const tallyReport = (complete: boolean): ReceivedReport => {
    let missing = 0;
    if (seen !== undefined) for (let i = 0; i < seen.length; i++) if (seen[i] === 0) missing++;
    const cpuSec = (cpuAtComplete ?? cpuSeconds()) - cpuAtReady;
    return { type: "received", complete, connections: tallies.map((t) => ({ ...t })), duplicates, missing, cpuSec };
  };

  const conns: RawConnection[] = [];
  for (let c = 0; c < connections; c++) {
    const tally: ConnectionTally = { count: 0, firstNs: 0, lastNs: 0, outOfOrder: 0 };
    tallies.push(tally);
    let next = 0;
    const onMsg = seen === undefined
      ? (seq: number): void => {
          // One publisher, one subscription: NATS delivers in publish order, so anything else is a bug.
          if (seq !== next) tally.outOfOrder++;
          next = seq + 1;
          tally.count++;
          total++;
        }
      : (seq: number): void => {
          if (seq < 0 || seq >= count || seen[seq] !== 0) duplicates++;
          else seen[seq] = 1;
          tally.count++;
          total++;
        };
    const conn = await RawConnection.open(port, `bench-subscriber-${c}`, {
      onMsg,
      onMsgRead: () => {
        // One clock read per socket read, not per message: reads carry thousands of frames.
        const now = nowNs();
        if (tally.firstNs === 0) tally.firstNs = now;
        tally.lastNs = now;
        if (!completed && total >= expectedTotal) {
          completed = true;
          cpuAtComplete = cpuSeconds();
          setTimeout(() => report(tallyReport(true)), GRACE_MS);
        }
      },
      onFailure: (message) => report({ type: "error", message: `subscriber connection ${c}: ${message} (after ${tally.count} messages)` }),
    });
    conn.socket.write(subFrame(subject, queue, 1));
    await conn.ping();
    conns.push(conn);
  }

  process.on("message", (msg: unknown) => {
    if (!isWorkerCommand(msg)) return;
    if (msg.type === "report") report(tallyReport(false));
    if (msg.type === "stop") {
      for (const conn of conns) conn.close();
      process.exit(0);
    }
  });
  cpuAtReady = cpuSeconds();
  report({ type: "ready" });
});

/**
 * The durability promise, tested the hard way: the CLI with file storage takes a storm of
 * publishes with acks, is killed with SIGKILL in the middle of it, and restarts on the same
 * directory. Every sequence whose PubAck reached the client must be there, with its data.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { ready, startCli, tempDir } from "../cli/cli-process.ts";

/** Publishes in flight at once during the storm. */
const WINDOW = 64;
/** Acks to collect before the kill; the storm goes on while the kill lands. */
const ACKS_BEFORE_KILL = 400;

describe("crash: kill -9 during a publish storm", () => {
  it("keeps every acknowledged message", async (t) => {
    const storeDir = tempDir(t);
    const first = startCli(t, ["-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", "-1"]);
    const port = await ready(first);
    const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "CRASH", subjects: ["crash.>"], storage: StorageType.File });
    const js = jetstream(nc, { timeout: 5000 });

    const acked = new Map<number, string>();
    let next = 0;
    let killed = false;
    let killing: Promise<number | null> | undefined;
    const worker = async (): Promise<void> => {
      while (!killed) {
        const body = `message ${next++} ${"x".repeat(next % 200)}`;
        try {
          const ack = await js.publish(`crash.${next % 7}`, body);
          acked.set(ack.seq, body);
          if (acked.size >= ACKS_BEFORE_KILL && killing === undefined) {
            killed = true;
            killing = first.stop("SIGKILL");
          }
        } catch {
          // Publishes in flight when the process dies fail: they were never acknowledged.
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, () => worker()));
    await killing;
    await nc.close().catch(() => undefined);
    assert.ok(acked.size >= ACKS_BEFORE_KILL, `acked ${acked.size}`);

    const second = startCli(t, ["-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", "-1"]);
    const port2 = await ready(second);
    const nc2 = await connect({ servers: `127.0.0.1:${port2}`, reconnect: false });
    t.after(async () => {
      await nc2.close().catch(() => undefined);
      await second.stop();
    });
    const jsm2 = await jetstreamManager(nc2);
    const info = await jsm2.streams.info("CRASH");
    const highest = Math.max(...acked.keys());
    assert.ok(info.state.last_seq >= highest, `last_seq ${info.state.last_seq} < highest acked ${highest}`);
    const missing: number[] = [];
    for (const [seq, body] of acked) {
      const msg = await jsm2.streams.getMessage("CRASH", { seq });
      if (msg === null || msg.string() !== body) missing.push(seq);
    }
    assert.deepEqual(missing, [], `${missing.length} of ${acked.size} acknowledged messages lost or changed`);
    // And the stream takes new messages after the last one.
    const after = await jetstream(nc2).publish("crash.after", "after the crash");
    assert.equal(after.seq, info.state.last_seq + 1);
  });
});

/**
 * KV with time and restarts: values expire through the bucket's ttl (the stream's max_age), a
 * file bucket comes back after the broker restarts, and a watcher connected over TCP carries on
 * across the restart (the client reconnects and recreates its ordered consumer).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { createServer } from "../../src/index.ts";
import { collect, drain, startKvBroker, onCleanup, tempDir, TARGETS } from "./kv-helpers.ts";

for (const target of TARGETS) {
  describe(`KV ttl (${target})`, () => {
    it("values expire after the bucket's ttl (max_age)", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("ttl", { ttl: 400, history: 2, storage: StorageType.Memory });
      const status = await kv.status();
      assert.equal(status.ttl, 400);
      const jsm = await jetstreamManager(nc);
      assert.equal((await jsm.streams.info("KV_ttl")).config.max_age, 400_000_000);
      await kv.put("short", "1");
      assert.equal((await kv.get("short"))?.string(), "1");
      const deadline = Date.now() + 5000;
      while ((await kv.get("short")) !== null) {
        assert.ok(Date.now() < deadline, "the value did not expire within 5 s");
        await sleep(50);
      }
      assert.equal((await kv.status()).values, 0);
      assert.deepEqual(await drain(await kv.keys()), []);
      // A fresh value lives again for the ttl.
      await kv.put("short", "2");
      assert.equal((await kv.get("short"))?.string(), "2");
    });
  });
}

describe("KV across a broker restart (file storage)", () => {
  it("keeps values, history and revisions", async (t) => {
    const storeDir = tempDir(t);
    const first = createServer({ jetstream: { storeDir } });
    await first.listen();
    const nc1 = await first.connect();
    const kv1 = await new Kvm(nc1).create("cfg", { history: 3 });
    for (let i = 1; i <= 4; i++) await kv1.put("a", `${i}`);
    await kv1.put("b", "x");
    await kv1.delete("b");
    await nc1.close();
    await first.close();

    const second = createServer({ jetstream: { storeDir } });
    await second.listen();
    const nc2 = await second.connect();
    onCleanup(t, async () => {
      await nc2.close();
      await second.close();
    });
    const kv2 = await new Kvm(nc2).open("cfg");
    assert.equal((await kv2.get("a"))?.string(), "4");
    assert.equal((await kv2.get("a"))?.revision, 4);
    assert.equal((await kv2.get("b"))?.operation, "DEL");
    assert.deepEqual((await drain(await kv2.history({ key: "a" }))).map((e) => e.string()), ["2", "3", "4"]);
    assert.equal(await kv2.put("a", "5"), 7, "revisions carry on from the stored sequence");
    // The per-key limit still holds after the restart.
    assert.deepEqual((await drain(await kv2.history({ key: "a" }))).map((e) => e.string()), ["3", "4", "5"]);
  });

  it("values that expired while the broker was down are gone after the restart", async (t) => {
    const storeDir = tempDir(t);
    const first = createServer({ jetstream: { storeDir } });
    await first.listen();
    const nc1 = await first.connect();
    const kv1 = await new Kvm(nc1).create("ttl", { ttl: 300 });
    await kv1.put("short", "1");
    await nc1.close();
    await first.close();
    await sleep(600);

    const second = createServer({ jetstream: { storeDir } });
    await second.listen();
    const nc2 = await second.connect();
    onCleanup(t, async () => {
      await nc2.close();
      await second.close();
    });
    const kv2 = await new Kvm(nc2).open("ttl");
    assert.equal(await kv2.get("short"), null);
    assert.equal((await kv2.status()).values, 0);
  });

  // The watcher's consumer (ephemeral, not mem_storage) is kept with the file stream, as
  // nats-server keeps it, so updates flow as soon as the client has reconnected; without it
  // the client would notice only after two missed 30 s heartbeats.
  it("a TCP watcher resumes after the broker restarts on the same port", async (t) => {
    const storeDir = tempDir(t);
    const first = createServer({ host: "127.0.0.1", port: 0, jetstream: { storeDir } });
    await first.listen();
    const port = first.port;
    assert.ok(port !== undefined && port > 0);
    const watcherNc = await connect({ servers: `127.0.0.1:${port}`, reconnect: true, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    let second: ReturnType<typeof createServer> | undefined;
    onCleanup(t, async () => {
      await watcherNc.close().catch(() => undefined);
      await first.close();
      await second?.close();
    });
    const kv = await new Kvm(watcherNc).create("cfg");
    await kv.put("a", "1");
    const watch = await kv.watch();
    onCleanup(t, () => watch.stop());
    const seen = collect(watch);
    await seen.until(1);
    await kv.put("a", "2");
    await seen.until(2);

    await first.close();
    second = createServer({ host: "127.0.0.1", port, jetstream: { storeDir } });
    await second.listen();
    // A writer on the new broker; the watcher's client reconnects by itself.
    const writer = await second.connect();
    onCleanup(t, () => writer.close());
    const kvw = await new Kvm(writer).open("cfg");
    assert.equal((await kvw.get("a"))?.string(), "2");
    await kvw.put("a", "3");
    await kvw.put("b", "1");
    const all = await seen.until(4, 10_000);
    assert.deepEqual(all.map((e) => `${e.key}=${e.string()}@${e.revision}`), ["a=1@1", "a=2@2", "a=3@3", "b=1@4"]);
  });
});

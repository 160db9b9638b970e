/**
 * KV key TTLs and limit markers through the unchanged @nats-io/kv client (nats-server 2.11):
 * `kvm.create(bucket, { markerTTL })` sets `allow_msg_ttl` and `subject_delete_marker_ttl`,
 * `kv.create(key, value, ttl)` and `kv.purge(key, { ttl })` send `Nats-TTL`, and a key whose
 * value ages out leaves a `Nats-Marker-Reason: MaxAge` marker that `get` and watchers read as a
 * purge. The scenarios follow nats.js kv/tests (`kv - create ttl`, `kv - watcher ttl`...).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Empty } from "@nats-io/nats-core";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { Kvm, type KvEntry } from "@nats-io/kv";
import { collect, startKvBroker, TARGETS } from "./kv-helpers.ts";

/** The stored message behind an entry: nats.js keeps it as `sm`, which its own tests read. */
function header(entry: KvEntry | null, name: string): string | undefined {
  const sm = (entry as unknown as { sm?: { header?: { get(k: string): string } } } | null)?.sm;
  return sm?.header?.get(name);
}

for (const target of TARGETS) {
  describe(`KV TTL (${target})`, () => {
    it("a bucket with markerTTL: the stream config and status", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kvm = new Kvm(nc);
      const kv = await kvm.create("A", { markerTTL: 2000 });
      assert.equal((await kv.status()).markerTTL, 2000);
      const si = await (await jetstreamManager(nc)).streams.info("KV_A");
      assert.equal(si.config.allow_msg_ttl, true);
      assert.equal(si.config.subject_delete_marker_ttl, 2_000_000_000);
      assert.equal((await (await kvm.create("B")).status()).markerTTL, 0);
    });

    it("create with a TTL keeps it on the entry; create again after a delete", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("A", { markerTTL: 2000, history: 3 });
      assert.equal(await kv.create("a", "hello", "2s"), 1);
      let e = await kv.get("a");
      assert.equal(header(e, "Nats-TTL"), "2s");
      await kv.delete("a");
      e = await kv.get("a");
      assert.equal(e?.operation, "DEL");
      assert.equal(e?.revision, 2);
      // create() falls back to an expected-revision put over the delete.
      assert.equal(await kv.create("a", "abc", "4s"), 3);
      e = await kv.get("a");
      assert.equal(header(e, "Nats-TTL"), "4s");
      assert.equal(e?.string(), "abc");
    });

    it("a key created with a TTL goes away, and get() then sees the marker as a purge", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("A", { markerTTL: 2000, history: 3 });
      await kv.create("gone", "v", "1s");
      await kv.put("stays", "v");
      const start = Date.now();
      let e: KvEntry | null = null;
      for (;;) {
        e = await kv.get("gone");
        if (e?.operation !== "PUT" || Date.now() - start > 5000) break;
        await sleep(100);
      }
      assert.equal(e?.operation, "PURGE");
      assert.equal(header(e, "Nats-Marker-Reason"), "MaxAge");
      assert.equal(e?.length, 0);
      assert.ok(Date.now() - start >= 900, "not before its TTL");
      assert.equal((await kv.get("stays"))?.string(), "v");
      // keys() of @nats-io/kv 3.4 drops a key only on its `KV-Operation` header, so a MaxAge
      // marker still lists it, against nats-server as here.
      const keys = [];
      for await (const k of await kv.keys()) keys.push(k);
      assert.deepEqual(keys.sort(), ["gone", "stays"]);
    });

    it("purge with a TTL: the purge marker expires and the key is gone for good", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("A", { markerTTL: 1000 });
      await kv.create("a", Empty, "2s");
      await kv.delete("a");
      assert.equal((await kv.get("a"))?.operation, "DEL");
      await kv.purge("a", { ttl: "1s" });
      assert.equal((await kv.get("a"))?.operation, "PURGE");
      assert.equal(header(await kv.get("a"), "Nats-TTL"), "1s");
      const start = Date.now();
      while ((await kv.get("a")) !== null && Date.now() - start < 5000) await sleep(100);
      assert.equal(await kv.get("a"), null);
      // A purge marker expiring places no marker of its own.
      await sleep(300);
      const si = await (await jetstreamManager(nc)).streams.info("KV_A");
      assert.deepEqual([si.state.messages, si.state.last_seq], [0, 3]);
    });

    it("a watcher sees a value aged out by the bucket ttl as a PURGE", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("A", { markerTTL: 2000, history: 3, ttl: 1000, storage: StorageType.Memory });
      const watch = collect(await kv.watch());
      await kv.put("k", "v");
      const seen = await watch.until(2, 5000);
      assert.deepEqual(
        seen.map((e) => [e.key, e.operation, e.revision]),
        [
          ["k", "PUT", 1],
          ["k", "PURGE", 2],
        ],
      );
    });

    it("a TTL on a bucket without markerTTL is refused (10166)", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("A");
      await assert.rejects(kv.create("a", "v", "5s"), /per-message TTL is disabled/);
      await assert.rejects(kv.purge("a", { ttl: "5s" }), /per-message TTL is disabled/);
      assert.equal(await kv.get("a"), null);
    });
  });
}

/**
 * The KV client's less travelled paths: buckets without direct gets (STREAM.MSG.GET), purging
 * old delete markers, a full bucket under discard new, large snapshots for watch and keys, and
 * 2.10 bucket options (compression, metadata) on our broker.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { JetStreamApiError, jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { Bucket } from "@nats-io/kv/internal";
import { createServer } from "../../src/index.ts";
import { collect, drain, onCleanup, startKvBroker, tempDir, TARGETS } from "./kv-helpers.ts";

for (const target of TARGETS) {
  describe(`KV, less travelled paths (${target})`, () => {
    it("a bucket without allow_direct reads through STREAM.MSG.GET", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("nodirect", { allow_direct: false, history: 2, storage: StorageType.Memory });
      const jsm = await jetstreamManager(nc);
      assert.equal((await jsm.streams.info("KV_nodirect")).config.allow_direct, false);
      await kv.put("a", "1");
      await kv.put("a", "2");
      const e = await kv.get("a");
      assert.equal(e?.string(), "2");
      assert.equal(e?.revision, 2);
      assert.equal((await kv.get("a", { revision: 1 }))?.string(), "1");
      assert.equal(await kv.get("missing"), null);
      await kv.delete("a");
      assert.equal((await kv.get("a"))?.operation, "DEL");
    });

    it("purgeDeletes removes old markers and keeps recent ones", async (t) => {
      const { nc } = await startKvBroker(t, target);
      // purgeDeletes is on the implementation (Bucket), not on the KV type
      const kv = (await new Kvm(nc).create("markers", { history: 5, storage: StorageType.Memory })) as Bucket;
      await kv.put("a", "1");
      await kv.put("b", "1");
      await kv.put("c", "1");
      await kv.delete("a");
      await kv.purge("b");
      // Everything is younger than 30 minutes: markers stay, the history before them goes.
      const kept = await kv.purgeDeletes();
      assert.equal(kept.purged, 1, "a's old value goes, its marker stays");
      assert.deepEqual((await drain(await kv.history())).map((e) => `${e.key}:${e.operation}`), ["c:PUT", "a:DEL", "b:PURGE"]);
      // With a negative age every marker counts as old and goes too.
      const gone = await kv.purgeDeletes(-1000);
      assert.equal(gone.purged, 2);
      assert.deepEqual((await drain(await kv.history())).map((e) => e.key), ["c"]);
      assert.equal(await kv.get("a"), null);
    });

    // nats-server 2.9.10 checks discard new against the payload and headers only, then stores
    // the whole record and drops old messages, so it never refuses here; later releases (and
    // we) count the record as stored (/tmp/kv-gaps.md #4).
    it("a full bucket refuses new values (discard new)", { skip: target === "nats-server" && "2.9.10 drops old values instead" }, async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("full", { max_bytes: 400, storage: StorageType.Memory });
      let refused: unknown;
      for (let i = 0; i < 50 && refused === undefined; i++) await kv.put(`k${i}`, "0123456789").catch((e: unknown) => (refused = e));
      assert.ok(refused instanceof JetStreamApiError, "a put was refused");
      assert.equal(refused.code, 10077);
      assert.match(refused.message, /maximum bytes exceeded/);
      assert.ok((await kv.status()).size <= 400);
      assert.equal((await kv.get("k0"))?.string(), "0123456789");
    });

    it("watch and keys over 3000 keys: the whole snapshot, then updates", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("many", { storage: StorageType.Memory });
      const value = new Uint8Array(512).fill(1);
      for (let i = 0; i < 3000; i += 250) await Promise.all(Array.from({ length: 250 }, (_, j) => kv.put(`k.${i + j}`, value)));
      const keys = await drain(await kv.keys());
      assert.equal(keys.length, 3000);
      assert.equal(new Set(keys).size, 3000);
      const watch = await kv.watch();
      onCleanup(t, () => watch.stop());
      const seen = collect(watch);
      await seen.until(3000, 20_000);
      await kv.put("k.0", "changed");
      const all = await seen.until(3001);
      assert.equal(all.at(-1)?.string(), "changed");
      assert.equal(all.at(-1)?.isUpdate, true);
    });

    it("headers_only history lists revisions without values", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("h", { history: 4, storage: StorageType.Memory });
      for (let i = 1; i <= 3; i++) await kv.put("a", `value ${i}`);
      const entries = await drain(await kv.history({ key: "a", headers_only: true } as Parameters<typeof kv.history>[0]));
      assert.deepEqual(entries.map((e) => [e.revision, e.value.length]), [[1, 0], [2, 0], [3, 0]]);
    });

    if (target !== "nats-server") {
      it("2.10 bucket options: compression and metadata", async (t) => {
        const { nc } = await startKvBroker(t, target);
        const kv = await new Kvm(nc).create("opts", { compression: true, metadata: { team: "platform" }, storage: StorageType.File });
        const status = await kv.status();
        assert.equal(status.compression, true);
        assert.equal(status.metadata?.["team"], "platform");
        await kv.put("a", "1");
        assert.equal((await kv.get("a"))?.string(), "1");
      });
    }
  });
}

for (const target of TARGETS) {
  describe(`KV bucket lifecycle edges (${target})`, () => {
    it("create on an existing bucket opens it as it is, whatever the options", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kvm = new Kvm(nc);
      const first = await kvm.create("life", { history: 2, storage: StorageType.Memory });
      await first.put("a", "1");
      // The client asks STREAM.INFO first and only creates a missing stream.
      const again = await kvm.create("life", { history: 7, storage: StorageType.Memory });
      assert.equal((await again.get("a"))?.string(), "1");
      assert.equal((await again.status()).history, 2);
    });

    it("concurrent creates and updates of one key: exactly one wins each round", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("race", { history: 10, storage: StorageType.Memory });
      const created = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => kv.create("lock", `owner-${i}`)));
      assert.equal(created.filter((r) => r.status === "fulfilled").length, 1, "one create wins");
      const lock = await kv.get("lock");
      assert.ok(lock !== null);
      const updated = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => kv.update("lock", `next-${i}`, lock.revision)));
      assert.equal(updated.filter((r) => r.status === "fulfilled").length, 1, "one update wins");
      const losers = updated.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      assert.ok(losers.every((r) => r.reason instanceof JetStreamApiError && r.reason.code === 10071));
    });

    it("a watcher ends when its bucket is destroyed", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("doomed", { storage: StorageType.Memory });
      await kv.put("a", "1");
      const watch = await kv.watch();
      onCleanup(t, () => watch.stop());
      const seen = collect(watch);
      await seen.until(1);
      await kv.destroy();
      const jsm = await jetstreamManager(nc);
      assert.deepEqual(await jsm.streams.names().next(), []);
      assert.equal(seen.items.length, 1);
    });
  });
}

describe("KV through a JetStream domain", () => {
  // The client writes on $JS.<domain>.API.$KV.<bucket>.<key>, which nats-server maps to
  // $KV.<bucket>.<key> (src/jetstream/api/domain-mappings.ts).
  it("a client bound to the domain puts, gets and watches", async (t) => {
    const server = createServer({ jetstream: { storeDir: tempDir(t), domain: "edge" } });
    await server.listen();
    const nc = await server.connect();
    onCleanup(t, async () => {
      await nc.close();
      await server.close();
    });
    const kv = await new Kvm(jetstream(nc, { domain: "edge" })).create("d", { storage: StorageType.Memory });
    await kv.put("a", "1");
    assert.equal((await kv.get("a"))?.string(), "1");
    const watch = await kv.watch({ key: ["a", "b"] });
    onCleanup(t, () => watch.stop());
    const seen = collect(watch);
    await kv.put("b", "2");
    await kv.put("c", "3");
    assert.deepEqual((await seen.until(2)).map((e) => `${e.key}=${e.string()}`), ["a=1", "b=2"]);
    await kv.delete("a");
    assert.equal((await kv.get("a"))?.operation, "DEL");
    // A plain client on the domain prefix reaches the same stream (the mapping is the server's).
    const ack = await nc.request("$JS.edge.API.$KV.d.z", "raw", { timeout: 1000 });
    assert.match(ack.string(), /"stream":"KV_d"/);
    assert.equal((await kv.get("z"))?.string(), "raw");
  });
});

for (const target of TARGETS) {
  describe(`KV at the edges of size and count (${target})`, () => {
    it("lists 300 buckets across STREAM.LIST pages", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kvm = new Kvm(nc);
      for (let i = 0; i < 300; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => kvm.create(`b${String(i + j).padStart(3, "0")}`, { storage: StorageType.Memory })));
      }
      const names = (await drain(kvm.list())).map((s) => s.bucket);
      assert.equal(names.length, 300);
      assert.equal(new Set(names).size, 300);
    });

    it("a value close to max_payload goes in and comes back", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("big", { storage: StorageType.Memory });
      const value = new Uint8Array(1024 * 1024 - 1024).fill(7);
      await kv.put("v", value);
      assert.equal((await kv.get("v"))?.length, value.length);
      await assert.rejects(kv.put("too-big", new Uint8Array(1024 * 1024 + 1)), /payload|MAX_PAYLOAD|exceeded/i);
    });

    // A start sequence past the end: nats-server 2.9/2.10 (consumer.go selectStartingSeqNo)
    // moves it back to last + 1, so the watch also gets b@2; 2.11 (nats-server#6253) and we
    // keep the start the client asked for, so every entry has revision >= 3.
    it("a watch resuming past the last revision starts where it was asked to", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("ahead", { storage: StorageType.Memory });
      await kv.put("a", "1");
      const watch = await kv.watch({ resumeFromRevision: 3 });
      onCleanup(t, () => watch.stop());
      const seen = collect(watch);
      await kv.put("b", "2");
      await kv.put("c", "3");
      const expected = target === "nats-server" ? ["b@2", "c@3"] : ["c@3"];
      assert.deepEqual((await seen.until(expected.length)).map((e) => `${e.key}@${e.revision}`), expected);
      await sleep(100);
      assert.equal(seen.items.length, expected.length);
    });

    it("keys with the characters KV allows", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("chars", { storage: StorageType.Memory });
      const keys = ["a-b_c", "A/B=C", "x.y.z", "1234", "_hidden", "semi=colon/ok"];
      for (const k of keys) await kv.put(k, k);
      for (const k of keys) assert.equal((await kv.get(k))?.string(), k);
      assert.deepEqual((await drain(await kv.keys())).sort(), [...keys].sort());
    });
  });
}

/**
 * The official KV client (`@nats-io/kv` 3.x) end to end against the embedded broker, in-process
 * and over TCP: buckets, values, revisions, deletes, history, keys. Watchers are in
 * watch.test.ts, TTL and restarts in their own files.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JetStreamApiError, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { drain, startKvBroker, TARGETS } from "./kv-helpers.ts";

for (const target of TARGETS) {
  describe(`KV buckets and values (${target})`, () => {
    it("creates a bucket as a KV_<bucket> stream, opens it, reports status, destroys it", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kvm = new Kvm(nc);
      const kv = await kvm.create("cfg", { history: 5, description: "settings" });
      const status = await kv.status();
      assert.equal(status.bucket, "cfg");
      assert.equal(status.history, 5);
      assert.equal(status.values, 0);
      assert.equal(status.description, "settings");
      assert.equal(status.storage, StorageType.File);
      assert.equal(status.ttl, 0);

      const jsm = await jetstreamManager(nc);
      const si = await jsm.streams.info("KV_cfg");
      assert.deepEqual(si.config.subjects, ["$KV.cfg.>"]);
      assert.equal(si.config.max_msgs_per_subject, 5);
      assert.equal(si.config.discard, "new");
      assert.equal(si.config.allow_direct, true);
      assert.equal(si.config.allow_rollup_hdrs, true);

      await kv.put("a", "1");
      const opened = await kvm.open("cfg");
      assert.equal((await opened.get("a"))?.string(), "1");
      assert.equal((await opened.status()).values, 1);

      const names = await drain(kvm.list());
      assert.deepEqual(names.map((s) => s.bucket), ["cfg"]);

      assert.equal(await kv.destroy(), true);
      await assert.rejects(jsm.streams.info("KV_cfg"), /stream not found/);
      assert.deepEqual(await drain(kvm.list()), []);
    });

    it("put returns the revision; get returns value, revision, operation and creation time", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { history: 5, storage: StorageType.Memory });
      const before = Date.now();
      assert.equal(await kv.put("user.name", "ada"), 1);
      assert.equal(await kv.put("user.lang", "en"), 2);
      assert.equal(await kv.put("user.name", "grace"), 3);
      const e = await kv.get("user.name");
      assert.ok(e);
      assert.equal(e.string(), "grace");
      assert.equal(e.key, "user.name");
      assert.equal(e.bucket, "cfg");
      assert.equal(e.revision, 3);
      assert.equal(e.operation, "PUT");
      assert.equal(e.length, 5);
      assert.ok(e.created.getTime() >= before - 1000 && e.created.getTime() <= Date.now() + 1000, "created is the store time");
      assert.equal(await kv.get("missing"), null);
      // An older revision by number; a revision of another key is not this key's.
      assert.equal((await kv.get("user.name", { revision: 1 }))?.string(), "ada");
      assert.equal(await kv.get("user.name", { revision: 2 }), null);
      // JSON values and binary values come back intact.
      await kv.put("json", JSON.stringify({ on: true }));
      assert.deepEqual((await kv.get("json"))?.json(), { on: true });
      const bytes = Uint8Array.from([0, 1, 2, 255, 13, 10]);
      await kv.put("bin", bytes);
      assert.deepEqual(Uint8Array.from((await kv.get("bin"))?.value ?? []), bytes);
      // An empty value is a PUT, not a delete.
      await kv.put("empty", "");
      const empty = await kv.get("empty");
      assert.equal(empty?.operation, "PUT");
      assert.equal(empty?.length, 0);
    });

    it("create refuses an existing key; update checks the revision", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { history: 10, storage: StorageType.Memory });
      const r1 = await kv.create("k", "v1");
      assert.equal(r1, 1);
      const err = await kv.create("k", "again").then(
        () => assert.fail("create of an existing key succeeded"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof JetStreamApiError);
      assert.equal(err.code, 10071);
      assert.match(err.message, /wrong last sequence: 1/);

      const r2 = await kv.update("k", "v2", r1);
      assert.equal(r2, 2);
      await assert.rejects(kv.update("k", "stale", r1), (e: unknown) => e instanceof JetStreamApiError && e.code === 10071);
      assert.equal((await kv.get("k"))?.string(), "v2");
      // Another key's writes do not move this key's revision.
      await kv.put("other", "x");
      assert.equal(await kv.update("k", "v3", r2), 4);
      // create succeeds again after a delete or a purge (the client retries on the marker).
      await kv.delete("k");
      assert.ok((await kv.create("k", "reborn")) > 0);
      await kv.purge("k");
      assert.ok((await kv.create("k", "again")) > 0);
      assert.equal((await kv.get("k"))?.string(), "again");
    });

    it("delete leaves a DEL marker, purge a PURGE marker that removes the history", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { history: 10, storage: StorageType.Memory });
      await kv.put("a", "1");
      await kv.put("a", "2");
      await kv.put("b", "1");
      await kv.delete("a");
      const deleted = await kv.get("a");
      assert.ok(deleted, "a deleted key reads as its marker");
      assert.equal(deleted.operation, "DEL");
      assert.equal(deleted.length, 0);
      assert.equal(deleted.revision, 4);
      assert.deepEqual(
        (await drain(await kv.history({ key: "a" }))).map((e) => `${e.operation}:${e.string()}`),
        ["PUT:1", "PUT:2", "DEL:"],
      );

      await kv.purge("a");
      const purged = await kv.get("a");
      assert.equal(purged?.operation, "PURGE");
      const hist = await drain(await kv.history({ key: "a" }));
      assert.deepEqual(hist.map((e) => e.operation), ["PURGE"], "the rollup keeps only the purge marker");
      assert.equal((await kv.get("b"))?.string(), "1", "other keys are untouched");
      // delete with a revision check
      await assert.rejects(kv.delete("b", { previousSeq: 99 }), (e: unknown) => e instanceof JetStreamApiError && e.code === 10071);
      await kv.delete("b", { previousSeq: 3 });
      assert.equal((await kv.get("b"))?.operation, "DEL");
    });

    it("history is per key and bounded by the bucket's history setting", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { history: 3, storage: StorageType.Memory });
      for (let i = 1; i <= 5; i++) await kv.put("a", `a${i}`);
      for (let i = 1; i <= 2; i++) await kv.put("b", `b${i}`);
      const a = await drain(await kv.history({ key: "a" }));
      assert.deepEqual(a.map((e) => e.string()), ["a3", "a4", "a5"]);
      assert.deepEqual(a.map((e) => e.revision), [3, 4, 5]);
      const all = await drain(await kv.history());
      assert.deepEqual(all.map((e) => `${e.key}=${e.string()}`), ["a=a3", "a=a4", "a=a5", "b=b1", "b=b2"]);
      assert.equal((await kv.status()).values, 5);
      // A key with nothing stored has an empty history.
      assert.deepEqual(await drain(await kv.history({ key: "none" })), []);
    });

    it("keys lists live keys, with subject filters, and skips deleted ones", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { storage: StorageType.Memory });
      for (const k of ["app.db.host", "app.db.port", "app.web.port", "feature.x", "gone"]) await kv.put(k, "v");
      await kv.put("app.db.host", "v2");
      await kv.delete("gone");
      const sorted = async (filter?: string | string[]): Promise<string[]> => (await drain(await kv.keys(filter))).sort();
      assert.deepEqual(await sorted(), ["app.db.host", "app.db.port", "app.web.port", "feature.x"]);
      assert.deepEqual(await sorted("app.db.*"), ["app.db.host", "app.db.port"]);
      assert.deepEqual(await sorted("app.>"), ["app.db.host", "app.db.port", "app.web.port"]);
      assert.deepEqual(await sorted("*.*.port"), ["app.db.port", "app.web.port"]);
      // Several filters make a consumer with filter_subjects, which the client asks only of 2.10+.
      if (target !== "nats-server") assert.deepEqual(await sorted(["feature.*", "app.web.>"]), ["app.web.port", "feature.x"]);
      assert.deepEqual(await sorted("nothing.*"), []);
    });

    it("an empty bucket has no keys and its watch-based listings end at once", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("empty", { storage: StorageType.Memory });
      assert.deepEqual(await drain(await kv.keys()), []);
      assert.deepEqual(await drain(await kv.history()), []);
    });

    it("enforces the value size and bucket size limits", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("small", { maxValueSize: 16, max_bytes: 4096, storage: StorageType.Memory });
      await kv.put("ok", "0123456789abcdef");
      await assert.rejects(kv.put("big", "0123456789abcdefX"), (e: unknown) => e instanceof JetStreamApiError && e.code === 10054);
      const status = await kv.status();
      assert.equal(status.maxValueSize, 16);
      assert.equal(status.max_bytes, 4096);
    });

    it("a bucket keeps its keys apart from another bucket's", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kvm = new Kvm(nc);
      const one = await kvm.create("one", { storage: StorageType.Memory });
      const two = await kvm.create("two", { storage: StorageType.Memory });
      await one.put("k", "1");
      await two.put("k", "2");
      assert.equal((await one.get("k"))?.string(), "1");
      assert.equal((await two.get("k"))?.string(), "2");
      assert.deepEqual((await drain(kvm.list())).map((s) => s.bucket).sort(), ["one", "two"]);
    });

    it("refuses invalid keys in the client, before the server sees them", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { storage: StorageType.Memory });
      await assert.rejects(kv.put("a b", "x"), /invalid key/);
      await assert.rejects(kv.put(".a", "x"), /invalid key/);
    });
  });
}

/**
 * KV watchers with the official client: an ordered push consumer (last_per_subject, all or new,
 * flow control, idle heartbeats, optionally headers only) that first replays what is stored and
 * then follows the live updates.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { StorageType } from "@nats-io/jetstream";
import { Kvm, type KvWatchEntry } from "@nats-io/kv";
import { collect, onCleanup, startKvBroker, TARGETS } from "./kv-helpers.ts";

const show = (e: KvWatchEntry): string => `${e.key}=${e.string()}:${e.operation}`;

for (const target of TARGETS) {
  describe(`KV watch (${target})`, () => {
    it("sends the current value of each key, then live updates, deletes and purges", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { history: 5, storage: StorageType.Memory });
      await kv.put("a", "1");
      await kv.put("b", "1");
      await kv.put("a", "2");
      const watch = await kv.watch();
      onCleanup(t, () => watch.stop());
      const seen = collect(watch);
      assert.deepEqual((await seen.until(2)).map(show), ["b=1:PUT", "a=2:PUT"]);
      // The client counts the initial values with the consumer's num_pending; it marks the last
      // of them as an update already (i >= count), with nats-server too.
      assert.equal(seen.items[0]?.isUpdate, false);
      await kv.put("c", "3");
      await kv.delete("b");
      await kv.purge("a");
      const all = await seen.until(5);
      assert.deepEqual(all.map(show), ["b=1:PUT", "a=2:PUT", "c=3:PUT", "b=:DEL", "a=:PURGE"]);
      assert.ok(all.slice(2).every((e) => e.isUpdate));
      assert.deepEqual(all.map((e) => e.revision), [2, 3, 4, 5, 6]);
    });

    it("a watch on an empty bucket gets only updates", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { storage: StorageType.Memory });
      const watch = await kv.watch();
      onCleanup(t, () => watch.stop());
      const seen = collect(watch);
      await kv.put("x", "1");
      assert.deepEqual((await seen.until(1)).map(show), ["x=1:PUT"]);
    });

    it("filters by key pattern", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { storage: StorageType.Memory });
      await kv.put("app.db", "1");
      await kv.put("other", "1");
      const watch = await kv.watch({ key: "app.*" });
      onCleanup(t, () => watch.stop());
      const seen = collect(watch);
      await seen.until(1);
      await kv.put("other", "2");
      await kv.put("app.web", "2");
      await kv.put("app.db.deep", "not matched by app.*");
      await kv.put("app.db", "3");
      assert.deepEqual((await seen.until(3)).map(show), ["app.db=1:PUT", "app.web=2:PUT", "app.db=3:PUT"]);
      await sleep(100);
      assert.equal(seen.items.length, 3, "nothing outside the filter arrives");
    });

    it("ignoreDeletes drops DEL entries (the client still passes PURGE)", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { storage: StorageType.Memory });
      await kv.put("gone", "1");
      await kv.delete("gone");
      await kv.put("kept", "1");
      const watch = await kv.watch({ ignoreDeletes: true });
      onCleanup(t, () => watch.stop());
      const seen = collect(watch);
      await seen.until(1);
      await kv.delete("kept");
      await kv.put("new", "2");
      await kv.purge("new");
      assert.deepEqual((await seen.until(3)).map(show), ["kept=1:PUT", "new=2:PUT", "new=:PURGE"]);
    });

    it("headers_only delivers entries without values", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { storage: StorageType.Memory });
      await kv.put("big", "x".repeat(1000));
      const watch = await kv.watch({ headers_only: true });
      onCleanup(t, () => watch.stop());
      const seen = collect(watch);
      await kv.put("small", "abc");
      const all = await seen.until(2);
      assert.deepEqual(all.map((e) => [e.key, e.value.length, e.operation]), [["big", 0, "PUT"], ["small", 0, "PUT"]]);
      assert.deepEqual(all.map((e) => e.length), [1000, 3], "the size comes in Nats-Msg-Size");
      assert.deepEqual(all.map((e) => e.revision), [1, 2]);
    });

    it("include history replays every stored revision, then updates", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { history: 3, storage: StorageType.Memory });
      for (let i = 1; i <= 4; i++) await kv.put("a", `${i}`);
      await kv.put("b", "1");
      const watch = await kv.watch({ include: "history" });
      onCleanup(t, () => watch.stop());
      const seen = collect(watch);
      assert.deepEqual((await seen.until(4)).map(show), ["a=2:PUT", "a=3:PUT", "a=4:PUT", "b=1:PUT"]);
      await kv.put("a", "5");
      assert.deepEqual((await seen.until(5)).map(show).at(-1), "a=5:PUT");
    });

    it("include updates skips what is stored; resumeFromRevision starts at a revision", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { history: 10, storage: StorageType.Memory });
      for (let i = 1; i <= 4; i++) await kv.put(`k${i}`, `${i}`);
      const updates = await kv.watch({ include: "updates" });
      onCleanup(t, () => updates.stop());
      const resumed = await kv.watch({ resumeFromRevision: 3 });
      onCleanup(t, () => resumed.stop());
      const seenUpdates = collect(updates);
      const seenResumed = collect(resumed);
      await seenResumed.until(2);
      await kv.put("k5", "5");
      assert.deepEqual((await seenUpdates.until(1)).map(show), ["k5=5:PUT"]);
      assert.deepEqual((await seenResumed.until(3)).map((e) => e.revision), [3, 4, 5]);
    });

    it("several watchers see the same updates; stopping one leaves the others", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("cfg", { storage: StorageType.Memory });
      const w1 = await kv.watch();
      const w2 = await kv.watch();
      onCleanup(t, () => w2.stop());
      const s1 = collect(w1);
      const s2 = collect(w2);
      await kv.put("a", "1");
      await s1.until(1);
      await s2.until(1);
      w1.stop();
      await kv.put("a", "2");
      assert.deepEqual((await s2.until(2)).map(show), ["a=1:PUT", "a=2:PUT"]);
      await sleep(100);
      assert.equal(s1.items.length, 1);
    });

    it("a watcher keeps up with a burst bigger than the flow control window", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const kv = await new Kvm(nc).create("burst", { history: 1, storage: StorageType.Memory });
      const value = new Uint8Array(32 * 1024).fill(7);
      const watch = await kv.watch();
      onCleanup(t, () => watch.stop());
      const seen = collect(watch);
      // 200 × 32 KiB = 6.4 MB: several flow control rounds from the 2 MiB starting window.
      await Promise.all(Array.from({ length: 200 }, (_, i) => kv.put(`k${i}`, value)));
      const all = await seen.until(200, 20_000);
      assert.equal(new Set(all.map((e) => e.key)).size, 200);
      assert.ok(all.every((e) => e.length === value.length));
    });
  });
}

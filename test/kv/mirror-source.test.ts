/**
 * Mirrored and sourced buckets through `@nats-io/kv` unchanged (nats.js test `kv - sourced`,
 * and a mirrored bucket on one server): the client turns the bucket options into a stream
 * `mirror` or `sources` with subject transforms.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Kvm } from "@nats-io/kv";
import { StorageType } from "@nats-io/jetstream";
import { startJetStream, TRANSPORTS } from "../jetstream/stream-helpers.ts";

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let v = await read();
  for (let i = 0; i < 100 && !ok(v); i++) {
    await sleep(50);
    v = await read();
  }
  return v;
}

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`KV mirrors and sources (${transport}, ${storage})`, () => {
      it("a sourced bucket gets the source's keys (nats.js 'kv - sourced')", async (t) => {
        const h = await startJetStream(t, transport);
        const kvm = new Kvm(h.nc);
        const source = await kvm.create("source", { storage });
        const target = await kvm.create("target", { storage, sources: [{ name: "source" }] });
        await source.put("hello", "world");
        const v = await eventually(() => target.get("hello"), (e) => e !== null);
        assert.equal(v?.string(), "world");
        assert.equal(v?.key, "hello");
        // Its own keys still work beside the sourced ones.
        await target.put("own", "1");
        const keys: string[] = [];
        for await (const k of await target.keys()) keys.push(k);
        assert.deepEqual(keys.sort(), ["hello", "own"]);
      });

      it("a mirrored bucket holds its origin's puts and deletes under the origin's subjects", async (t) => {
        // The client makes KV_MIRROR a mirror of KV_TEST with mirror_direct; the messages keep
        // their $KV.TEST.<key> subjects (meant to be read as TEST from another domain).
        const h = await startJetStream(t, transport);
        const kvm = new Kvm(h.nc);
        const origin = await kvm.create("TEST", { storage, history: 3 });
        await origin.put("a", "1");
        const mirror = await kvm.create("MIRROR", { storage, history: 3, mirror: { name: "TEST" } });
        await origin.put("a", "2");
        await origin.put("b", "x");
        await origin.delete("b");
        const status = await eventually(() => mirror.status(), (st) => st.values === 4);
        assert.equal(status.values, 4);
        const si = await h.jsm.streams.info("KV_MIRROR");
        assert.deepEqual(si.config.mirror, { name: "KV_TEST" });
        assert.equal(si.config.mirror_direct, true);
        const a = await h.jsm.streams.getMessage("KV_MIRROR", { last_by_subj: "$KV.TEST.a" });
        assert.equal(a?.string(), "2");
        assert.equal(a?.seq, 2);
        const b = await h.jsm.streams.getMessage("KV_MIRROR", { last_by_subj: "$KV.TEST.b" });
        assert.equal(b?.header.get("KV-Operation"), "DEL");
      });
    });
  }
}

/**
 * The 2.10 stream and consumer settings that were already served, checked through the official
 * client on both stores and across a restart of a file stream: `first_seq`, `metadata`, and a
 * consumer's several `filter_subjects`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AckPolicy, StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createServer } from "../../src/index.ts";
import { startJetStream, tempDir, TRANSPORTS } from "./stream-helpers.ts";

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`2.10 stream settings (${transport}, ${storage})`, () => {
      it("first_seq: the first message gets it; a negative one is refused", async (t) => {
        const h = await startJetStream(t, transport);
        const si = await h.jsm.streams.add({ name: "F", subjects: ["f.*"], storage, first_seq: 1000 });
        assert.equal(si.config.first_seq, 1000);
        assert.equal(si.state.first_seq, 1000);
        assert.equal((await h.js.publish("f.1", "x")).seq, 1000);
        assert.equal((await h.js.publish("f.2", "y")).seq, 1001);
        const bad = await h.request("$JS.API.STREAM.CREATE.G", JSON.stringify({ name: "G", storage, first_seq: -1 }));
        assert.equal((bad.json["error"] as { err_code: number }).err_code, 10025);
      });

      it("metadata is echoed, replaced on update and bounded", async (t) => {
        const h = await startJetStream(t, transport);
        const si = await h.jsm.streams.add({ name: "M", subjects: ["m"], storage, metadata: { owner: "team-a", tier: "gold" } });
        // With nats-server 2.11's version keys (version-metadata.test.ts).
        const versions = { "_nats.level": "4", "_nats.req.level": "0", "_nats.ver": "2.14.0" };
        assert.deepEqual(si.config.metadata, { owner: "team-a", tier: "gold", ...versions });
        const updated = await h.jsm.streams.update("M", { subjects: ["m"], metadata: { owner: "team-b" } });
        assert.deepEqual(updated.config.metadata, { owner: "team-b", ...versions });
        assert.deepEqual((await h.jsm.streams.info("M")).config.metadata, { owner: "team-b", ...versions });
        const big = await h.request("$JS.API.STREAM.CREATE.B", JSON.stringify({ name: "B", storage, metadata: { k: "v".repeat(128 * 1024) } }));
        assert.deepEqual(big.json["error"], { code: 500, err_code: 10052, description: "stream metadata exceeds maximum size of 131072 bytes" });
        const wrongType = await h.request("$JS.API.STREAM.CREATE.B", JSON.stringify({ name: "B", storage, metadata: { k: 1 } }));
        assert.equal((wrongType.json["error"] as { err_code: number }).err_code, 10025);
      });

      it("a consumer with several filter_subjects gets exactly those subjects, in stream order", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "O", subjects: ["o.>"], storage });
        for (const s of ["o.a.1", "o.b.1", "o.c.1", "o.a.2", "o.b.2"]) await h.js.publish(s, s);
        const ci = await h.jsm.consumers.add("O", { durable_name: "ab", ack_policy: AckPolicy.Explicit, filter_subjects: ["o.a.*", "o.b.*"] });
        assert.deepEqual(ci.config.filter_subjects, ["o.a.*", "o.b.*"]);
        assert.equal(ci.num_pending, 4);
        const c = await h.js.consumers.get("O", "ab");
        const got: string[] = [];
        for await (const m of await c.fetch({ max_messages: 4, expires: 1000 })) {
          got.push(m.subject);
          m.ack();
        }
        assert.deepEqual(got, ["o.a.1", "o.b.1", "o.a.2", "o.b.2"]);
      });
    });
  }
}

describe("2.10 stream settings after a restart", () => {
  it("a file stream keeps first_seq, metadata and a multi-filter durable", async (t) => {
    const storeDir = tempDir(t);
    {
      const s = createServer({ jetstream: { storeDir } });
      await s.listen();
      const nc = await s.connect();
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "R", subjects: ["r.>"], storage: StorageType.File, first_seq: 50, metadata: { a: "1" } });
      await jsm.consumers.add("R", { durable_name: "d", ack_policy: AckPolicy.Explicit, filter_subjects: ["r.x", "r.y"] });
      const js = jetstream(nc);
      await js.publish("r.x", "1");
      await js.publish("r.z", "2");
      await nc.close();
      await s.close();
    }
    const s = createServer({ jetstream: { storeDir } });
    await s.listen();
    t.after(() => s.close());
    const nc = await s.connect();
    t.after(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const si = await jsm.streams.info("R");
    assert.equal(si.config.first_seq, 50);
    assert.deepEqual(si.config.metadata, { a: "1", "_nats.level": "4", "_nats.req.level": "0", "_nats.ver": "2.14.0" });
    assert.deepEqual([si.state.first_seq, si.state.last_seq], [50, 51]);
    const js = jetstream(nc);
    assert.equal((await js.publish("r.y", "3")).seq, 52);
    const ci = await jsm.consumers.info("R", "d");
    assert.deepEqual(ci.config.filter_subjects, ["r.x", "r.y"]);
    assert.equal(ci.num_pending, 2);
    const c = await js.consumers.get("R", "d");
    const got: string[] = [];
    for await (const m of await c.fetch({ max_messages: 2, expires: 1000 })) got.push(`${m.seq}:${m.subject}`);
    assert.deepEqual(got, ["50:r.x", "52:r.y"]);
  });
});

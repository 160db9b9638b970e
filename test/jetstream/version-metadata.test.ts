/**
 * The version keys of nats-server 2.11+ in stream and consumer `metadata`
 * (server/jetstream_versioning.go): `_nats.req.level` is worked out from the config and stored,
 * `_nats.ver` and `_nats.level` appear only in the answers to STREAM.CREATE/UPDATE/INFO and
 * CONSUMER.CREATE/INFO/RESET, never in LIST and never stored; a client's own are replaced.
 * Through the official clients, on both stores, and across a restart of a file stream.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AckPolicy, StorageType, jetstreamManager, type ConsumerConfig } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { createServer } from "../../src/index.ts";
import { startJetStream, tempDir, TRANSPORTS } from "./stream-helpers.ts";

const SERVER = { "_nats.level": "4", "_nats.ver": "2.14.0" };

function shown(level: number, user: Record<string, string> = {}): Record<string, string> {
  return { ...user, ...SERVER, "_nats.req.level": String(level) };
}

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`stream version metadata (${transport}, ${storage})`, () => {
      it("create, update and info show all three keys; list only the stored required level", async (t) => {
        const h = await startJetStream(t, transport);
        const si = await h.jsm.streams.add({ name: "S", subjects: ["s"], storage, metadata: { owner: "a" } });
        assert.deepEqual(si.config.metadata, shown(0, { owner: "a" }));
        assert.deepEqual((await h.jsm.streams.info("S")).config.metadata, shown(0, { owner: "a" }));
        const listed = await h.jsm.streams.list().next();
        assert.deepEqual(listed[0]?.config.metadata, { owner: "a", "_nats.req.level": "0" });
        // jsm.streams.update() sends the info's config back, _nats.ver included: it is dropped.
        const updated = await h.jsm.streams.update("S", { allow_msg_ttl: true });
        assert.deepEqual(updated.config.metadata, shown(1, { owner: "a" }));
        assert.deepEqual((await h.jsm.streams.list().next())[0]?.config.metadata, { owner: "a", "_nats.req.level": "1" });
      });

      it("the required level follows the features: TTL 1, counters/atomic/schedules 2, fast ingest 4", async (t) => {
        const h = await startJetStream(t, transport);
        const cases: Array<[string, Record<string, unknown>, number]> = [
          ["plain", {}, 0],
          ["ttl", { allow_msg_ttl: true }, 1],
          ["markers", { subject_delete_marker_ttl: 60_000_000_000 }, 1],
          ["counter", { allow_msg_counter: true }, 2],
          ["atomic", { allow_atomic: true }, 2],
          ["schedules", { allow_msg_schedules: true }, 2],
          ["batched", { allow_batched: true, allow_msg_ttl: true }, 4],
        ];
        for (const [name, extra, level] of cases) {
          const r = await h.request(`$JS.API.STREAM.CREATE.${name}`, JSON.stringify({ name, subjects: [`${name}.>`], storage, ...extra }));
          assert.equal(r.json["error"], undefined, name);
          const config = r.json["config"] as { metadata: Record<string, string> };
          assert.deepEqual(config.metadata, shown(level), name);
        }
      });

      it("a client's own _nats keys are replaced; creating the same stream again ignores them", async (t) => {
        const h = await startJetStream(t, transport);
        const body = { name: "V", subjects: ["v"], storage, metadata: { "_nats.req.level": "9", "_nats.ver": "1.0.0", "_nats.level": "99", "_nats.own": "k", x: "y" } };
        const first = await h.request("$JS.API.STREAM.CREATE.V", JSON.stringify(body));
        // Other _nats.* keys are the client's to keep: nats-server drops or sets only these three.
        assert.deepEqual((first.json["config"] as { metadata: unknown }).metadata, shown(0, { "_nats.own": "k", x: "y" }));
        const again = await h.request("$JS.API.STREAM.CREATE.V", JSON.stringify(body));
        assert.equal(again.json["error"], undefined);
        const other = await h.request("$JS.API.STREAM.CREATE.V", JSON.stringify({ ...body, metadata: { "_nats.own": "k", x: "z" } }));
        assert.deepEqual(other.json["error"], { code: 400, err_code: 10058, description: "stream name already in use with a different configuration" });
        // The text in the raw answer is Go's: map keys sorted.
        assert.match(again.text, /"metadata":\{"_nats\.level":"4","_nats\.own":"k","_nats\.req\.level":"0","_nats\.ver":"2\.14\.0","x":"y"\}/);
      });
    });

    describe(`consumer version metadata (${transport}, ${storage})`, () => {
      it("create, info and reset show all three keys; list only the stored required level", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "S", subjects: ["s.>"], storage });
        const ci = await h.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit, metadata: { team: "t" } });
        assert.deepEqual(ci.config.metadata, shown(0, { team: "t" }));
        assert.deepEqual((await h.jsm.consumers.info("S", "d")).config.metadata, shown(0, { team: "t" }));
        assert.deepEqual((await h.jsm.consumers.list("S").next())[0]?.config.metadata, { team: "t", "_nats.req.level": "0" });
        const reset = await h.jsm.consumers.reset("S", "d");
        assert.deepEqual(reset.config.metadata, shown(0, { team: "t" }));
        // Creating the same consumer again with the keys an INFO showed is not a different config.
        const again = await h.request(
          "$JS.API.CONSUMER.CREATE.S.d",
          JSON.stringify({ stream_name: "S", action: "create", config: { ...ci.config, metadata: { ...ci.config.metadata, "_nats.req.level": "3" } } }),
        );
        assert.equal(again.json["error"], undefined);
      });

      it("priority groups and a pause need level 1; PAUSE stores the new level", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "S", subjects: ["s.>"], storage });
        const grouped = await h.jsm.consumers.add("S", {
          durable_name: "g",
          ack_policy: AckPolicy.Explicit,
          priority_groups: ["jobs"],
          priority_policy: "overflow",
        } as Partial<ConsumerConfig>);
        assert.equal(grouped.config.metadata?.["_nats.req.level"], "1");
        await h.jsm.consumers.add("S", { durable_name: "p", ack_policy: AckPolicy.Explicit });
        await h.jsm.consumers.pause("S", "p", new Date(Date.now() + 3_600_000));
        const level = async (): Promise<string | undefined> =>
          (await h.jsm.consumers.list("S").next()).find((c) => c.name === "p")?.config.metadata?.["_nats.req.level"];
        assert.equal(await level(), "1");
        assert.equal((await h.jsm.consumers.info("S", "p")).config.metadata?.["_nats.req.level"], "1");
        await h.jsm.consumers.resume("S", "p");
        // resume() sends the epoch: a past deadline is still a pause_until, so the level stays 1
        // (setStaticConsumerMetadata looks only at whether it is set).
        assert.equal(await level(), "1");
        await h.request("$JS.API.CONSUMER.PAUSE.S.p", "");
        assert.equal(await level(), "0");
      });
    });
  }
}

describe("version metadata after a restart, and in KV buckets", () => {
  it("a file stream and its consumer keep _nats.req.level, and INFO adds the server's keys", async (t) => {
    const storeDir = tempDir(t);
    {
      const s = createServer({ jetstream: { storeDir } });
      await s.listen();
      const nc = await s.connect();
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "R", subjects: ["r"], storage: StorageType.File, allow_msg_counter: true, metadata: { a: "1" } });
      await jsm.consumers.add("R", { durable_name: "d", ack_policy: AckPolicy.Explicit, priority_groups: ["g"], priority_policy: "pinned_client" } as Partial<ConsumerConfig>);
      await nc.close();
      await s.close();
    }
    const s = createServer({ jetstream: { storeDir } });
    await s.listen();
    t.after(() => s.close());
    const nc = await s.connect();
    t.after(() => nc.close());
    const jsm = await jetstreamManager(nc);
    assert.deepEqual((await jsm.streams.list().next())[0]?.config.metadata, { a: "1", "_nats.req.level": "2" });
    assert.deepEqual((await jsm.streams.info("R")).config.metadata, shown(2, { a: "1" }));
    assert.deepEqual((await jsm.consumers.info("R", "d")).config.metadata, shown(1));
  });

  it("@nats-io/kv: a bucket with key TTLs needs level 1, and its own metadata is kept", async (t) => {
    const h = await startJetStream(t, "in-process");
    const kvm = new Kvm(h.nc);
    await kvm.create("ttl", { markerTTL: 60_000, metadata: { team: "platform" } });
    const si = await h.jsm.streams.info("KV_ttl");
    assert.deepEqual(si.config.metadata, shown(1, { team: "platform" }));
    const kv = await kvm.open("ttl");
    const status = await kv.status();
    assert.equal(status.metadata?.["team"], "platform");
  });
});

/**
 * A stream's `subject_transform` (nats-server 2.10, stream.go `itr`): a captured message whose
 * subject matches `src` is stored under the transformed subject; others keep theirs. Config
 * checks as checkStreamCfg and sublist.go `ValidateMapping` (10155, 10156). Through the official
 * client (nats.js test `jetstream - input transform`), on both stores and across a restart.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { Msg } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { startJetStream, tempDir, TRANSPORTS } from "./stream-helpers.ts";

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`stream subject_transform (${transport}, ${storage})`, () => {
      it("stores under the transformed subject (nats.js 'jetstream - input transform')", async (t) => {
        const h = await startJetStream(t, transport);
        const si = await h.jsm.streams.add({ name: "T", subjects: ["foo"], subject_transform: { src: ">", dest: "transformed.>" }, storage });
        assert.deepEqual(si.config.subject_transform, { src: ">", dest: "transformed.>" });
        const pa = await h.js.publish("foo", "x");
        assert.equal(pa.seq, 1);
        const m = await h.jsm.streams.getMessage("T", { seq: 1 });
        assert.equal(m?.subject, "transformed.foo");
      });

      it("rewrites what matches the source, keeps the rest, and consumers see the new subjects", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "O", subjects: ["orders.>"], subject_transform: { src: "orders.*.*", dest: "by-region.{{wildcard(2)}}.$1" }, storage });
        await h.js.publish("orders.42.eu", "a");
        await h.js.publish("orders.7.us.extra", "b");
        await h.js.publish("orders.9.eu", "c");
        const info = await h.jsm.streams.info("O", { subjects_filter: ">" });
        assert.deepEqual(info.state.subjects, { "by-region.eu.42": 1, "by-region.eu.9": 1, "orders.7.us.extra": 1 });
        await h.jsm.consumers.add("O", { durable_name: "eu", ack_policy: AckPolicy.None, filter_subject: "by-region.eu.*" });
        const c = await h.js.consumers.get("O", "eu");
        const got: string[] = [];
        for await (const msg of await c.fetch({ max_messages: 2, expires: 1000 })) got.push(`${msg.subject}=${msg.string()}`);
        assert.deepEqual(got, ["by-region.eu.42=a", "by-region.eu.9=c"]);
      });

      it("an update changes the transform; a republish of > to > follows it", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "U", subjects: ["u.>"], storage });
        await h.js.publish("u.1", "plain");
        const updated = await h.jsm.streams.update("U", {
          subjects: ["u.>"],
          subject_transform: { src: "u.>", dest: "v.>" },
          republish: { src: ">", dest: ">" },
        });
        // The implicit republish: under the transformed subjects (stream.go checkStreamCfg).
        assert.deepEqual(updated.config.republish, { src: "v.>", dest: "v.>" });
        const seen: Msg[] = [];
        h.nc.subscribe("v.>", { callback: (_e, m) => void seen.push(m) });
        await h.nc.flush();
        await h.js.publish("u.2", "moved");
        const m = await h.jsm.streams.getMessage("U", { seq: 2 });
        assert.equal(m?.subject, "v.2");
        for (let i = 0; i < 100 && seen.length === 0; i++) await sleep(10);
        assert.equal(seen[0]?.subject, "v.2");
        assert.equal(seen[0]?.headers?.get("Nats-Subject"), "v.2");
        assert.equal((await h.jsm.streams.getMessage("U", { seq: 1 }))?.subject, "u.1");
      });

      it("refuses bad transforms with nats-server's codes and texts", async (t) => {
        const h = await startJetStream(t, transport);
        const create = async (subject_transform: unknown) =>
          (await h.request("$JS.API.STREAM.CREATE.B", JSON.stringify({ name: "B", subjects: ["b.>"], storage, subject_transform }))).json["error"];
        assert.deepEqual(await create({ src: "b..x", dest: "c" }), { code: 400, err_code: 10155, description: "stream transform source: invalid subject b..x" });
        assert.deepEqual(await create({ src: "b.*", dest: "c.$2" }), {
          code: 400,
          err_code: 10156,
          description: "stream transform: invalid mapping destination: wildcard index out of range in $2: [2]",
        });
        assert.deepEqual(await create({ src: "b.*", dest: "c.{{nope(1)}}" }), {
          code: 400,
          err_code: 10156,
          description: "stream transform: invalid mapping destination: unknown function in {{nope(1)}}",
        });
        // ValidateMapping does not list left() and right(), so a stream transform refuses them.
        assert.deepEqual(await create({ src: "b.*", dest: "c.{{left(1,2)}}" }), {
          code: 400,
          err_code: 10156,
          description: "stream transform: invalid mapping destination: unknown function in {{left(1,2)}}",
        });
        assert.deepEqual(await create({ src: "b.*", dest: "c.>.d" }), { code: 400, err_code: 10156, description: "stream transform: invalid mapping destination: invalid transform in d" });
        assert.deepEqual(await create({ src: "b.*", dest: "c.{{wildcard()}}" }), {
          code: 400,
          err_code: 10156,
          description: "stream transform: invalid mapping destination: not enough arguments passed to the function in {{wildcard()}}",
        });
        assert.deepEqual(await create({ src: "b.*", dest: "c.{{partition(x)}}" }), {
          code: 400,
          err_code: 10156,
          description: "stream transform: invalid mapping destination: function argument is invalid or in the wrong format in {{partition(x)}}",
        });
        assert.deepEqual(await create({ src: "b.>", dest: "c" }), { code: 400, err_code: 10156, description: "stream transform: invalid subject" });
        assert.deepEqual(await create({ src: 3, dest: "c" }), { code: 400, err_code: 10025, description: "invalid JSON" });
        assert.equal((await h.jsm.streams.names().next()).length, 0, "nothing half-created");
      });
    });
  }
}

describe("stream subject_transform after a restart", () => {
  it("a file stream keeps transforming after a restart", async (t) => {
    const storeDir = tempDir(t);
    {
      const s = createServer({ jetstream: { storeDir } });
      await s.listen();
      const nc = await s.connect();
      await (await jetstreamManager(nc)).streams.add({ name: "F", subjects: ["f.*"], storage: StorageType.File, subject_transform: { src: "f.*", dest: "g.$1" } });
      await jetstream(nc).publish("f.1", "a");
      await nc.close();
      await s.close();
    }
    const s = createServer({ jetstream: { storeDir } });
    await s.listen();
    t.after(() => s.close());
    const nc = await s.connect();
    t.after(() => nc.close());
    const jsm = await jetstreamManager(nc);
    assert.deepEqual((await jsm.streams.info("F")).config.subject_transform, { src: "f.*", dest: "g.$1" });
    await jetstream(nc).publish("f.2", "b");
    assert.deepEqual((await jsm.streams.info("F", { subjects_filter: ">" })).state.subjects, { "g.1": 1, "g.2": 1 });
  });
});

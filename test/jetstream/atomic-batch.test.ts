/**
 * Atomic batch publish (nats-server 2.12, `allow_atomic`): messages with `Nats-Batch-Id` and
 * `Nats-Batch-Sequence` are staged and stored all or nothing at `Nats-Batch-Commit`; the
 * commit's PubAck says `batch` and `count`; every refusal with nats-server's error code
 * (stream.go processJetStreamAtomicBatchMsg, jetstream_batching.go). Through @nats-io/jetstream's
 * `startBatch` and raw requests, on both stores.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { headers, type MsgHdrs } from "@nats-io/nats-core";
import { StorageType } from "@nats-io/jetstream";
import { createServer } from "../../src/index.ts";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { startJetStream, tempDir, type JsHarness } from "./stream-helpers.ts";

const refused = (stream: string, err_code: number, description: string, code = 400): string =>
  JSON.stringify({ error: { code, err_code, description }, stream, seq: 0 });

interface BatchPart {
  id: string;
  seq: number | string;
  commit?: string;
  data?: string;
  extra?: Record<string, string>;
}

function batchHeaders(part: BatchPart): MsgHdrs {
  const hd = headers();
  hd.set("Nats-Batch-Id", part.id);
  if (part.seq !== "") hd.set("Nats-Batch-Sequence", String(part.seq));
  if (part.commit !== undefined) hd.set("Nats-Batch-Commit", part.commit);
  for (const [k, v] of Object.entries(part.extra ?? {})) hd.set(k, v);
  return hd;
}

/** One batch message as a request: the reply's text ("" when staged). */
async function send(h: JsHarness, subject: string, part: BatchPart): Promise<string> {
  return (await h.nc.request(subject, part.data ?? "", { headers: batchHeaders(part), timeout: 2000 })).string();
}

/** One batch message with no reply. */
function post(h: JsHarness, subject: string, part: BatchPart): void {
  h.nc.publish(subject, part.data ?? "", { headers: batchHeaders(part) });
}

async function messages(h: JsHarness, stream: string): Promise<number> {
  return (await h.jsm.streams.info(stream)).state.messages;
}

for (const storage of [StorageType.Memory, StorageType.File]) {
  describe(`atomic batch publish (${storage})`, () => {
    it("stores nothing until the commit, then all of it; the PubAck says batch and count", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "B", subjects: ["b.>"], storage, allow_atomic: true });
      const batch = await h.js.startBatch("b.1", "one");
      await batch.add("b.2", "two", { ack: true });
      batch.add("b.3", "three");
      await h.nc.flush();
      assert.equal(await messages(h, "B"), 0);
      const ack = await batch.commit("b.4", "four");
      assert.equal(ack.stream, "B");
      assert.equal(ack.seq, 4);
      assert.equal(ack.count, 4);
      assert.equal(typeof ack.batch, "string");
      assert.equal(await messages(h, "B"), 4);
      const last = await h.jsm.streams.getMessage("B", { seq: 4 });
      assert.equal(last?.string(), "four");
      assert.equal(last?.header.get("Nats-Batch-Commit"), "1");
      assert.equal(last?.header.get("Nats-Batch-Sequence"), "4");
      // The info says so, and a staged message was answered with an empty reply.
      assert.equal((await h.jsm.streams.info("B")).config.allow_atomic, true);
      assert.equal(await send(h, "b.x", { id: "raw", seq: 1 }), "");
      assert.equal(await send(h, "b.x", { id: "raw", seq: 2, commit: "1" }), '{"stream":"B", "seq":6,"batch":"raw","count":2}');
    });

    it('commits with "eob": the marker is not stored, the last message gets the commit header', async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "B", subjects: ["b.>"], storage, allow_atomic: true });
      post(h, "b.a", { id: "e1", seq: 1, data: "x" });
      post(h, "b.b", { id: "e1", seq: 2, data: "y" });
      assert.equal(await send(h, "b.c", { id: "e1", seq: 3, commit: "eob" }), '{"stream":"B", "seq":2,"batch":"e1","count":2}');
      assert.equal(await messages(h, "B"), 2);
      const last = await h.jsm.streams.getMessage("B", { seq: 2 });
      assert.equal(last?.header.get("Nats-Batch-Commit"), "1");
      // "eob" as the first message is a batch of nothing.
      assert.equal(await send(h, "b.c", { id: "e2", seq: 1, commit: "eob" }), refused("B", 10176, "atomic publish batch is incomplete"));
    });

    it("refuses as nats-server, storing nothing", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "B", subjects: ["b.>"], storage, allow_atomic: true, allow_rollup_hdrs: true });
      await h.jsm.streams.add({ name: "P", subjects: ["p.>"], storage });
      assert.equal(await send(h, "p.a", { id: "x", seq: 1, commit: "1" }), refused("P", 10174, "atomic publish is disabled"));
      assert.equal(await send(h, "b.a", { id: "x", seq: "" }), refused("B", 10175, "atomic publish sequence is missing"));
      assert.equal(await send(h, "b.a", { id: "x", seq: "one" }), refused("B", 10175, "atomic publish sequence is missing"));
      assert.equal(await send(h, "b.a", { id: "x".repeat(65), seq: 1 }), refused("B", 10179, "atomic publish batch ID is invalid"));
      assert.equal(await send(h, "b.a", { id: "unknown", seq: 2 }), refused("B", 10176, "atomic publish batch is incomplete"));
      assert.equal(await send(h, "b.a", { id: "c", seq: 1, commit: "yes" }), refused("B", 10200, "atomic publish batch commit is invalid"));
      // A gap drops the batch: what follows is incomplete too.
      post(h, "b.a", { id: "g", seq: 1 });
      assert.equal(await send(h, "b.a", { id: "g", seq: 3 }), refused("B", 10176, "atomic publish batch is incomplete"));
      assert.equal(await send(h, "b.a", { id: "g", seq: 2, commit: "1" }), refused("B", 10176, "atomic publish batch is incomplete"));
      // Checked at the commit, against the stream and the batch so far.
      post(h, "b.a", { id: "d", seq: 1, extra: { "Nats-Msg-Id": "m1" } });
      assert.equal(await send(h, "b.b", { id: "d", seq: 2, commit: "1", extra: { "Nats-Msg-Id": "m1" } }), refused("B", 10201, "atomic publish batch contains duplicate message id"));
      post(h, "b.a", { id: "u", seq: 1 });
      assert.equal(
        await send(h, "b.b", { id: "u", seq: 2, commit: "1", extra: { "Nats-Expected-Last-Msg-Id": "m0" } }),
        refused("B", 10177, "atomic publish unsupported header used: Nats-Expected-Last-Msg-Id"),
      );
      post(h, "b.a", { id: "s", seq: 1, extra: { "Nats-Expected-Last-Sequence": "0" } });
      assert.equal(await send(h, "b.b", { id: "s", seq: 2, commit: "1", extra: { "Nats-Expected-Last-Sequence": "0" } }), refused("B", 10164, "wrong last sequence"));
      post(h, "b.a", { id: "s2", seq: 1 });
      assert.equal(await send(h, "b.a", { id: "s2", seq: 2, commit: "1", extra: { "Nats-Expected-Last-Subject-Sequence": "0" } }), refused("B", 10164, "wrong last sequence"));
      post(h, "b.a", { id: "r", seq: 1 });
      assert.equal(
        await send(h, "b.a", { id: "r", seq: 2, commit: "1", extra: { "Nats-Rollup": "sub" } }),
        JSON.stringify({ error: { code: 500, err_code: 10111, description: "batch rollup sub invalid" }, stream: "B", seq: 0 }),
      );
      post(h, "b.a", { id: "l", seq: 1 });
      assert.equal(await send(h, "b.b", { id: "l", seq: 2, commit: "1", extra: { "Nats-Required-Api-Level": "99" } }), refused("B", 10185, "JetStream minimum api level required", 412));
      assert.equal(await messages(h, "B"), 0);
      // A batch whose first message holds the right expectations goes through.
      post(h, "b.a", { id: "ok", seq: 1, extra: { "Nats-Expected-Last-Sequence": "0", "Nats-Msg-Id": "m1" } });
      assert.equal(await send(h, "b.b", { id: "ok", seq: 2, commit: "1", extra: { "Nats-Expected-Last-Subject-Sequence": "0" } }), '{"stream":"B", "seq":2,"batch":"ok","count":2}');
      // The stored ids count for duplicates afterwards.
      assert.equal(await send(h, "b.c", { id: "dd", seq: 1, commit: "1", extra: { "Nats-Msg-Id": "m1" } }), refused("B", 10201, "atomic publish batch contains duplicate message id"));
    });

    it("bounds what is staged: 1000 messages a batch, 50 open batches a stream", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "B", subjects: ["b.>"], storage, allow_atomic: true });
      assert.equal(await send(h, "b.a", { id: "big", seq: 1001 }), refused("B", 10199, "atomic publish batch is too large: 1000"));
      for (let i = 1; i <= 1000; i++) post(h, "b.a", { id: "big", seq: i });
      assert.equal(await send(h, "b.a", { id: "big", seq: 1001, commit: "1" }), refused("B", 10199, "atomic publish batch is too large: 1000"));
      // The staged thousand were dropped with the batch (an unknown batch past 1000 is "too large").
      assert.equal(await send(h, "b.a", { id: "big", seq: 2, commit: "1" }), refused("B", 10176, "atomic publish batch is incomplete"));
      assert.equal(await send(h, "b.a", { id: "big", seq: 1002, commit: "1" }), refused("B", 10199, "atomic publish batch is too large: 1000"));
      // 1000 messages and an "eob" are allowed.
      for (let i = 1; i <= 1000; i++) post(h, "b.a", { id: "full", seq: i });
      assert.equal(await send(h, "b.a", { id: "full", seq: 1001, commit: "eob" }), '{"stream":"B", "seq":1000,"batch":"full","count":1000}');
      for (let i = 0; i < 50; i++) post(h, "b.a", { id: `open${i}`, seq: 1 });
      assert.equal(await send(h, "b.a", { id: "one-too-many", seq: 1 }), refused("B", 10210, "atomic publish too many inflight", 429));
      // Committing one makes room for another.
      assert.equal(await send(h, "b.a", { id: "open0", seq: 2, commit: "1" }), '{"stream":"B", "seq":1002,"batch":"open0","count":2}');
      assert.equal(await send(h, "b.a", { id: "one-more", seq: 1 }), "");
      assert.equal(await messages(h, "B"), 1002);
    });

    it("counters and discard-new limits count the whole batch", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "C", subjects: ["c.>"], storage, allow_atomic: true, allow_msg_counter: true });
      post(h, "c.a", { id: "k", seq: 1, extra: { "Nats-Incr": "2" } });
      post(h, "c.a", { id: "k", seq: 2, extra: { "Nats-Incr": "3" } });
      assert.equal(await send(h, "c.b", { id: "k", seq: 3, commit: "1", extra: { "Nats-Incr": "1" } }), '{"stream":"C", "seq":3,"batch":"k","count":3}');
      assert.equal((await h.jsm.streams.getMessage("C", { last_by_subj: "c.a" }))?.string(), '{"val":"5"}');
      await h.jsm.streams.add({ name: "N", subjects: ["n.>"], storage, allow_atomic: true, discard: "new" as never, max_msgs: 2 });
      post(h, "n.a", { id: "n", seq: 1 });
      post(h, "n.a", { id: "n", seq: 2 });
      assert.equal(
        await send(h, "n.a", { id: "n", seq: 3, commit: "1" }),
        JSON.stringify({ error: { code: 503, err_code: 10077, description: "maximum messages exceeded" }, stream: "N", seq: 0 }),
      );
      assert.equal(await messages(h, "N"), 0);
    });
  });
}

describe("atomic batch publish across a restart (file)", () => {
  it("keeps committed batches; an uncommitted one is gone", async (t) => {
    const storeDir = tempDir(t);
    const first = createServer({ port: 0, jetstream: { storeDir } });
    await first.listen();
    let nc = await connect({ servers: first.url!, reconnect: false });
    let jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "B", subjects: ["b.>"], storage: StorageType.File, allow_atomic: true });
    const h1 = { nc } as JsHarness;
    post(h1, "b.a", { id: "done", seq: 1 });
    assert.equal(await send(h1, "b.a", { id: "done", seq: 2, commit: "1" }), '{"stream":"B", "seq":2,"batch":"done","count":2}');
    post(h1, "b.a", { id: "half", seq: 1 });
    await nc.flush();
    await nc.close();
    await first.close();

    const second = createServer({ port: 0, jetstream: { storeDir } });
    await second.listen();
    nc = await connect({ servers: second.url!, reconnect: false });
    t.after(async () => {
      await nc.close().catch(() => undefined);
      await second.close();
    });
    jsm = await jetstreamManager(nc);
    assert.equal((await jsm.streams.info("B")).state.messages, 2);
    assert.equal(await send({ nc } as JsHarness, "b.a", { id: "half", seq: 2, commit: "1" }), refused("B", 10176, "atomic publish batch is incomplete"));
    assert.equal((await jsm.streams.info("B")).config.allow_atomic, true);
  });
});

describe("atomic batch publish: mirrors and sources", () => {
  it("copies a committed batch without its Nats-Batch-* headers", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "B", subjects: ["b.>"], storage: StorageType.Memory, allow_atomic: true });
    await h.jsm.streams.add({ name: "M", storage: StorageType.Memory, mirror: { name: "B" } });
    await h.jsm.streams.add({ name: "R", storage: StorageType.Memory, sources: [{ name: "B" }] });
    post(h, "b.a", { id: "m", seq: 1, extra: { Other: "kept" } });
    assert.equal(await send(h, "b.b", { id: "m", seq: 2, commit: "1" }), '{"stream":"B", "seq":2,"batch":"m","count":2}');
    for (const name of ["M", "R"]) {
      let copied = 0;
      for (let i = 0; i < 50 && copied < 2; i++) {
        copied = (await h.jsm.streams.info(name)).state.messages;
        if (copied < 2) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(copied, 2);
      const first = await h.jsm.streams.getMessage(name, { seq: 1 });
      assert.equal(first?.header.get("Other"), "kept");
      assert.equal(first?.header.get("Nats-Batch-Id"), "");
      assert.equal((await h.jsm.streams.getMessage(name, { seq: 2 }))?.header.get("Nats-Batch-Commit"), "");
    }
  });
});

describe("atomic batch publish: config and time-outs", () => {
  it("mirrors cannot use it; a batch left open for 10 s is dropped with an advisory", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "B", subjects: ["b.>"], storage: StorageType.Memory, allow_atomic: true });
    await assert.rejects(h.jsm.streams.add({ name: "M", mirror: { name: "B" }, allow_atomic: true }), /stream mirrors can not also use atomic publishing/);
    await assert.rejects(h.jsm.streams.add({ name: "M", mirror: { name: "B" }, allow_batched: true }), /stream mirrors can not also use batch publishing/);
    const advisories = h.nc.subscribe("$JS.EVENT.ADVISORY.STREAM.BATCH_ABANDONED.B", { max: 1 });
    assert.equal(await send(h, "b.a", { id: "slow", seq: 1 }), "");
    let advisory: Record<string, unknown> | undefined;
    for await (const m of advisories) advisory = m.json();
    assert.equal(advisory?.["type"], "io.nats.jetstream.advisory.v1.stream_batch_abandoned");
    assert.equal(advisory?.["batch"], "slow");
    assert.equal(advisory?.["reason"], "timeout");
    assert.equal(await send(h, "b.a", { id: "slow", seq: 2, commit: "1" }), refused("B", 10176, "atomic publish batch is incomplete"));
  });
});

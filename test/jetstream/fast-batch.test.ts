/**
 * Fast-ingest batches (nats-server 2.14, `allow_batched`, API level 4): the batch is in the
 * reply subject (`<prefix>.<id>.<flow>.<gap>.<seq>.<op>.$FI`), messages are stored as they come,
 * the publisher hears flow-control acks, gap and error reports, and one PubAck with `batch` and
 * `count` (stream.go getFastBatch, processJetStreamFastBatchMsg; jetstream_batching.go).
 * Through @nats-io/jetstream's fast-ingest publisher and raw replies, on both stores.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StorageType } from "@nats-io/jetstream";
import { startFastIngest } from "@nats-io/jetstream/internal";
import { headers } from "@nats-io/nats-core";
import { startJetStream, type JsHarness } from "./stream-helpers.ts";

/** Publishes with a fast-batch reply and collects what comes back on the batch's inbox. */
async function rawBatch(h: JsHarness, id: string, flow: number, gap: "ok" | "fail") {
  const received: string[] = [];
  const sub = h.nc.subscribe(`fi.${id}.>`, { callback: (_e, m) => void received.push(m.string()) });
  return {
    received,
    send(subject: string, seq: number, op: number, data = "", hdrs?: Record<string, string>): void {
      const hd = headers();
      for (const [k, v] of Object.entries(hdrs ?? {})) hd.set(k, v);
      h.nc.publish(subject, data, { reply: `fi.${id}.${flow}.${gap}.${seq}.${op}.$FI`, ...(hdrs !== undefined && { headers: hd }) });
    },
    async settle(): Promise<string[]> {
      await h.nc.flush();
      await new Promise((r) => setTimeout(r, 50));
      return received;
    },
    stop: () => sub.unsubscribe(),
  };
}

const refused = (stream: string, err_code: number, description: string, code = 400): string =>
  JSON.stringify({ error: { code, err_code, description }, stream, seq: 0 });

for (const storage of [StorageType.Memory, StorageType.File]) {
  describe(`fast-ingest batches (${storage})`, () => {
    it("stores each message as it comes; the client's fast ingest ends with batch and count", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "F", subjects: ["f.>"], storage, allow_batched: true });
      assert.equal((await h.jsm.streams.info("F")).config.allow_batched, true);
      const fi = await startFastIngest(h.nc, "f.a", "m1", { ackInterval: 10, allowGaps: false });
      for (let i = 2; i <= 250; i++) await fi.add("f.a", `m${i}`);
      const ack = await fi.last("f.b", "final");
      assert.equal(ack.stream, "F");
      assert.equal(ack.seq, 251);
      assert.equal(ack.count, 251);
      assert.equal(ack.batch, fi.batch);
      assert.equal((await h.jsm.streams.info("F")).state.messages, 251);
      // end() commits with what was stored.
      const fi2 = await startFastIngest(h.nc, "f.c", "x", { allowGaps: false });
      await fi2.add("f.c", "y");
      const ack2 = await fi2.end();
      assert.equal(ack2.count, 2);
      assert.equal(ack2.seq, 253);
    });

    it("sends a flow-control ack every `msgs` messages, and answers a ping with the last one", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "F", subjects: ["f.>"], storage, allow_batched: true });
      const b = await rawBatch(h, "r1", 4, "fail");
      b.send("f.a", 1, 0);
      for (let seq = 2; seq <= 12; seq++) b.send("f.a", seq, 1);
      assert.deepEqual(await b.settle(), ['{"type":"ack","seq":0,"msgs":4}', '{"type":"ack","seq":4,"msgs":4}', '{"type":"ack","seq":8,"msgs":4}', '{"type":"ack","seq":12,"msgs":4}']);
      b.received.length = 0;
      b.send("f.a", 12, 4);
      b.send("f.a", 13, 2);
      assert.deepEqual(await b.settle(), ['{"type":"ack","seq":12,"msgs":4}', '{"stream":"F", "seq":13,"batch":"r1","count":13}']);
      b.stop();
    });

    it("reports gaps: with gap mode fail the batch ends, with ok it goes on", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "F", subjects: ["f.>"], storage, allow_batched: true });
      const fail = await rawBatch(h, "gf", 100, "fail");
      fail.send("f.a", 1, 0);
      fail.send("f.a", 2, 1);
      fail.send("f.a", 4, 1);
      assert.deepEqual(await fail.settle(), ['{"type":"ack","seq":0,"msgs":100}', '{"type":"gap","last_seq":3,"seq":4}', '{"stream":"F", "seq":2,"batch":"gf","count":2}']);
      const ok = await rawBatch(h, "go", 100, "ok");
      ok.send("f.a", 1, 0);
      ok.send("f.a", 3, 1);
      ok.send("f.a", 4, 2);
      assert.deepEqual(await ok.settle(), ['{"type":"ack","seq":0,"msgs":100}', '{"type":"gap","last_seq":2,"seq":3}', '{"stream":"F", "seq":5,"batch":"go","count":4}']);
      assert.equal((await h.jsm.streams.info("F")).state.messages, 5);
      fail.stop();
      ok.stop();
    });

    it("refuses as nats-server; an error mid-batch is reported, the batch ends", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "F", subjects: ["f.>"], storage, allow_batched: true });
      await h.jsm.streams.add({ name: "P", subjects: ["p.>"], storage });
      const ask = async (subject: string, reply: string): Promise<string> => {
        const inbox = `q.${Math.random().toString(36).slice(2)}`;
        const sub = h.nc.subscribe(`${inbox}.>`, { max: 1 });
        h.nc.publish(subject, "", { reply: `${inbox}.${reply}` });
        for await (const m of sub) return m.string();
        return "";
      };
      assert.equal(await ask("p.a", "id.10.fail.1.0.$FI"), refused("P", 10205, "batch publish is disabled"));
      assert.equal(await ask("f.a", "id.10.maybe.1.0.$FI"), refused("F", 10206, "batch publish pattern is invalid"));
      assert.equal(await ask("f.a", "id.10.fail.2.0.$FI"), refused("F", 10206, "batch publish pattern is invalid"));
      assert.equal(await ask("f.a", `${"x".repeat(65)}.10.fail.1.0.$FI`), refused("F", 10207, "batch publish ID is invalid"));
      assert.equal(await ask("f.a", "nobody.10.fail.5.1.$FI"), refused("F", 10208, "batch publish ID unknown"));
      // A first message refused answers as a plain publish.
      const first = await rawBatch(h, "e1", 10, "fail");
      first.send("f.a", 1, 0, "", { "Nats-Expected-Last-Sequence": "7" });
      assert.deepEqual(await first.settle(), ['{"type":"ack","seq":0,"msgs":10}', refused("F", 10071, "wrong last sequence: 0")]);
      // A later one is reported as an error, then the batch ends with what was stored.
      const later = await rawBatch(h, "e2", 10, "fail");
      later.send("f.a", 1, 0);
      later.send("f.a", 2, 1, "", { "Nats-Expected-Last-Sequence": "7" });
      const got = await later.settle();
      assert.equal(got.length, 3);
      assert.deepEqual(JSON.parse(got[1]!), { type: "err", seq: 2, error: { code: 400, err_code: 10071, description: "wrong last sequence: 1" } });
      assert.equal(got[2], '{"stream":"F", "seq":1,"batch":"e2","count":1}');
      assert.equal((await h.jsm.streams.info("F")).state.messages, 1);
      first.stop();
      later.stop();
    });
  });
}

describe("fast-ingest: API level", () => {
  it("INFO says api_lvl 4 and $JS.API.INFO api.level 4", async (t) => {
    const h = await startJetStream(t, "tcp");
    assert.equal(h.nc.info?.api_lvl, 4);
    const info = await h.request("$JS.API.INFO");
    assert.equal((info.json["api"] as Record<string, unknown>)["level"], 4);
  });
});

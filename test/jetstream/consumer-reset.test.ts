/**
 * Consumer reset (nats-server 2.14, `$JS.API.CONSUMER.RESET.<stream>.<consumer>`): back to just
 * above the ack floor, or to a chosen stream sequence where the deliver policy allows it, with
 * nothing pending and consumer sequences from 1; the answer is the consumer's info plus
 * `reset_seq`. Through the official client's `jsm.consumers.reset()` and raw requests, on the
 * memory and the file store (where the reset state outlives a restart).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JsMsg } from "@nats-io/jetstream";
import { createServer } from "../../src/index.ts";
import { startJetStream, tempDir, TRANSPORTS, type JsHarness } from "./stream-helpers.ts";

async function ordersStream(h: JsHarness, count: number, storage: StorageType = StorageType.Memory): Promise<void> {
  await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage });
  for (let i = 1; i <= count; i++) await h.js.publish(`orders.${i}`, `m${i}`);
}

async function fetch(h: JsHarness, consumer: string, max: number): Promise<JsMsg[]> {
  const out: JsMsg[] = [];
  for await (const m of await (await h.js.consumers.get("ORDERS", consumer)).fetch({ max_messages: max, expires: 1000 })) out.push(m);
  return out;
}

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`consumer reset (${transport}, ${storage})`, () => {
      it("goes back to just above the ack floor with nothing pending", async (t) => {
        const h = await startJetStream(t, transport);
        await ordersStream(h, 5, storage);
        await h.jsm.consumers.add("ORDERS", { durable_name: "d", ack_policy: AckPolicy.Explicit });
        const first = await fetch(h, "d", 3);
        await first[0]!.ackAck();
        const reset = await h.jsm.consumers.reset("ORDERS", "d");
        assert.equal(reset.reset_seq, 2);
        assert.equal(reset.name, "d");
        assert.equal(reset.num_ack_pending, 0);
        assert.deepEqual([reset.delivered.consumer_seq, reset.delivered.stream_seq], [0, 1]);
        assert.deepEqual([reset.ack_floor.consumer_seq, reset.ack_floor.stream_seq], [0, 1]);
        assert.equal(reset.num_pending, 4);
        const again = await fetch(h, "d", 10);
        assert.deepEqual(again.map((m) => m.seq), [2, 3, 4, 5]);
        assert.deepEqual(again.map((m) => m.info.deliverySequence), [1, 2, 3, 4], "consumer sequences start again from 1");
        assert.deepEqual(again.map((m) => m.info.deliveryCount), [1, 1, 1, 1], "redelivery counts are forgotten");
      });

      it("moves to a chosen sequence, forwards or back", async (t) => {
        const h = await startJetStream(t, transport);
        await ordersStream(h, 6, storage);
        await h.jsm.consumers.add("ORDERS", { durable_name: "d", ack_policy: AckPolicy.Explicit });
        for (const m of await fetch(h, "d", 2)) await m.ackAck();
        assert.equal((await h.jsm.consumers.reset("ORDERS", "d", 5)).reset_seq, 5);
        assert.deepEqual((await fetch(h, "d", 10)).map((m) => m.seq), [5, 6]);
        const back = await h.jsm.consumers.reset("ORDERS", "d", 1);
        assert.equal(back.reset_seq, 1);
        assert.equal(back.num_pending, 6);
        assert.deepEqual((await fetch(h, "d", 10)).map((m) => m.seq), [1, 2, 3, 4, 5, 6]);
      });
    });
  }
}

describe("consumer reset rules", () => {
  it("allows a sequence only as far as the deliver policy does, with 400 10204", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h, 3);
    await sleep(20);
    const cut = new Date();
    await sleep(5);
    for (let i = 4; i <= 6; i++) await h.js.publish(`orders.${i}`, `m${i}`);
    const invalid = (detail: string) => ({ type: "io.nats.jetstream.api.v1.consumer_reset_response", error: { code: 400, err_code: 10204, description: `invalid reset: ${detail}` } });
    await h.jsm.consumers.add("ORDERS", { durable_name: "seq", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 3 });
    assert.deepEqual((await h.request("$JS.API.CONSUMER.RESET.ORDERS.seq", '{"seq":2}')).json, invalid("below start seq"));
    assert.equal((await h.request("$JS.API.CONSUMER.RESET.ORDERS.seq", '{"seq":4}')).json["reset_seq"], 4);

    await h.jsm.consumers.add("ORDERS", { durable_name: "new", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New });
    assert.deepEqual((await h.request("$JS.API.CONSUMER.RESET.ORDERS.new", '{"seq":2}')).json, invalid("not allowed"));
    // Back to the ack floor is always allowed: seq 0 is the same as no body (ADR-60).
    assert.equal((await h.request("$JS.API.CONSUMER.RESET.ORDERS.new", '{"seq":0}')).json["reset_seq"], 7);

    await h.jsm.consumers.add("ORDERS", { durable_name: "time", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.StartTime, opt_start_time: cut.toISOString() });
    assert.deepEqual((await h.request("$JS.API.CONSUMER.RESET.ORDERS.time", '{"seq":3}')).json, invalid("below start time"));
    assert.equal((await h.request("$JS.API.CONSUMER.RESET.ORDERS.time", '{"seq":5}')).json["reset_seq"], 5);
  });

  it("answers a malformed body with 10025 and an unknown consumer with no responders", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h, 1);
    await h.jsm.consumers.add("ORDERS", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    for (const body of ['{"seq":-1}', '{"seq":1.5}', '{"seq":"1"}', "{", "[1]"]) {
      assert.deepEqual(
        (await h.request("$JS.API.CONSUMER.RESET.ORDERS.d", body)).json,
        { type: "io.nats.jetstream.api.v1.consumer_reset_response", error: { code: 400, err_code: 10025, description: "invalid JSON" } },
        body,
      );
    }
    // The consumer itself takes RESET (consumer.go resetSubj), as it takes MSG.NEXT.
    await assert.rejects(h.nc.request("$JS.API.CONSUMER.RESET.ORDERS.nope", "", { timeout: 2000 }), /503|no responders/i);
    await assert.rejects(h.nc.request("$JS.API.CONSUMER.RESET.NOPE.d", "", { timeout: 2000 }), /503|no responders/i);
    await assert.rejects(h.jsm.consumers.reset("ORDERS", "nope"));
  });

  it("lets an interest stream drop what the consumer skipped past", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory, retention: RetentionPolicy.Interest });
    await h.jsm.consumers.add("ORDERS", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    for (let i = 1; i <= 5; i++) await h.js.publish(`orders.${i}`, `m${i}`);
    assert.equal((await h.jsm.streams.info("ORDERS")).state.messages, 5);
    await h.jsm.consumers.reset("ORDERS", "d", 4);
    const state = (await h.jsm.streams.info("ORDERS")).state;
    assert.deepEqual([state.messages, state.first_seq], [2, 4]);
  });

  it("keeps a file stream consumer's reset position across a restart", async (t) => {
    const storeDir = tempDir(t, "js-reset-");
    {
      const server = createServer({ jetstream: { storeDir } });
      await server.listen();
      const nc = await server.connect();
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.File });
      for (let i = 1; i <= 5; i++) await jetstream(nc).publish(`orders.${i}`, "x");
      await jsm.consumers.add("ORDERS", { durable_name: "d", ack_policy: AckPolicy.Explicit });
      await jsm.consumers.reset("ORDERS", "d", 4);
      await nc.close();
      await server.close();
    }
    const server = createServer({ jetstream: { storeDir } });
    await server.listen();
    t.after(() => server.close());
    const nc = await server.connect();
    t.after(() => nc.close());
    const info = await (await jetstreamManager(nc)).consumers.info("ORDERS", "d");
    assert.deepEqual([info.delivered.stream_seq, info.ack_floor.stream_seq, info.num_pending], [3, 3, 2]);
    const m = await (await jetstream(nc).consumers.get("ORDERS", "d")).next({ expires: 1000 });
    assert.deepEqual([m?.seq, m?.info.deliverySequence], [4, 1]);
  });
});

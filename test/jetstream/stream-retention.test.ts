/**
 * Interest and work-queue retention with real consumers (the official client's pull
 * consumers): a message stays while some consumer still needs it and goes once none does.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AckPolicy, RetentionPolicy, StorageType, type JetStreamClient } from "@nats-io/jetstream";
import { startJetStream, TRANSPORTS } from "./stream-helpers.ts";

async function fetchAndAck(js: JetStreamClient, stream: string, consumer: string, count: number): Promise<number[]> {
  const c = await js.consumers.get(stream, consumer);
  const seqs: number[] = [];
  const batch = await c.fetch({ max_messages: count, expires: 2000 });
  for await (const m of batch) {
    seqs.push(m.seq);
    await m.ackAck();
    if (seqs.length === count) break;
  }
  return seqs;
}

for (const transport of TRANSPORTS) {
  describe(`stream retention (${transport})`, () => {
    it("interest: keeps a message until every interested consumer acked it", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "INT", subjects: ["int.*"], storage: StorageType.Memory, retention: RetentionPolicy.Interest });
      await jsm.consumers.add("INT", { durable_name: "all", ack_policy: AckPolicy.Explicit });
      await jsm.consumers.add("INT", { durable_name: "only-b", ack_policy: AckPolicy.Explicit, filter_subject: "int.b" });
      await js.publish("int.a", "1");
      await js.publish("int.b", "2");
      assert.equal((await jsm.streams.info("INT")).state.messages, 2);
      assert.deepEqual(await fetchAndAck(js, "INT", "all", 2), [1, 2]);
      // int.a had only "all" interested: gone. int.b waits for "only-b".
      let state = (await jsm.streams.info("INT")).state;
      assert.equal(state.messages, 1);
      assert.equal(state.first_seq, 2);
      assert.deepEqual(await fetchAndAck(js, "INT", "only-b", 1), [2]);
      state = (await jsm.streams.info("INT")).state;
      assert.equal(state.messages, 0);
      // Deleting the last consumer interested in waiting messages drops them.
      await js.publish("int.b", "3");
      assert.equal((await jsm.streams.info("INT")).state.messages, 1);
      await jsm.consumers.delete("INT", "only-b");
      await jsm.consumers.delete("INT", "all");
      assert.equal((await jsm.streams.info("INT")).state.messages, 0);
    });

    it("workqueue: a message goes once acked, and waits for a consumer", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "WQ", subjects: ["wq.*"], storage: StorageType.Memory, retention: RetentionPolicy.Workqueue });
      for (let i = 1; i <= 3; i++) await js.publish("wq.job", `${i}`);
      assert.equal((await jsm.streams.info("WQ")).state.messages, 3);
      await jsm.consumers.add("WQ", { durable_name: "worker", ack_policy: AckPolicy.Explicit });
      assert.deepEqual(await fetchAndAck(js, "WQ", "worker", 2), [1, 2]);
      const state = (await jsm.streams.info("WQ")).state;
      assert.equal(state.messages, 1);
      assert.equal(state.first_seq, 3);
    });
  });
}

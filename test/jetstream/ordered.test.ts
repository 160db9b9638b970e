/**
 * The official client's ordered consumers: the ordered pull consumer (`js.consumers.get(stream)`)
 * recreating itself after the server-side consumer went away, the ordered push consumer, and a
 * KV watch (an ordered push consumer with last_per_subject, flow control and heartbeats).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { startJetStream, TRANSPORTS } from "./stream-helpers.ts";

for (const transport of TRANSPORTS) {
  describe(`ordered consumers (${transport})`, () => {
    it("an ordered pull consumer reads in order and carries on after its consumer is deleted", async (t) => {
      const h = await startJetStream(t, transport);
      await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory });
      for (let i = 1; i <= 3; i++) await h.js.publish(`orders.${i}`, String(i));
      const c = await h.js.consumers.get("ORDERS");
      const messages = await c.consume({ idle_heartbeat: 500, expires: 2000 });
      const seqs: number[] = [];
      const resets: string[] = [];
      void (async () => {
        for await (const s of messages.status()) if (s.type === "ordered_consumer_recreated" || s.type === "reset") resets.push(s.type);
      })();
      const reading = (async () => {
        for await (const m of messages) {
          seqs.push(m.seq);
          assert.equal(m.info.deliveryCount, 1);
          if (seqs.length === 6) break;
        }
      })();
      for (let i = 0; i < 100 && seqs.length < 3; i++) await sleep(20);
      assert.deepEqual(seqs, [1, 2, 3]);
      const info = await c.info(true);
      assert.equal(info.config.ack_policy, "none");
      assert.equal(info.config.mem_storage, true);
      assert.equal(info.config.max_deliver, 1);
      // Take the server-side consumer away: the client notices and recreates it from seq 4.
      await h.jsm.consumers.delete("ORDERS", info.name);
      for (let i = 4; i <= 6; i++) await h.js.publish(`orders.${i}`, String(i));
      await reading;
      assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6], "in order, no duplicates, no gap");
      assert.ok(resets.length > 0, "the client recreated its consumer");
      await messages.close();
    });

    it("an ordered push consumer delivers everything in order", async (t) => {
      const h = await startJetStream(t, transport);
      await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory });
      for (let i = 1; i <= 20; i++) await h.js.publish(`orders.${i % 3}`, String(i));
      const c = await h.js.consumers.getPushConsumer("ORDERS", { filter_subjects: "orders.1" });
      const messages = await c.consume();
      const got: number[] = [];
      for await (const m of messages) {
        got.push(Number(m.string()));
        if (got.length === 7) break;
      }
      assert.deepEqual(got, [1, 4, 7, 10, 13, 16, 19]);
    });

    it("a KV watch gets the current values, then the updates", async (t) => {
      const h = await startJetStream(t, transport);
      const kv = await new Kvm(h.nc).create("cfg", { history: 3, storage: StorageType.Memory });
      await kv.put("a", "1");
      await kv.put("b", "1");
      await kv.put("a", "2");
      const watch = await kv.watch();
      const seen: string[] = [];
      const reading = (async () => {
        for await (const e of watch) {
          seen.push(`${e.key}=${e.string()}:${e.operation}`);
          if (seen.length === 4) break;
        }
      })();
      for (let i = 0; i < 100 && seen.length < 2; i++) await sleep(20);
      assert.deepEqual(seen, ["b=1:PUT", "a=2:PUT"]);
      await kv.put("c", "3");
      await kv.delete("b");
      await reading;
      assert.deepEqual(seen.slice(2), ["c=3:PUT", "b=:DEL"]);
      const keys: string[] = [];
      for await (const k of await kv.keys()) keys.push(k);
      assert.deepEqual(keys.sort(), ["a", "c"]);
      const history: string[] = [];
      for await (const e of await kv.history({ key: "a" })) history.push(e.string());
      assert.deepEqual(history, ["1", "2"]);
    });
  });
}

/**
 * Push consumers: delivery to `deliver_subject` (only while someone listens), queue groups with
 * `deliver_group`, flow control (the window stalls delivery until the client answers), idle
 * heartbeats (with Nats-Consumer-Stalled while stalled), headers_only, and the official
 * client's push consumer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, ReplayPolicy, StorageType } from "@nats-io/jetstream";
import { createInbox, headers, type Msg } from "@nats-io/nats-core";
import { startJetStream, TRANSPORTS, type JsHarness } from "./stream-helpers.ts";
import { eventually } from "../helpers/broker.ts";

const NS_PER_MS = 1_000_000;

async function ordersStream(h: JsHarness): Promise<void> {
  await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory });
}

function isStatus(m: Msg, code: number): boolean {
  return m.headers?.code === code;
}

for (const transport of TRANSPORTS) {
  describe(`push consumers (${transport})`, () => {
    it("delivers to the deliver subject with the original subjects, once someone subscribes", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      for (let i = 1; i <= 3; i++) await h.js.publish(`orders.${i}`, `m${i}`);
      const deliver = createInbox();
      await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit, deliver_subject: deliver });
      assert.equal((await h.jsm.consumers.info("ORDERS", "p")).push_bound, undefined, "nobody listens yet");
      const c = await h.js.consumers.getPushConsumer("ORDERS", "p");
      const messages = await c.consume();
      const seen: string[] = [];
      const done = (async () => {
        for await (const m of messages) {
          seen.push(`${m.subject}:${m.string()}`);
          m.ack();
          if (seen.length === 4) break;
        }
      })();
      await eventually(() => seen.length === 3, "the stored messages");
      assert.equal((await h.jsm.consumers.info("ORDERS", "p")).push_bound, true);
      await h.js.publish("orders.4", "m4");
      await done;
      assert.deepEqual(seen, ["orders.1:m1", "orders.2:m2", "orders.3:m3", "orders.4:m4"]);
      for (let i = 0; i < 50 && (await h.jsm.consumers.info("ORDERS", "p")).num_ack_pending > 0; i++) await sleep(20);
      assert.equal((await h.jsm.consumers.info("ORDERS", "p")).num_ack_pending, 0);
    });

    it("splits a deliver_group between queue subscribers, each message once", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      const deliver = createInbox();
      const got: Record<string, string[]> = { a: [], b: [] };
      for (const member of ["a", "b"] as const) {
        h.nc.subscribe(deliver, { queue: "workers", callback: (_e, m) => {
          got[member]!.push(m.string());
          m.respond("+ACK");
        } });
      }
      await h.nc.flush();
      await h.jsm.consumers.add("ORDERS", { durable_name: "q", ack_policy: AckPolicy.Explicit, deliver_subject: deliver, deliver_group: "workers" });
      for (let i = 0; i < 40; i++) await h.js.publish(`orders.${i}`, String(i));
      await eventually(() => got.a!.length + got.b!.length === 40, "every message once");
      assert.ok(got.a!.length > 0 && got.b!.length > 0, `both members got some: ${got.a!.length}/${got.b!.length}`);
      const all = [...got.a!, ...got.b!].map(Number).sort((x, y) => x - y);
      assert.deepEqual(all, Array.from({ length: 40 }, (_, i) => i));
    });

    it("stalls under flow control until the client answers, and says so in heartbeats", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      const chunk = "x".repeat(64 * 1024);
      for (let i = 0; i < 48; i++) await h.js.publish(`orders.${i}`, chunk);
      const deliver = createInbox();
      const data: Msg[] = [];
      const flowControl: Msg[] = [];
      const heartbeats: Msg[] = [];
      let answer = false;
      h.nc.subscribe(deliver, {
        callback: (_e, m) => {
          if (isStatus(m, 100) && m.headers!.description === "FlowControl Request") {
            flowControl.push(m);
            if (answer) m.respond();
          } else if (isStatus(m, 100)) heartbeats.push(m);
          else data.push(m);
        },
      });
      await h.nc.flush();
      await h.jsm.consumers.add("ORDERS", {
        durable_name: "fc",
        ack_policy: AckPolicy.None,
        deliver_subject: deliver,
        flow_control: true,
        idle_heartbeat: 300 * NS_PER_MS,
      });
      await eventually(() => flowControl.length > 0, "a flow control request");
      await sleep(700);
      const stalledAt = data.length;
      assert.ok(stalledAt < 48, `delivery stalled before the end: ${stalledAt}`);
      assert.ok(heartbeats.length > 0, "heartbeats while stalled");
      const stalled = heartbeats.at(-1)!.headers!;
      assert.equal(stalled.description, "Idle Heartbeat");
      assert.equal(stalled.get("Nats-Consumer-Stalled"), flowControl[0]!.reply);
      assert.equal(stalled.get("Nats-Last-Stream"), String(stalledAt));
      // Answering (as nats.js does, on the stalled subject or the request's reply) resumes delivery.
      answer = true;
      h.nc.publish(flowControl[0]!.reply!, "");
      await eventually(() => data.length === 48, `everything after answering (${data.length})`);
      assert.deepEqual(data.map((m) => m.subject), Array.from({ length: 48 }, (_, i) => `orders.${i}`));
    });

    it("works with the official client's push consumer, flow control and heartbeats", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      const chunk = "y".repeat(32 * 1024);
      for (let i = 0; i < 100; i++) await h.js.publish(`orders.${i}`, chunk);
      await h.jsm.consumers.add("ORDERS", {
        durable_name: "client",
        ack_policy: AckPolicy.Explicit,
        deliver_subject: createInbox(),
        flow_control: true,
        idle_heartbeat: 500 * NS_PER_MS,
      });
      const c = await h.js.consumers.getPushConsumer("ORDERS", "client");
      const messages = await c.consume();
      const events: string[] = [];
      void (async () => {
        for await (const s of messages.status()) events.push(s.type);
      })();
      let count = 0;
      for await (const m of messages) {
        m.ack();
        if (++count === 100) break;
      }
      assert.equal(count, 100);
      assert.ok(events.includes("flow_control"), `events: ${[...new Set(events)].join(",")}`);
    });

    it("sends idle heartbeats to an idle push consumer", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      await h.js.publish("orders.1", "one");
      const deliver = createInbox();
      const got: Msg[] = [];
      h.nc.subscribe(deliver, { callback: (_e, m) => void got.push(m) });
      await h.nc.flush();
      await h.jsm.consumers.add("ORDERS", { durable_name: "hb", ack_policy: AckPolicy.None, deliver_subject: deliver, idle_heartbeat: 200 * NS_PER_MS });
      await eventually(() => got.filter((m) => isStatus(m, 100)).length >= 2, "two heartbeats");
      const hb = got.find((m) => isStatus(m, 100))!;
      assert.equal(got[0]!.string(), "one");
      assert.equal(hb.headers!.description, "Idle Heartbeat");
      assert.equal(hb.headers!.get("Nats-Last-Consumer"), "1");
      assert.equal(hb.headers!.get("Nats-Last-Stream"), "1");
      assert.equal(hb.subject, deliver);
      await assert.rejects(
        h.jsm.consumers.add("ORDERS", { durable_name: "small", ack_policy: AckPolicy.None, deliver_subject: createInbox(), idle_heartbeat: 50 * NS_PER_MS }),
        /consumer idle heartbeat needs to be >= 100ms/,
      );
    });

    it("headers_only sends the headers and Nats-Msg-Size, no payload", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      const hdrs = headers();
      hdrs.set("X-Kind", "test");
      await h.js.publish("orders.1", "twelve bytes", { headers: hdrs });
      await h.js.publish("orders.2", "plain");
      const deliver = createInbox();
      const got: Msg[] = [];
      h.nc.subscribe(deliver, { callback: (_e, m) => void got.push(m) });
      await h.nc.flush();
      await h.jsm.consumers.add("ORDERS", { durable_name: "ho", ack_policy: AckPolicy.None, deliver_subject: deliver, headers_only: true });
      await eventually(() => got.length === 2, "both messages");
      assert.equal(got[0]!.data.length, 0);
      assert.equal(got[0]!.headers!.get("X-Kind"), "test");
      assert.equal(got[0]!.headers!.get("Nats-Msg-Size"), "12");
      assert.equal(got[1]!.headers!.get("Nats-Msg-Size"), "5");
    });

    it("replay_policy original keeps the stored gaps between messages", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      for (let i = 1; i <= 3; i++) {
        await h.js.publish(`orders.${i}`, String(i));
        await sleep(250);
      }
      const deliver = createInbox();
      const arrivals: number[] = [];
      h.nc.subscribe(deliver, { callback: () => void arrivals.push(Date.now()) });
      await h.nc.flush();
      await h.jsm.consumers.add("ORDERS", { durable_name: "r", ack_policy: AckPolicy.None, deliver_subject: deliver, replay_policy: ReplayPolicy.Original });
      await eventually(() => arrivals.length === 3, "three messages");
      assert.ok(arrivals[1]! - arrivals[0]! >= 200, `first gap ${arrivals[1]! - arrivals[0]!}`);
      assert.ok(arrivals[2]! - arrivals[1]! >= 200, `second gap ${arrivals[2]! - arrivals[1]!}`);
    });

    it("rate_limit_bps spaces deliveries out after the burst", async (t) => {
      const h = await startJetStream(t, transport);
      await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory, max_msg_size: 1000 });
      for (let i = 1; i <= 5; i++) await h.js.publish(`orders.${i}`, "z".repeat(490));
      const deliver = createInbox();
      const arrivals: number[] = [];
      h.nc.subscribe(deliver, { callback: () => void arrivals.push(Date.now()) });
      await h.nc.flush();
      // 2000 bytes a second with a 1000-byte burst: two messages at once, then one every ~250 ms.
      await h.jsm.consumers.add("ORDERS", { durable_name: "slow", ack_policy: AckPolicy.None, deliver_subject: deliver, rate_limit_bps: 16_000 });
      await eventually(() => arrivals.length === 5, "five messages");
      assert.ok(arrivals[4]! - arrivals[0]! >= 600, `spread over ${arrivals[4]! - arrivals[0]!} ms`);
      assert.ok(arrivals[1]! - arrivals[0]! < 200, "the burst goes at once");
    });

    it("deletes an ephemeral push consumer nobody listens to after inactive_threshold", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      const deliver = createInbox();
      const sub = h.nc.subscribe(deliver, { callback: () => undefined });
      await h.nc.flush();
      const ci = await h.jsm.consumers.add("ORDERS", { ack_policy: AckPolicy.None, deliver_subject: deliver, inactive_threshold: 300 * NS_PER_MS });
      assert.equal(ci.config.durable_name, undefined);
      assert.match(ci.name, /^[0-9A-Za-z]{8}$/);
      await sleep(500);
      assert.equal((await h.jsm.consumers.info("ORDERS", ci.name)).push_bound, true, "kept while bound");
      sub.unsubscribe();
      await h.nc.flush();
      let gone = false;
      for (let i = 0; i < 40 && !gone; i++) {
        await sleep(50);
        gone = (await h.jsm.consumers.list("ORDERS").next()).every((c) => c.name !== ci.name);
      }
      assert.ok(gone, "deleted once unbound past the threshold");
    });
  });
}

/**
 * Pull consumers through the official client (`@nats-io/jetstream`), in-process and over TCP:
 * fetch, next and consume with acks; the status messages of MSG.NEXT (404, 408, 409, heartbeats)
 * on a raw inbox; redelivery after ack_wait, nak (with delay), term, working, max_deliver,
 * backoff, max_ack_pending, ack_all; filters and every deliver policy.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, DeliverPolicy, StorageType, type JsMsg } from "@nats-io/jetstream";
import { createInbox, type Msg } from "@nats-io/nats-core";
import { startJetStream, TRANSPORTS, type JsHarness } from "./stream-helpers.ts";

const NS_PER_MS = 1_000_000;

async function withStream(h: JsHarness, count: number, subject = (i: number) => `orders.${i}`): Promise<void> {
  await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory });
  for (let i = 1; i <= count; i++) await h.js.publish(subject(i), `m${i}`);
}

/** The official client's fetch (its shortest expiry is one second). */
async function fetchAll(h: JsHarness, name: string, max: number, expires = 1000): Promise<JsMsg[]> {
  const c = await h.js.consumers.get("ORDERS", name);
  const out: JsMsg[] = [];
  for await (const m of await c.fetch({ max_messages: max, expires })) out.push(m);
  return out;
}

/** Sends a raw MSG.NEXT and collects what comes back to the inbox until `until` says stop. */
async function rawPull(h: JsHarness, consumer: string, body: string, until: (msgs: Msg[]) => boolean, timeoutMs = 3000): Promise<Msg[]> {
  const inbox = createInbox();
  const got: Msg[] = [];
  const sub = h.nc.subscribe(inbox, { callback: (_e, m) => void got.push(m) });
  await h.nc.flush();
  h.nc.publish(`$JS.API.CONSUMER.MSG.NEXT.ORDERS.${consumer}`, body, { reply: inbox });
  const deadline = Date.now() + timeoutMs;
  while (!until(got) && Date.now() < deadline) await sleep(10);
  sub.unsubscribe();
  return got;
}

/** What a no_wait pull gets right now: the stream sequences and delivery counts from the ack subjects. */
async function available(h: JsHarness, consumer: string, batch = 10): Promise<Array<{ seq: number; count: number; msg: Msg }>> {
  const got = await rawPull(h, consumer, JSON.stringify({ batch, no_wait: true }), (m) => m.length >= batch || m.some((x) => (x.headers?.code ?? 0) >= 400));
  return got
    .filter((m) => m.reply !== undefined && m.reply.startsWith("$JS.ACK."))
    .map((m) => {
      const tokens = m.reply!.split(".");
      return { seq: Number(tokens[5]), count: Number(tokens[4]), msg: m };
    });
}

/** The sequences of info's `delivered` or `ack_floor`, without `last_active`. */
function seqs(info: { consumer_seq: number; stream_seq: number }): { consumer_seq: number; stream_seq: number } {
  return { consumer_seq: info.consumer_seq, stream_seq: info.stream_seq };
}

function statusOf(m: Msg): string {
  return m.headers === undefined ? "" : `${m.headers.code} ${m.headers.description}`;
}

for (const transport of TRANSPORTS) {
  describe(`pull consumers (${transport})`, () => {
    it("fetches with acks and reports delivered, ack floor and pending", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 5);
      const ci = await h.jsm.consumers.add("ORDERS", { durable_name: "proc", ack_policy: AckPolicy.Explicit });
      assert.equal(ci.config.ack_wait, 30_000 * NS_PER_MS);
      assert.equal(ci.config.max_deliver, -1);
      assert.equal(ci.config.max_waiting, 512);
      assert.equal(ci.config.max_ack_pending, 1000);
      assert.equal(ci.config.replay_policy, "instant");
      assert.equal(ci.num_pending, 5);
      const msgs = await fetchAll(h, "proc", 3);
      assert.deepEqual(msgs.map((m) => m.subject), ["orders.1", "orders.2", "orders.3"]);
      assert.deepEqual(msgs.map((m) => m.string()), ["m1", "m2", "m3"]);
      assert.deepEqual(msgs.map((m) => m.info.pending), [4, 3, 2]);
      assert.deepEqual(msgs.map((m) => m.info.deliverySequence), [1, 2, 3]);
      assert.equal(msgs[0]!.info.stream, "ORDERS");
      assert.equal(msgs[0]!.info.consumer, "proc");
      assert.equal(msgs[0]!.info.deliveryCount, 1);
      assert.match((msgs[0] as unknown as { msg: Msg }).msg.reply!, /^\$JS\.ACK\.ORDERS\.proc\.1\.1\.1\.\d+\.4$/);
      let info = await h.jsm.consumers.info("ORDERS", "proc");
      assert.equal(info.num_ack_pending, 3);
      assert.deepEqual(seqs(info.delivered), { consumer_seq: 3, stream_seq: 3 });
      assert.deepEqual(seqs(info.ack_floor), { consumer_seq: 0, stream_seq: 0 });
      // Acking out of order: the floor moves only once the lowest is acked.
      assert.equal(await msgs[1]!.ackAck(), true);
      info = await h.jsm.consumers.info("ORDERS", "proc");
      assert.deepEqual(seqs(info.ack_floor), { consumer_seq: 0, stream_seq: 0 });
      await msgs[0]!.ackAck();
      info = await h.jsm.consumers.info("ORDERS", "proc");
      assert.deepEqual(seqs(info.ack_floor), { consumer_seq: 2, stream_seq: 2 });
      await msgs[2]!.ackAck();
      info = await h.jsm.consumers.info("ORDERS", "proc");
      assert.deepEqual(seqs(info.ack_floor), { consumer_seq: 3, stream_seq: 3 });
      assert.equal(info.num_ack_pending, 0);
      assert.equal(info.num_pending, 2);
      // When it last delivered and was last acked, as nats-server's SequenceInfo.last_active.
      assert.match(String(info.delivered.last_active), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.match(String(info.ack_floor.last_active), /Z$/);
    });

    it("next() and consume() with acks, including messages published while waiting", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 2);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit });
      const c = await h.js.consumers.get("ORDERS", "c");
      const first = await c.next({ expires: 1000 });
      assert.equal(first?.string(), "m1");
      first!.ack();
      const seen: string[] = [];
      const messages = await c.consume({ max_messages: 10, expires: 1000 });
      const done = (async () => {
        for await (const m of messages) {
          seen.push(m.string());
          m.ack();
          if (seen.length === 4) break;
        }
      })();
      await sleep(50);
      await h.js.publish("orders.x", "late1");
      await h.js.publish("orders.y", "late2");
      await h.js.publish("orders.z", "late3");
      await done;
      assert.deepEqual(seen, ["m2", "late1", "late2", "late3"]);
      const info = await c.info();
      assert.equal(info.num_pending, 0);
      // The acks may still be on their way: wait for the last.
      for (let i = 0; i < 50 && (await c.info()).num_ack_pending > 0; i++) await sleep(20);
      assert.equal((await c.info()).num_ack_pending, 0);
    });

    it("answers no_wait with 404 No Messages and an expired request with 408 and what it still wanted", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 0);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit });
      const noWait = await rawPull(h, "c", JSON.stringify({ batch: 5, no_wait: true }), (m) => m.length > 0);
      assert.deepEqual(noWait.map(statusOf), ["404 No Messages"]);
      const expired = await rawPull(h, "c", JSON.stringify({ batch: 5, expires: 200 * NS_PER_MS }), (m) => m.length > 0);
      assert.deepEqual(expired.map(statusOf), ["408 Request Timeout"]);
      assert.equal(expired[0]!.headers!.get("Nats-Pending-Messages"), "5");
      assert.equal(expired[0]!.headers!.get("Nats-Pending-Bytes"), "0");
      // The official client sees an empty fetch, not an error.
      const msgs = await fetchAll(h, "c", 3);
      assert.equal(msgs.length, 0);
    });

    it("no_wait delivers what there is, then ends with 408 and what it still wanted (as nats-server 2.9.10)", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 2);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.None });
      const got = await rawPull(h, "c", JSON.stringify({ batch: 5, no_wait: true }), (m) => m.some((x) => x.headers?.code === 408));
      assert.deepEqual(got.map((m) => (m.headers?.code === 408 ? statusOf(m) : m.string())), ["m1", "m2", "408 Request Timeout"]);
      assert.equal(got[2]!.headers!.get("Nats-Pending-Messages"), "3");
      assert.equal(got[0]!.subject, "orders.1");
    });

    it("sends idle heartbeats with the last sequences while a request waits", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 1);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.None });
      const got = await rawPull(
        h,
        "c",
        JSON.stringify({ batch: 5, expires: 700 * NS_PER_MS, idle_heartbeat: 150 * NS_PER_MS }),
        (m) => m.some((x) => x.headers?.code === 408),
      );
      const heartbeats = got.filter((m) => m.headers?.code === 100);
      assert.ok(heartbeats.length >= 2, `heartbeats: ${heartbeats.length}`);
      assert.equal(heartbeats[0]!.headers!.description, "Idle Heartbeat");
      assert.equal(heartbeats[0]!.headers!.get("Nats-Last-Consumer"), "1");
      assert.equal(heartbeats[0]!.headers!.get("Nats-Last-Stream"), "1");
      assert.equal(got[0]!.string(), "m1");
      const timeout = got.at(-1)!;
      assert.equal(statusOf(timeout), "408 Request Timeout");
      assert.equal(timeout.headers!.get("Nats-Pending-Messages"), "4");
      // A heartbeat longer than half the expiry is refused.
      const bad = await rawPull(h, "c", JSON.stringify({ batch: 1, expires: 100 * NS_PER_MS, idle_heartbeat: 80 * NS_PER_MS }), (m) => m.length > 0);
      assert.equal(statusOf(bad[0]!), "400 Bad Request - heartbeat value too large");
    });

    it("stops at max_bytes: 409 when the next message does not fit", async (t) => {
      const h = await startJetStream(t, transport);
      await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory });
      await h.js.publish("orders.a", "x".repeat(100));
      await h.js.publish("orders.b", "y".repeat(100));
      await h.js.publish("orders.c", "z".repeat(1000));
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.None });
      const got = await rawPull(h, "c", JSON.stringify({ batch: 10, max_bytes: 600, expires: 1000 * NS_PER_MS }), (m) => m.some((x) => (x.headers?.code ?? 0) >= 400));
      const data = got.filter((m) => m.headers?.code === undefined || m.headers.code === 0);
      assert.deepEqual(data.map((m) => m.subject), ["orders.a", "orders.b"]);
      const last = got.at(-1)!;
      assert.equal(statusOf(last), "409 Message Size Exceeds MaxBytes");
      assert.equal(last.headers!.get("Nats-Pending-Messages"), "8");
      // The client's fetch by bytes gets everything that fits, then ends at its expiry.
      await h.jsm.consumers.add("ORDERS", { durable_name: "d", ack_policy: AckPolicy.None });
      const c = await h.js.consumers.get("ORDERS", "d");
      const subjects: string[] = [];
      for await (const m of await c.fetch({ max_bytes: 4000, expires: 1000 })) subjects.push(m.subject);
      assert.deepEqual(subjects, ["orders.a", "orders.b", "orders.c"]);
    });

    it("refuses requests beyond max_waiting with 409 Exceeded MaxWaiting, and answers a push consumer with 409", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 0);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit, max_waiting: 1 });
      const inbox = createInbox();
      const sub = h.nc.subscribe(inbox);
      await h.nc.flush();
      h.nc.publish("$JS.API.CONSUMER.MSG.NEXT.ORDERS.c", JSON.stringify({ batch: 1, expires: 2000 * NS_PER_MS }), { reply: inbox });
      await h.nc.flush();
      const second = await rawPull(h, "c", JSON.stringify({ batch: 1, expires: 2000 * NS_PER_MS }), (m) => m.length > 0);
      assert.equal(statusOf(second[0]!), "409 Exceeded MaxWaiting");
      const info = await h.jsm.consumers.info("ORDERS", "c");
      assert.equal(info.num_waiting, 1);
      sub.unsubscribe();
      await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit, deliver_subject: createInbox() });
      const push = await rawPull(h, "p", "1", (m) => m.length > 0);
      assert.equal(statusOf(push[0]!), "409 Consumer is push based");
    });

    it("redelivers after ack_wait, with the delivery count and redelivered state", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 1);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 300 * NS_PER_MS });
      const [first] = await fetchAll(h, "c", 1);
      assert.equal(first!.redelivered, false);
      const again = await fetchAll(h, "c", 1, 2000);
      assert.equal(again.length, 1);
      assert.equal(again[0]!.seq, 1);
      assert.equal(again[0]!.redelivered, true);
      assert.equal(again[0]!.info.deliveryCount, 2);
      assert.equal(again[0]!.info.deliverySequence, 2);
      const info = await h.jsm.consumers.info("ORDERS", "c");
      assert.equal(info.num_redelivered, 1);
      assert.equal(info.num_ack_pending, 1);
      await again[0]!.ackAck();
      const after = await h.jsm.consumers.info("ORDERS", "c");
      assert.equal(after.num_ack_pending, 0);
      assert.equal(after.num_redelivered, 0);
      assert.deepEqual(seqs(after.ack_floor), { consumer_seq: 2, stream_seq: 1 });
    });

    it("nak redelivers at once, nak with delay later, and redelivered messages come first", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 3);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit });
      const [m1] = await fetchAll(h, "c", 1);
      m1!.nak();
      const next = await fetchAll(h, "c", 2);
      assert.deepEqual(next.map((m) => m.seq), [1, 2]);
      assert.equal(next[0]!.info.deliveryCount, 2);
      const started = Date.now();
      next[0]!.nak(400);
      next[1]!.ack();
      const soon = await available(h, "c");
      assert.deepEqual(soon.map((m) => m.seq), [3], "the delayed nak is not back yet");
      soon[0]!.msg.respond("+ACK");
      const later = await fetchAll(h, "c", 1, 2000);
      assert.deepEqual(later.map((m) => m.seq), [1]);
      assert.ok(Date.now() - started >= 350, "came back after the delay");
      assert.equal(later[0]!.info.deliveryCount, 3);
    });

    it("term stops redelivery, working resets the ack timer", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 2);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 400 * NS_PER_MS });
      const [m1, m2] = await fetchAll(h, "c", 2);
      m1!.term("bad data");
      // Keep m2 alive past its ack_wait with progress reports.
      for (let i = 0; i < 4; i++) {
        await sleep(150);
        m2!.working();
      }
      const none = await available(h, "c");
      assert.equal(none.length, 0, "nothing redelivered: m1 terminated, m2 in progress");
      await m2!.ackAck();
      const info = await h.jsm.consumers.info("ORDERS", "c");
      assert.equal(info.num_ack_pending, 0);
      assert.deepEqual(seqs(info.ack_floor), { consumer_seq: 2, stream_seq: 2 });
    });

    it("max_deliver stops redelivering, backoff spaces the deliveries", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 1);
      await h.jsm.consumers.add("ORDERS", {
        durable_name: "c",
        ack_policy: AckPolicy.Explicit,
        max_deliver: 3,
        backoff: [100 * NS_PER_MS, 300 * NS_PER_MS],
      });
      const ci = await h.jsm.consumers.info("ORDERS", "c");
      assert.equal(ci.config.ack_wait, 100 * NS_PER_MS, "ack_wait is the first backoff");
      const c = await h.js.consumers.get("ORDERS", "c");
      const times: number[] = [];
      const start = Date.now();
      const messages = await c.consume({ max_messages: 10, expires: 1000 });
      const collect = (async () => {
        for await (const m of messages) {
          times.push(Date.now() - start);
          assert.equal(m.info.deliveryCount, times.length);
        }
      })();
      await sleep(1500);
      await messages.close();
      await collect;
      assert.equal(times.length, 3, `delivered at ${times.join(",")}`);
      assert.ok(times[1]! >= 90, `second after the first backoff: ${times[1]}`);
      assert.ok(times[2]! - times[1]! >= 280, `third after the second backoff: ${times[2]! - times[1]!}`);
      const info = await c.info();
      assert.equal(info.num_ack_pending, 0);
      assert.equal(info.num_redelivered, 1);
      // Backoff longer than max_deliver is refused.
      await assert.rejects(
        h.jsm.consumers.add("ORDERS", { durable_name: "bad", ack_policy: AckPolicy.Explicit, max_deliver: 1, backoff: [1e8, 2e8] }),
        /max deliver is required to be > length of backoff values/,
      );
    });

    it("stops delivering at max_ack_pending until acks come", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 5);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit, max_ack_pending: 2 });
      const first = await rawPull(h, "c", JSON.stringify({ batch: 5, expires: 300 * NS_PER_MS }), (m) => m.some((x) => x.headers?.code === 408));
      const data = first.filter((m) => m.headers === undefined);
      assert.equal(data.length, 2, "only two outstanding at a time");
      assert.equal((await h.jsm.consumers.info("ORDERS", "c")).num_ack_pending, 2);
      data[0]!.respond("+ACK");
      data[1]!.respond("+ACK");
      await h.nc.flush();
      const second = await available(h, "c", 5);
      assert.deepEqual(second.map((m) => m.seq), [3, 4]);
    });

    it("forgets unacknowledged deliveries the stream purged, and keeps num_pending right", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 4);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit, max_ack_pending: 2 });
      const first = await available(h, "c", 2);
      assert.equal(first.length, 2);
      let info = await h.jsm.consumers.info("ORDERS", "c");
      assert.equal(info.num_ack_pending, 2);
      assert.equal(info.num_pending, 2);
      await h.jsm.streams.purge("ORDERS", { seq: 4 });
      info = await h.jsm.consumers.info("ORDERS", "c");
      assert.equal(info.num_ack_pending, 0, "the purged deliveries are owed no more");
      assert.equal(info.num_pending, 1);
      assert.deepEqual(seqs(info.ack_floor), { consumer_seq: 2, stream_seq: 2 });
      const rest = await available(h, "c");
      assert.deepEqual(rest.map((m) => m.seq), [4], "max_ack_pending no longer blocks");
    });

    it("ack_all acknowledges everything up to the message", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 4);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.All });
      const msgs = await fetchAll(h, "c", 4);
      await msgs[2]!.ackAck();
      let info = await h.jsm.consumers.info("ORDERS", "c");
      assert.equal(info.num_ack_pending, 1);
      assert.deepEqual(seqs(info.ack_floor), { consumer_seq: 3, stream_seq: 3 });
      await msgs[3]!.ackAck();
      info = await h.jsm.consumers.info("ORDERS", "c");
      assert.equal(info.num_ack_pending, 0);
    });

    it("filters by filter_subject and filter_subjects", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 6, (i) => `orders.${["a", "b", "c"][i % 3]}.${i}`);
      await h.jsm.consumers.add("ORDERS", { durable_name: "one", ack_policy: AckPolicy.None, filter_subject: "orders.a.*" });
      await h.jsm.consumers.add("ORDERS", { durable_name: "two", ack_policy: AckPolicy.None, filter_subjects: ["orders.b.*", "orders.c.*"] });
      const one = await available(h, "one");
      assert.deepEqual(one.map((m) => m.msg.subject), ["orders.a.3", "orders.a.6"]);
      const two = await available(h, "two");
      assert.deepEqual(two.map((m) => m.msg.subject), ["orders.b.1", "orders.c.2", "orders.b.4", "orders.c.5"]);
      assert.equal((await h.jsm.consumers.info("ORDERS", "two")).num_pending, 0);
      await assert.rejects(
        h.jsm.consumers.add("ORDERS", { durable_name: "bad", ack_policy: AckPolicy.None, filter_subjects: ["orders.>", "orders.a.*"] }),
        /consumer subject filters cannot overlap/,
      );
    });

    it("starts where each deliver policy says", async (t) => {
      const h = await startJetStream(t, transport);
      await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory });
      await h.js.publish("orders.a", "a1");
      await h.js.publish("orders.b", "b1");
      await sleep(20);
      const middle = new Date().toISOString();
      await sleep(20);
      await h.js.publish("orders.a", "a2");
      await h.js.publish("orders.b", "b2");
      const cases: Array<[string, Record<string, unknown>, string[]]> = [
        ["all", { deliver_policy: DeliverPolicy.All }, ["a1", "b1", "a2", "b2"]],
        ["last", { deliver_policy: DeliverPolicy.Last }, ["b2"]],
        ["last-filtered", { deliver_policy: DeliverPolicy.Last, filter_subject: "orders.a" }, ["a2"]],
        ["new", { deliver_policy: DeliverPolicy.New }, ["new"]],
        ["seq", { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 3 }, ["a2", "b2"]],
        ["time", { deliver_policy: DeliverPolicy.StartTime, opt_start_time: middle }, ["a2", "b2"]],
        ["lps", { deliver_policy: DeliverPolicy.LastPerSubject, filter_subject: "orders.>" }, ["a2", "b2"]],
      ];
      for (const [name, config] of cases) await h.jsm.consumers.add("ORDERS", { durable_name: name, ack_policy: AckPolicy.None, ...config });
      await h.js.publish("orders.c", "new");
      for (const [name, , expected] of cases) {
        const got = await available(h, name);
        // "new" went to orders.c: every consumer but the orders.a one gets it.
        const wanted = name === "new" || name === "last-filtered" ? expected : [...expected, "new"];
        assert.deepEqual(got.map((m) => m.msg.string()), wanted, name);
      }
      await assert.rejects(
        h.jsm.consumers.add("ORDERS", { durable_name: "x", ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.StartSequence }),
        /consumer delivery policy is deliver by start sequence, but optional start sequence is not set/,
      );
    });

    it("+NXT acks and asks for the next message in one go", async (t) => {
      const h = await startJetStream(t, transport);
      await withStream(h, 2);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit });
      const [m1] = await fetchAll(h, "c", 1);
      const inbox = createInbox();
      const got: Msg[] = [];
      const sub = h.nc.subscribe(inbox, { callback: (_e, m) => void got.push(m) });
      await h.nc.flush();
      m1!.next(inbox, { batch: 1 });
      for (let i = 0; i < 100 && got.length === 0; i++) await sleep(10);
      sub.unsubscribe();
      assert.equal(got[0]?.string(), "m2");
      const info = await h.jsm.consumers.info("ORDERS", "c");
      assert.equal(info.num_ack_pending, 1, "m1 acked, m2 pending");
      assert.deepEqual(seqs(info.ack_floor), { consumer_seq: 1, stream_seq: 1 });
    });
  });
}

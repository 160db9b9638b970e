/**
 * The consumer API (`$JS.API.CONSUMER.>`): the three CREATE forms, create/update actions and
 * the update rules, INFO/NAMES/LIST/DELETE, nats-server's error codes, work-queue and interest
 * retention, the inactivity threshold of ephemerals, and durables that resume after a client
 * reconnects and after a broker restart with file storage.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, DeliverPolicy, JetStreamApiError, RetentionPolicy, StorageType, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createServer } from "../../src/index.ts";
import { startJetStream, tempDir, TRANSPORTS, type JsHarness } from "./stream-helpers.ts";

const NS_PER_MS = 1_000_000;

async function ordersStream(h: JsHarness, retention: RetentionPolicy = RetentionPolicy.Limits): Promise<void> {
  await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory, retention });
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; err_code: number; description: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof JetStreamApiError) {
      const { code, err_code, description } = err.apiError();
      return { code, err_code, description };
    }
    throw err;
  }
  throw new Error("expected an API error");
}

for (const transport of TRANSPORTS) {
  describe(`consumer API (${transport})`, () => {
    it("creates with the current subject form, and with the legacy ephemeral and durable forms", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      const named = await h.request(
        "$JS.API.CONSUMER.CREATE.ORDERS.byname.orders.a",
        JSON.stringify({ stream_name: "ORDERS", config: { name: "byname", filter_subject: "orders.a", ack_policy: "explicit" } }),
      );
      assert.equal(named.json["type"], "io.nats.jetstream.api.v1.consumer_create_response");
      assert.equal(named.json["name"], "byname");
      assert.equal(named.json["stream_name"], "ORDERS");
      const config = named.json["config"] as Record<string, unknown>;
      assert.equal(config["inactive_threshold"], 5_000 * NS_PER_MS, "ephemerals get nats-server's 5s threshold");
      assert.equal(config["filter_subject"], "orders.a");
      assert.equal(config["num_replicas"], 0);
      assert.match(String(named.json["created"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      const ephemeral = await h.request("$JS.API.CONSUMER.CREATE.ORDERS", JSON.stringify({ stream_name: "ORDERS", config: { ack_policy: "none", deliver_subject: "dlv.x" } }));
      assert.match(String(ephemeral.json["name"]), /^[0-9A-Za-z]{8}$/);
      const durable = await h.request(
        "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.old",
        JSON.stringify({ stream_name: "ORDERS", config: { durable_name: "old", ack_policy: "explicit" } }),
      );
      assert.equal(durable.json["name"], "old");
      assert.equal((durable.json["config"] as Record<string, unknown>)["inactive_threshold"], undefined, "durables have none");
      const names = await h.jsm.consumers.list("ORDERS").next();
      assert.equal(names.length, 3);
    });

    it("answers bad create requests with nats-server's error codes", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      const err = async (subject: string, body: unknown): Promise<unknown> => (await h.request(subject, typeof body === "string" ? body : JSON.stringify(body))).json["error"];
      assert.deepEqual(await err("$JS.API.CONSUMER.CREATE.NOPE.x", { stream_name: "NOPE", config: { ack_policy: "none" } }), {
        code: 404,
        err_code: 10059,
        description: "stream not found",
      });
      assert.equal(((await err("$JS.API.CONSUMER.CREATE.ORDERS.x", "{not json")) as { err_code: number }).err_code, 10025);
      assert.deepEqual(await err("$JS.API.CONSUMER.CREATE.ORDERS.x", { stream_name: "OTHER", config: {} }), {
        code: 400,
        err_code: 10056,
        description: "stream name in subject does not match request",
      });
      assert.deepEqual(await err("$JS.API.CONSUMER.CREATE.ORDERS.x", { stream_name: "ORDERS", config: { durable_name: "y" } }), {
        code: 400,
        err_code: 10017,
        description: "consumer name in subject does not match durable name in request",
      });
      assert.deepEqual(await err("$JS.API.CONSUMER.CREATE.ORDERS.x.orders.a", { stream_name: "ORDERS", config: { filter_subject: "orders.b" } }), {
        code: 400,
        err_code: 10131,
        description: "Consumer create request did not match filtered subject from create subject",
      });
      assert.deepEqual(await err("$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.d", { stream_name: "ORDERS", config: {} }), {
        code: 400,
        err_code: 10018,
        description: "consumer expected to be durable but a durable name was not set",
      });
      assert.deepEqual(await err("$JS.API.CONSUMER.CREATE.ORDERS", { stream_name: "ORDERS", config: { durable_name: "d" } }), {
        code: 400,
        err_code: 10020,
        description: "consumer expected to be ephemeral but a durable name was set in request",
      });
      assert.deepEqual(await err("$JS.API.CONSUMER.CREATE.ORDERS.x", { stream_name: "ORDERS", config: { deliver_subject: "orders.loop" } }), {
        code: 400,
        err_code: 10081,
        description: "consumer deliver subject forms a cycle",
      });
      assert.deepEqual(await err("$JS.API.CONSUMER.CREATE.ORDERS.x", { stream_name: "ORDERS", config: { flow_control: true, deliver_subject: "d.x" } }), {
        code: 400,
        err_code: 10108,
        description: "consumer with flow control also needs heartbeats",
      });
      assert.deepEqual(await err("$JS.API.CONSUMER.CREATE.ORDERS.x", { stream_name: "ORDERS", config: { idle_heartbeat: 1e9 } }), {
        code: 400,
        err_code: 10088,
        description: "consumer idle heartbeat requires a push based consumer",
      });
      assert.deepEqual(await err("$JS.API.CONSUMER.CREATE.ORDERS.x", { stream_name: "ORDERS", config: { ack_policy: "sometimes" } }), {
        code: 400,
        err_code: 10025,
        description: "invalid JSON",
      });
      assert.deepEqual(await err("$JS.API.CONSUMER.CREATE.ORDERS.x", { stream_name: "ORDERS", config: { ack_policy: "none", num_replicas: 3 } }), {
        code: 500,
        err_code: 10074,
        description: "replicas > 1 not supported in non-clustered mode",
      });
      // Nothing was created along the way.
      assert.deepEqual((await h.request("$JS.API.CONSUMER.NAMES.ORDERS")).json["consumers"], []);
    });

    it("create, update and create-or-update actions follow nats-server's rules", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit });
      // Same config again: fine; a different one with action create: 10148.
      await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit });
      const exists = await h.request(
        "$JS.API.CONSUMER.CREATE.ORDERS.c",
        JSON.stringify({ stream_name: "ORDERS", action: "create", config: { durable_name: "c", ack_policy: "explicit", max_deliver: 5 } }),
      );
      assert.deepEqual(exists.json["error"], { code: 400, err_code: 10148, description: "consumer already exists" });
      const missing = await apiError(h.jsm.consumers.update("ORDERS", "nope", { description: "x" }));
      assert.deepEqual(missing, { code: 404, err_code: 10014, description: "consumer not found" });
      const rawUpdate = await h.request(
        "$JS.API.CONSUMER.CREATE.ORDERS.nope",
        JSON.stringify({ stream_name: "ORDERS", action: "update", config: { durable_name: "nope", ack_policy: "explicit" } }),
      );
      assert.deepEqual(rawUpdate.json["error"], { code: 400, err_code: 10149, description: "consumer does not exist" });
      const updated = await h.jsm.consumers.update("ORDERS", "c", { ack_wait: 5_000 * NS_PER_MS, max_deliver: 7, description: "now described" });
      assert.equal(updated.config.ack_wait, 5_000 * NS_PER_MS);
      assert.equal(updated.config.max_deliver, 7);
      assert.equal(updated.config.description, "now described");
      const refused = await h.request(
        "$JS.API.CONSUMER.CREATE.ORDERS.c",
        JSON.stringify({ stream_name: "ORDERS", config: { durable_name: "c", ack_policy: "explicit", deliver_policy: "new" } }),
      );
      assert.deepEqual(refused.json["error"], { code: 500, err_code: 10012, description: "deliver policy can not be updated" });
      const toPush = await h.request(
        "$JS.API.CONSUMER.CREATE.ORDERS.c",
        JSON.stringify({ stream_name: "ORDERS", config: { durable_name: "c", ack_policy: "explicit", deliver_subject: "x.y" } }),
      );
      assert.equal((toPush.json["error"] as { description: string }).description, "can not update pull consumer to push based");
    });

    it("info, names, list (paged) and delete", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      for (const name of ["c3", "c1", "c2"]) await h.jsm.consumers.add("ORDERS", { durable_name: name, ack_policy: AckPolicy.Explicit });
      const names = await h.request("$JS.API.CONSUMER.NAMES.ORDERS");
      assert.deepEqual(names.json, { type: "io.nats.jetstream.api.v1.consumer_names_response", total: 3, offset: 0, limit: 1024, consumers: ["c1", "c2", "c3"] });
      const page = await h.request("$JS.API.CONSUMER.LIST.ORDERS", JSON.stringify({ offset: 1 }));
      assert.equal(page.json["total"], 3);
      assert.equal(page.json["limit"], 256);
      assert.deepEqual((page.json["consumers"] as Array<{ name: string }>).map((c) => c.name), ["c2", "c3"]);
      const listed: string[] = [];
      for await (const ci of h.jsm.consumers.list("ORDERS")) listed.push(ci.name);
      assert.deepEqual(listed, ["c1", "c2", "c3"]);
      const info = await h.jsm.consumers.info("ORDERS", "c2");
      assert.equal(info.name, "c2");
      assert.equal(info.num_waiting, 0);
      assert.match(String(info.ts), /Z$/);
      assert.equal(await h.jsm.consumers.delete("ORDERS", "c2"), true);
      assert.deepEqual(await apiError(h.jsm.consumers.info("ORDERS", "c2")), { code: 404, err_code: 10014, description: "consumer not found" });
      assert.deepEqual(await apiError(h.jsm.consumers.delete("ORDERS", "c2")), { code: 404, err_code: 10014, description: "consumer not found" });
      assert.deepEqual(await apiError(h.jsm.consumers.info("NOPE", "c1")), { code: 404, err_code: 10059, description: "stream not found" });
      assert.equal((await h.jsm.streams.info("ORDERS")).state.consumer_count, 2);
      // Deleting the stream takes its consumers with it.
      await h.jsm.streams.delete("ORDERS");
      await ordersStream(h);
      assert.deepEqual((await h.request("$JS.API.CONSUMER.NAMES.ORDERS")).json["consumers"], []);
    });

    it("a work queue: one unfiltered consumer, no overlapping filters, acked messages leave", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h, RetentionPolicy.Workqueue);
      await h.jsm.consumers.add("ORDERS", { durable_name: "a", ack_policy: AckPolicy.Explicit, filter_subject: "orders.a.>" });
      assert.deepEqual(await apiError(h.jsm.consumers.add("ORDERS", { durable_name: "all", ack_policy: AckPolicy.Explicit })), {
        code: 400,
        err_code: 10099,
        description: "multiple non-filtered consumers not allowed on workqueue stream",
      });
      assert.deepEqual(await apiError(h.jsm.consumers.add("ORDERS", { durable_name: "x", ack_policy: AckPolicy.Explicit, filter_subject: "orders.*.1" })), {
        code: 400,
        err_code: 10100,
        description: "filtered consumer not unique on workqueue stream",
      });
      assert.deepEqual(await apiError(h.jsm.consumers.add("ORDERS", { durable_name: "n", ack_policy: AckPolicy.None, filter_subject: "orders.n" })), {
        code: 400,
        err_code: 10084,
        description: "consumer in pull mode requires explicit ack policy on workqueue stream",
      });
      await h.jsm.consumers.add("ORDERS", { durable_name: "b", ack_policy: AckPolicy.Explicit, filter_subject: "orders.b.>" });
      await h.js.publish("orders.a.1", "a1");
      await h.js.publish("orders.b.1", "b1");
      const c = await h.js.consumers.get("ORDERS", "a");
      const m = await c.next({ expires: 1000 });
      assert.equal(m?.string(), "a1");
      await m!.ackAck();
      const state = (await h.jsm.streams.info("ORDERS")).state;
      assert.equal(state.messages, 1, "the acked message left the work queue");
      assert.equal(state.first_seq, 2);
    });

    it("interest retention keeps a message until every consumer acked it", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h, RetentionPolicy.Interest);
      await h.jsm.consumers.add("ORDERS", { durable_name: "one", ack_policy: AckPolicy.Explicit });
      await h.jsm.consumers.add("ORDERS", { durable_name: "two", ack_policy: AckPolicy.Explicit });
      await h.js.publish("orders.1", "x");
      const one = await (await h.js.consumers.get("ORDERS", "one")).next({ expires: 1000 });
      await one!.ackAck();
      assert.equal((await h.jsm.streams.info("ORDERS")).state.messages, 1, "two still needs it");
      const two = await (await h.js.consumers.get("ORDERS", "two")).next({ expires: 1000 });
      await two!.ackAck();
      assert.equal((await h.jsm.streams.info("ORDERS")).state.messages, 0);
    });

    it("deletes an idle ephemeral pull consumer after inactive_threshold, keeps a busy one", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      const idle = await h.jsm.consumers.add("ORDERS", { ack_policy: AckPolicy.Explicit, inactive_threshold: 300 * NS_PER_MS });
      const busy = await h.jsm.consumers.add("ORDERS", { ack_policy: AckPolicy.Explicit, inactive_threshold: 300 * NS_PER_MS });
      const c = await h.js.consumers.get("ORDERS", busy.name);
      const messages = await c.consume({ expires: 1000 });
      void (async () => {
        for await (const m of messages) m.ack();
      })();
      await sleep(900);
      const names = (await h.request("$JS.API.CONSUMER.NAMES.ORDERS")).json["consumers"] as string[];
      assert.ok(!names.includes(idle.name), "the idle one is gone");
      assert.ok(names.includes(busy.name), "the one with waiting pull requests stays");
      await messages.close();
    });

    it("a durable resumes where it left off after the client reconnects", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      for (let i = 1; i <= 4; i++) await h.js.publish(`orders.${i}`, String(i));
      await h.jsm.consumers.add("ORDERS", { durable_name: "d", ack_policy: AckPolicy.Explicit });
      const first = await h.server.connect();
      const c1 = await jetstream(first).consumers.get("ORDERS", "d");
      for await (const m of await c1.fetch({ max_messages: 2, expires: 1000 })) await m.ackAck();
      await first.close();
      const second = await h.server.connect();
      t.after(() => second.close());
      const c2 = await jetstream(second).consumers.get("ORDERS", "d");
      const rest: number[] = [];
      for await (const m of await c2.fetch({ max_messages: 2, expires: 1000 })) rest.push(m.seq);
      assert.deepEqual(rest, [3, 4]);
    });
  });
}

describe("durable consumers with file storage", () => {
  it("come back after a broker restart with their delivered and ack state", async (t) => {
    const storeDir = tempDir(t, "js-consumers-");
    const first = createServer({ jetstream: { storeDir } });
    await first.listen();
    let nc = await first.connect();
    let jsm = await jetstreamManager(nc);
    let js = jetstream(nc);
    await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.File });
    for (let i = 1; i <= 5; i++) await js.publish(`orders.${i}`, String(i));
    await jsm.consumers.add("ORDERS", { durable_name: "d", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_deliver: 9 });
    const c = await js.consumers.get("ORDERS", "d");
    const fetched = [];
    for await (const m of await c.fetch({ max_messages: 3, expires: 1000 })) fetched.push(m);
    await fetched[0]!.ackAck();
    await fetched[1]!.ackAck();
    await jsm.consumers.add("ORDERS", { durable_name: "short", ack_policy: AckPolicy.Explicit, ack_wait: 300 * NS_PER_MS });
    // Ephemerals of a file stream come back too, as from nats-server (a KV watcher relies on it).
    await jsm.consumers.add("ORDERS", { name: "eph", ack_policy: AckPolicy.None, inactive_threshold: 60_000 * NS_PER_MS });
    const ephFirst = await (await js.consumers.get("ORDERS", "eph")).next({ expires: 1000 });
    assert.equal(ephFirst?.seq, 1);
    const unacked = await (await js.consumers.get("ORDERS", "short")).next({ expires: 1000 });
    assert.equal(unacked?.seq, 1);
    // The third stays unacknowledged across the restart, and so does "short"'s first.
    await nc.close();
    await first.close();

    const second = createServer({ jetstream: { storeDir } });
    await second.listen();
    t.after(() => second.close());
    nc = await second.connect();
    t.after(() => nc.close());
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    const info = await jsm.consumers.info("ORDERS", "d");
    assert.equal(info.config.max_deliver, 9);
    assert.deepEqual({ ...info.delivered, last_active: undefined }, { consumer_seq: 3, stream_seq: 3, last_active: undefined });
    assert.deepEqual({ ...info.ack_floor, last_active: undefined }, { consumer_seq: 2, stream_seq: 2, last_active: undefined });
    assert.equal(info.num_ack_pending, 1);
    assert.equal(info.num_pending, 2);
    const next = [];
    for await (const m of await (await js.consumers.get("ORDERS", "d")).fetch({ max_messages: 2, expires: 1000 })) next.push(m.seq);
    assert.deepEqual(next, [4, 5]);
    const eph = await jsm.consumers.info("ORDERS", "eph");
    assert.equal(eph.config.inactive_threshold, 60_000 * NS_PER_MS);
    assert.deepEqual([eph.delivered.consumer_seq, eph.delivered.stream_seq], [1, 1]);
    const ephNext = await (await js.consumers.get("ORDERS", "eph")).next({ expires: 1000 });
    assert.equal(ephNext?.seq, 2, "the ephemeral carries on where it was");
    // Once its ack_wait has run out, the unacknowledged message goes out before anything new.
    await sleep(400);
    const again = await (await js.consumers.get("ORDERS", "short")).next({ expires: 2000 });
    assert.equal(again?.seq, 1, "redelivered after the restart");
    assert.equal(again?.info.deliveryCount, 2);
  });
});

describe("consumer advisories", () => {
  it("publishes max deliveries, nak, terminated, created and deleted events as nats-server", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h);
    const events: Array<{ subject: string; body: Record<string, unknown> }> = [];
    h.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.>", { callback: (_e, m) => void events.push({ subject: m.subject, body: m.json() }) });
    await h.nc.flush();
    await h.js.publish("orders.1", "one");
    await h.js.publish("orders.2", "two");
    await h.jsm.consumers.add("ORDERS", { durable_name: "d", ack_policy: AckPolicy.Explicit, max_deliver: 2, ack_wait: 200 * NS_PER_MS });
    const c = await h.js.consumers.get("ORDERS", "d");
    const first = await c.next({ expires: 1000 });
    first!.nak();
    const again = await c.next({ expires: 1000 });
    assert.equal(again?.seq, 1);
    const second = await c.next({ expires: 1000 });
    second!.term("cannot parse");
    // Let seq 1's second delivery run out: that was its last.
    await sleep(500);
    await h.jsm.consumers.delete("ORDERS", "d");
    await h.nc.flush();
    for (let i = 0; i < 50 && events.length < 5; i++) await sleep(20);
    const byKind = (kind: string) => events.filter((e) => e.subject.startsWith(`$JS.EVENT.ADVISORY.CONSUMER.${kind}.ORDERS.d`)).map((e) => e.body);
    assert.deepEqual(byKind("CREATED").map((b) => [b["type"], b["action"]]), [["io.nats.jetstream.advisory.v1.consumer_action", "create"]]);
    const nak = byKind("MSG_NAKED")[0]!;
    assert.equal(nak["type"], "io.nats.jetstream.advisory.v1.nak");
    assert.deepEqual([nak["stream"], nak["consumer"], nak["consumer_seq"], nak["stream_seq"], nak["deliveries"]], ["ORDERS", "d", 1, 1, 1]);
    assert.match(String(nak["id"]), /^[0-9A-Za-z]{22}$/);
    const term = byKind("MSG_TERMINATED")[0]!;
    assert.deepEqual([term["type"], term["stream_seq"], term["reason"]], ["io.nats.jetstream.advisory.v1.terminated", 2, "cannot parse"]);
    const max = byKind("MAX_DELIVERIES")[0]!;
    assert.deepEqual([max["type"], max["stream_seq"], max["deliveries"]], ["io.nats.jetstream.advisory.v1.max_deliver", 1, 2]);
    assert.deepEqual(byKind("DELETED").map((b) => b["action"]), ["delete"]);
  });
});

describe("ack sampling", () => {
  it("reports sample_freq of acks on $JS.EVENT.METRIC.CONSUMER.ACK with the ack time", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h);
    const metrics: Array<Record<string, unknown>> = [];
    h.nc.subscribe("$JS.EVENT.METRIC.CONSUMER.ACK.ORDERS.*", { callback: (_e, m) => void metrics.push(m.json()) });
    await h.nc.flush();
    await h.js.publish("orders.1", "one");
    await h.jsm.consumers.add("ORDERS", { durable_name: "all", ack_policy: AckPolicy.Explicit, sample_freq: "100%" });
    await h.jsm.consumers.add("ORDERS", { durable_name: "none", ack_policy: AckPolicy.Explicit });
    for (const name of ["all", "none"]) {
      const m = await (await h.js.consumers.get("ORDERS", name)).next({ expires: 1000 });
      await sleep(20);
      await m!.ackAck();
    }
    for (let i = 0; i < 50 && metrics.length === 0; i++) await sleep(10);
    assert.equal(metrics.length, 1, "only the sampled consumer reports");
    const metric = metrics[0]!;
    assert.equal(metric["type"], "io.nats.jetstream.metric.v1.consumer_ack");
    assert.deepEqual([metric["stream"], metric["consumer"], metric["consumer_seq"], metric["stream_seq"], metric["deliveries"]], ["ORDERS", "all", 1, 1, 1]);
    assert.ok(Number(metric["ack_time"]) >= 10_000_000, `ack_time ${String(metric["ack_time"])} ns`);
  });
});

/**
 * Consumer pause (nats-server 2.11): `pause_until` on create, `$JS.API.CONSUMER.PAUSE`, what a
 * paused consumer does with pull requests (they wait, expire and get heartbeats; no_wait ends
 * with 404) and with a push subscriber, the pause advisory, and the deadline kept across a
 * restart of a file stream. Through the official client (`jsm.consumers.pause()`/`resume()`)
 * and raw requests, in-process and over TCP.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { createInbox, type Msg } from "@nats-io/nats-core";
import { createServer } from "../../src/index.ts";
import { eventually } from "../helpers/broker.ts";
import { startJetStream, tempDir, TRANSPORTS, type JsHarness } from "./stream-helpers.ts";

const NS_PER_MS = 1_000_000;

/** CONSUMER.PAUSE's answer as nats-server sends it (the client's type leaves pause_remaining out). */
type PauseResponse = { paused: boolean; pause_until: string; pause_remaining?: number };

async function ordersStream(h: JsHarness, storage = StorageType.Memory, count = 3): Promise<void> {
  await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage });
  for (let i = 1; i <= count; i++) await h.js.publish(`orders.${i}`, `m${i}`);
}

/** Sends a raw MSG.NEXT; collects what comes back to its inbox for `forMs`. */
async function rawPull(h: JsHarness, consumer: string, body: string, forMs: number): Promise<Msg[]> {
  const inbox = createInbox();
  const got: Msg[] = [];
  const sub = h.nc.subscribe(inbox, { callback: (_e, m) => void got.push(m) });
  await h.nc.flush();
  h.nc.publish(`$JS.API.CONSUMER.MSG.NEXT.ORDERS.${consumer}`, body, { reply: inbox });
  await sleep(forMs);
  sub.unsubscribe();
  return got;
}

for (const transport of TRANSPORTS) {
  describe(`consumer pause (${transport})`, () => {
    it("a consumer created paused answers pulls only once pause_until has passed", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      // Margins wide enough for a loaded machine: the deadline is 1.5 s out.
      const until = new Date(Date.now() + 1500);
      await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit, pause_until: until.toISOString() });
      const info = await h.jsm.consumers.info("ORDERS", "p");
      assert.equal(info.paused, true);
      assert.ok(info.pause_remaining! > 0 && info.pause_remaining! <= 1502 * NS_PER_MS, `pause_remaining ${info.pause_remaining}`);
      assert.equal(new Date(info.config.pause_until!).getTime(), until.getTime());

      const started = Date.now();
      const c = await h.js.consumers.get("ORDERS", "p");
      const m = await c.next({ expires: 4000 });
      assert.equal(m?.seq, 1);
      assert.ok(Date.now() >= until.getTime() - 5, `delivered ${until.getTime() - Date.now()} ms before the deadline`);
      assert.ok(Date.now() - started < 3500, "delivered soon after the deadline");
      const after = await h.jsm.consumers.info("ORDERS", "p");
      assert.equal(after.paused, undefined, "paused is left out once running");
      assert.equal(after.pause_remaining, undefined);
    });

    it("jsm.consumers.pause() and resume() answer nats-server's consumer_pause_response", async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h);
      await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit });
      const until = new Date(Date.now() + 60_000);
      const paused = (await h.jsm.consumers.pause("ORDERS", "p", until)) as PauseResponse;
      assert.equal(paused.paused, true);
      assert.equal(new Date(paused.pause_until).getTime(), until.getTime());
      // The server's clock is the monotonic one anchored to Date.now() at start: a ms apart at most.
      assert.ok(paused.pause_remaining! > 59_000 * NS_PER_MS && paused.pause_remaining! <= 60_002 * NS_PER_MS, `pause_remaining ${paused.pause_remaining}`);

      const none = await rawPull(h, "p", JSON.stringify({ batch: 2, expires: 400 * NS_PER_MS }), 700);
      assert.deepEqual(
        none.map((m) => `${m.headers?.code} ${m.headers?.description}`),
        ["408 Request Timeout"],
        "a paused consumer lets the request expire",
      );

      const resumed = (await h.jsm.consumers.resume("ORDERS", "p")) as PauseResponse;
      assert.equal(resumed.paused, false);
      assert.equal(resumed.pause_remaining, undefined);
      // nats.js resumes with the epoch, which nats-server keeps as a past deadline.
      assert.equal(resumed.pause_until, "1970-01-01T00:00:00Z");
      const m = await (await h.js.consumers.get("ORDERS", "p")).next({ expires: 2000 });
      assert.equal(m?.seq, 1);

      // An empty body resumes too, with Go's zero time, and leaves pause_until out of the config.
      await h.jsm.consumers.pause("ORDERS", "p", until);
      const raw = await h.request("$JS.API.CONSUMER.PAUSE.ORDERS.p", "");
      assert.deepEqual(raw.json, { type: "io.nats.jetstream.api.v1.consumer_pause_response", paused: false, pause_until: "0001-01-01T00:00:00Z" });
      assert.equal((await h.jsm.consumers.info("ORDERS", "p")).config.pause_until, undefined);
    });
  });
}

describe("consumer pause rules", () => {
  it("no_wait requests on a paused consumer end with 404 and heartbeats go on", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h);
    await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit, pause_until: new Date(Date.now() + 60_000).toISOString() });
    const noWait = await rawPull(h, "p", JSON.stringify({ batch: 1, no_wait: true }), 200);
    assert.deepEqual(noWait.map((m) => m.headers?.code), [404]);
    const beats = await rawPull(h, "p", JSON.stringify({ batch: 1, expires: 2000 * NS_PER_MS, idle_heartbeat: 200 * NS_PER_MS }), 1000);
    const codes = beats.map((m) => m.headers?.code);
    assert.ok(codes.filter((c) => c === 100).length >= 2, `heartbeats while paused: ${codes.join(",")}`);
    assert.ok(!beats.some((m) => m.data.length > 0), "no message while paused");
  });

  it("a paused push consumer sends heartbeats only, and delivers once resumed", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h);
    const inbox = createInbox();
    const got: number[] = [];
    h.nc.subscribe(inbox, { callback: (_e, m) => void (m.reply?.startsWith("$JS.ACK.") && got.push(Number(m.reply.split(".")[5]))) });
    await h.nc.flush();
    const beats: number[] = [];
    h.nc.subscribe(inbox, { callback: (_e, m) => void (m.headers?.code === 100 && beats.push(Date.now())) });
    await h.jsm.consumers.add("ORDERS", {
      durable_name: "push",
      deliver_subject: inbox,
      ack_policy: AckPolicy.None,
      idle_heartbeat: 100 * NS_PER_MS,
      pause_until: new Date(Date.now() + 60_000).toISOString(),
    });
    await eventually(() => beats.length >= 2, "idle heartbeats while paused");
    assert.deepEqual(got, []);
    await h.jsm.consumers.resume("ORDERS", "push");
    await eventually(() => got.length === 3, "push delivery after resume");
    assert.deepEqual(got, [1, 2, 3]);
  });

  it("sends the pause advisory on pause, on resume, when the deadline passes, and on a paused create", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h);
    const events: Array<Record<string, unknown>> = [];
    h.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.PAUSE.ORDERS.*", { callback: (_e, m) => void events.push({ subject: m.subject, ...m.json<Record<string, unknown>>() }) });
    await h.nc.flush();
    const soon = new Date(Date.now() + 1000);
    await h.jsm.consumers.add("ORDERS", { durable_name: "a", ack_policy: AckPolicy.Explicit, pause_until: soon.toISOString() });
    await eventually(() => events.length >= 2, "the create's advisory and the deadline's", 10_000);
    assert.equal(events.length, 2);
    assert.equal(events[0]!["type"], "io.nats.jetstream.advisory.v1.consumer_pause");
    assert.deepEqual([events[0]!["subject"], events[0]!["stream"], events[0]!["consumer"], events[0]!["paused"]], ["$JS.EVENT.ADVISORY.CONSUMER.PAUSE.ORDERS.a", "ORDERS", "a", true]);
    assert.equal(new Date(events[0]!["pause_until"] as string).getTime(), soon.getTime());
    assert.equal(events[1]!["paused"], false, "the deadline passed");

    await h.jsm.consumers.add("ORDERS", { durable_name: "b", ack_policy: AckPolicy.Explicit });
    const later = Date.now() + 60_000;
    await h.jsm.consumers.pause("ORDERS", "b", new Date(later));
    await h.jsm.consumers.pause("ORDERS", "b", new Date(later + 1000));
    // The same deadline again changes nothing, so nothing is announced (updateConfig).
    await h.jsm.consumers.pause("ORDERS", "b", new Date(later + 1000));
    await h.jsm.consumers.resume("ORDERS", "b");
    await eventually(() => events.length === 5, "three advisories for b");
    await sleep(100);
    assert.deepEqual(events.slice(2).map((e) => e["paused"]), [true, true, false]);
  });

  it("creating an existing consumer again does not change its pause", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h);
    const until = new Date(Date.now() + 60_000);
    await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit, pause_until: until.toISOString() });
    // Create-or-update (no action), as nats-server: pause_until is taken from the consumer.
    const create = (config: Record<string, unknown>) => h.request("$JS.API.CONSUMER.CREATE.ORDERS.p", JSON.stringify({ stream_name: "ORDERS", config: { durable_name: "p", ack_policy: "explicit", ...config } }));
    const again = (await create({ description: "updated" })).json as { config: { description: string; pause_until: string }; paused: boolean };
    assert.equal(again.config.description, "updated");
    assert.equal(new Date(again.config.pause_until).getTime(), until.getTime());
    assert.equal(again.paused, true);
    const resumed = (await create({ description: "updated", pause_until: new Date(0).toISOString() })).json as { paused: boolean };
    assert.equal(resumed.paused, true, "only CONSUMER.PAUSE changes it");
    // With action create, a different pause_until is not a different config either.
    const same = await h.request("$JS.API.CONSUMER.CREATE.ORDERS.p", JSON.stringify({ stream_name: "ORDERS", action: "create", config: { ...(await h.jsm.consumers.info("ORDERS", "p")).config, pause_until: new Date(1).toISOString() } }));
    assert.equal(same.json["error"], undefined);
  });

  it("answers bad pause requests with nats-server's errors", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h);
    await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit });
    const type = "io.nats.jetstream.api.v1.consumer_pause_response";
    const until = JSON.stringify({ pause_until: new Date(Date.now() + 1000).toISOString() });
    assert.deepEqual((await h.request("$JS.API.CONSUMER.PAUSE.NOPE.p", until)).json, { type, error: { code: 404, err_code: 10059, description: "stream not found" } });
    assert.deepEqual((await h.request("$JS.API.CONSUMER.PAUSE.ORDERS.nope", until)).json, { type, error: { code: 404, err_code: 10014, description: "consumer not found" } });
    for (const body of ['{"pause_until":"tomorrow"}', '{"pause_until":5}', "[1]", "{"]) {
      assert.deepEqual((await h.request("$JS.API.CONSUMER.PAUSE.ORDERS.p", body)).json, { type, error: { code: 400, err_code: 10025, description: "invalid JSON" } }, body);
    }
    // A bad pause_until on create is a decoding error too.
    await assert.rejects(h.jsm.consumers.add("ORDERS", { durable_name: "q", ack_policy: AckPolicy.Explicit, pause_until: "soon" }), /invalid JSON/);
    assert.equal((await h.jsm.consumers.info("ORDERS", "p")).paused, undefined);
  });
});

describe("consumer pause and restarts", () => {
  it("keeps pause_until of a file stream's consumer across a restart", async (t) => {
    const storeDir = tempDir(t, "js-pause-");
    const until = new Date(Date.now() + 60_000);
    {
      const server = createServer({ jetstream: { storeDir } });
      await server.listen();
      const nc = await server.connect();
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.File });
      await jetstream(nc).publish("orders.1", "x");
      await jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit });
      await jsm.consumers.pause("ORDERS", "p", until);
      await nc.close();
      await server.close();
    }
    const server = createServer({ jetstream: { storeDir } });
    await server.listen();
    t.after(() => server.close());
    const nc = await server.connect();
    t.after(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const info = await jsm.consumers.info("ORDERS", "p");
    assert.equal(info.paused, true);
    assert.equal(new Date(info.config.pause_until!).getTime(), until.getTime());
    const m = await (await jetstream(nc).consumers.get("ORDERS", "p")).next({ expires: 1000 });
    assert.equal(m, null, "still paused after the restart");
    await jsm.consumers.resume("ORDERS", "p");
    const after = await (await jetstream(nc).consumers.get("ORDERS", "p")).next({ expires: 2000 });
    assert.equal(after?.seq, 1);
  });
});

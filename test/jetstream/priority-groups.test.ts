/**
 * Priority groups (nats-server 2.11, `prioritized` 2.12): the config checks and their codes,
 * the pull request checks and their status lines, `overflow` (min_pending, min_ack_pending),
 * `pinned_client` (Nats-Pin-Id, 423s, priority_timeout, CONSUMER.UNPIN, the pin advisories, no
 * pin after a restart, as nats-server keeps it in memory) and `prioritized` (lower priority
 * served first). Raw requests where the bytes matter, the official client where it has an API.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, jetstream, jetstreamManager, StorageType, type ConsumerConfig } from "@nats-io/jetstream";
import { createInbox, type Msg } from "@nats-io/nats-core";
import { createServer } from "../../src/index.ts";
import { eventually } from "../helpers/broker.ts";
import { startJetStream, tempDir, TRANSPORTS, type JsHarness } from "./stream-helpers.ts";

const NS_PER_MS = 1_000_000;

/** Info's `priority_groups` (nats-server PriorityGroupState), which the client's type leaves out. */
type GroupState = { group: string; pinned_client_id?: string; pinned_ts: string };
const groupsOf = (info: object): GroupState[] | undefined => (info as { priority_groups?: GroupState[] }).priority_groups;

async function ordersStream(h: JsHarness, count: number, storage: StorageType = StorageType.Memory): Promise<void> {
  await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage });
  for (let i = 1; i <= count; i++) await h.js.publish(`orders.${i}`, `m${i}`);
}

/** A raw pull request whose answers land in `got`; returns a function that stops listening. */
async function pull(h: JsHarness, consumer: string, body: Record<string, unknown>, got: Msg[]): Promise<() => void> {
  const inbox = createInbox();
  const sub = h.nc.subscribe(inbox, { callback: (_e, m) => void got.push(m) });
  await h.nc.flush();
  h.nc.publish(`$JS.API.CONSUMER.MSG.NEXT.ORDERS.${consumer}`, JSON.stringify(body), { reply: inbox });
  return () => sub.unsubscribe();
}

/** One request, its answers collected for `forMs`. */
async function pullFor(h: JsHarness, consumer: string, body: Record<string, unknown>, forMs: number): Promise<Msg[]> {
  const got: Msg[] = [];
  const stop = await pull(h, consumer, body, got);
  await sleep(forMs);
  stop();
  return got;
}

const seqs = (msgs: Msg[]): number[] => msgs.filter((m) => m.reply?.startsWith("$JS.ACK.")).map((m) => Number(m.reply!.split(".")[5]));
const statuses = (msgs: Msg[]): string[] => msgs.filter((m) => m.headers?.code !== undefined && m.headers.code > 0).map((m) => `${m.headers!.code} ${m.headers!.description}`);

describe("priority group config", () => {
  it("refuses what checkConsumerCfg refuses, with its codes", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h, 0);
    const create = async (config: Record<string, unknown>) =>
      (await h.request("$JS.API.CONSUMER.CREATE.ORDERS.c", JSON.stringify({ stream_name: "ORDERS", config: { name: "c", ack_policy: "explicit", ...config } }))).json["error"];
    assert.deepEqual(await create({ priority_policy: "overflow", priority_groups: ["A"], deliver_subject: "out" }), { code: 400, err_code: 10178, description: "priority groups can not be used with push consumers" });
    assert.deepEqual(await create({ priority_policy: "overflow" }), { code: 400, err_code: 10159, description: "Setting PriorityPolicy requires at least one PriorityGroup to be set" });
    assert.deepEqual(await create({ priority_policy: "overflow", priority_groups: [""] }), { code: 400, err_code: 10161, description: "Group name cannot be an empty string" });
    assert.deepEqual(await create({ priority_policy: "pinned_client", priority_groups: ["seventeen-chars-x"] }), {
      code: 400,
      err_code: 10162,
      description: "Valid priority group name must match A-Z, a-z, 0-9, -_/=)+ and may not exceed 16 characters",
    });
    assert.deepEqual(await create({ priority_policy: "overflow", priority_groups: ["a.b"] }), await create({ priority_policy: "overflow", priority_groups: ["a b"] }));
    assert.deepEqual(await create({ priority_groups: ["A"] }), { code: 400, err_code: 10196, description: "consumer can not have priority groups when policy is none" });
    assert.deepEqual(await create({ priority_policy: "none", priority_timeout: 1000 }), { code: 400, err_code: 10197, description: "PinnedTTL cannot be set when PriorityPolicy is none" });
    assert.deepEqual(await create({ priority_policy: "first_come" }), { code: 400, err_code: 10025, description: "invalid JSON" });
  });

  it("round-trips groups, policy and timeout, with the 2 minute default for pinned_client", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h, 0);
    const pinned = await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit, priority_groups: ["jobs"], priority_policy: "pinned_client" } as Partial<ConsumerConfig>);
    assert.deepEqual([pinned.config.priority_groups, pinned.config.priority_policy, pinned.config.priority_timeout], [["jobs"], "pinned_client", 120_000 * NS_PER_MS]);
    assert.deepEqual(groupsOf(pinned), [{ group: "jobs", pinned_ts: "0001-01-01T00:00:00Z" }]);
    const overflow = await h.jsm.consumers.add("ORDERS", { durable_name: "o", ack_policy: AckPolicy.Explicit, priority_groups: ["A", "B"], priority_policy: "overflow" } as Partial<ConsumerConfig>);
    assert.equal(overflow.config.priority_timeout, undefined);
    assert.deepEqual(overflow.config.priority_groups, ["A", "B"]);
    const plain = await h.jsm.consumers.add("ORDERS", { durable_name: "n", ack_policy: AckPolicy.Explicit });
    assert.equal(plain.config.priority_policy, undefined, "none is left out");
    assert.equal(groupsOf(plain), undefined);
  });
});

describe("priority group pull requests", () => {
  it("answers requests that do not fit the consumer with nats-server's status lines", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h, 1);
    await h.jsm.consumers.add("ORDERS", { durable_name: "o", ack_policy: AckPolicy.Explicit, priority_groups: ["A"], priority_policy: "overflow" } as Partial<ConsumerConfig>);
    await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit, priority_groups: ["A"], priority_policy: "pinned_client" } as Partial<ConsumerConfig>);
    await h.jsm.consumers.add("ORDERS", { durable_name: "n", ack_policy: AckPolicy.Explicit });
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["o", { batch: 1, expires: 200 * NS_PER_MS }, "400 Bad Request - Priority Group missing"],
      ["o", { batch: 1, group: "B" }, "400 Bad Request - Invalid Priority Group"],
      ["o", { batch: 1, group: "A", id: "x" }, "400 Bad Request - Not a Pinned Client Priority consumer"],
      ["p", { batch: 1, group: "A", min_pending: 2 }, "400 Bad Request - Not a Overflow Priority consumer"],
      ["n", { batch: 1, min_ack_pending: 2 }, "400 Bad Request - Not a Overflow Priority consumer"],
      ["o", { batch: 1, group: "A", priority: 10 }, "400 Bad Request - Priority must be between 0 and 9"],
      ["o", { batch: 1, group: "A", min_pending: "2" }, "400 Bad Request - json: cannot unmarshal string into Go struct field JSApiConsumerGetNextRequest.min_pending of type int64"],
    ];
    for (const [consumer, body, expected] of cases) assert.deepEqual(statuses(await pullFor(h, consumer, body, 100)), [expected], JSON.stringify(body));
    // A group on a consumer without groups is not looked at.
    assert.deepEqual(seqs(await pullFor(h, "n", { batch: 1, group: "whatever" }, 100)), [1]);
  });

  it("overflow: a request with min_pending is served only while that many are pending", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h, 2);
    await h.jsm.consumers.add("ORDERS", { durable_name: "o", ack_policy: AckPolicy.Explicit, priority_groups: ["A"], priority_policy: "overflow" } as Partial<ConsumerConfig>);
    const waited = await pullFor(h, "o", { batch: 10, group: "A", min_pending: 5, expires: 300 * NS_PER_MS }, 500);
    assert.deepEqual(seqs(waited), []);
    assert.deepEqual(statuses(waited), ["408 Request Timeout"]);
    for (let i = 3; i <= 6; i++) await h.js.publish(`orders.${i}`, `m${i}`);
    // Six pending: it takes messages while at least five were pending when each went out.
    const got = await pullFor(h, "o", { batch: 10, group: "A", min_pending: 5, expires: 300 * NS_PER_MS }, 500);
    assert.deepEqual(seqs(got), [1, 2]);
    // min_ack_pending: two are unacknowledged now, so a request asking for two is served.
    assert.deepEqual(seqs(await pullFor(h, "o", { batch: 1, group: "A", min_ack_pending: 3, expires: 200 * NS_PER_MS }, 350)), []);
    assert.deepEqual(seqs(await pullFor(h, "o", { batch: 1, group: "A", min_ack_pending: 2, expires: 200 * NS_PER_MS }, 350)), [3]);
    // The official client sends the same fields.
    const c = await h.js.consumers.get("ORDERS", "o");
    const fetched: number[] = [];
    for await (const m of await c.fetch({ group: "A", max_messages: 5, expires: 1000 })) fetched.push(m.seq);
    assert.deepEqual(fetched, [4, 5, 6]);
  });

  it("prioritized: waiting requests are served lowest priority first, each level in turn", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h, 0);
    await h.jsm.consumers.add("ORDERS", { durable_name: "q", ack_policy: AckPolicy.None, priority_groups: ["A"], priority_policy: "prioritized" } as Partial<ConsumerConfig>);
    const got: Record<string, Msg[]> = { p5: [], p1: [], p9: [], p1b: [] };
    const stops = [
      await pull(h, "q", { batch: 1, group: "A", priority: 5, expires: 2000 * NS_PER_MS }, got["p5"]!),
      await pull(h, "q", { batch: 2, group: "A", priority: 1, expires: 2000 * NS_PER_MS }, got["p1"]!),
      await pull(h, "q", { batch: 1, group: "A", priority: 9, expires: 2000 * NS_PER_MS }, got["p9"]!),
      await pull(h, "q", { batch: 1, group: "A", priority: 1, expires: 2000 * NS_PER_MS }, got["p1b"]!),
    ];
    for (let i = 1; i <= 5; i++) await h.js.publish(`orders.${i}`, `m${i}`);
    await eventually(() => Object.values(got).every((m) => seqs(m).length > 0), "every request served");
    for (const stop of stops) stop();
    // Priority 1 first, round robin between its two requests, then 5, then 9.
    assert.deepEqual(Object.fromEntries(Object.entries(got).map(([k, v]) => [k, seqs(v)])), { p1: [1, 3], p1b: [2], p5: [4], p9: [5] });
  });
});

describe("pinned_client", () => {
  for (const transport of TRANSPORTS) {
    it(`pins the first puller; others wait, wrong pins get 423, UNPIN moves the pin (${transport})`, async (t) => {
      const h = await startJetStream(t, transport);
      await ordersStream(h, 4);
      await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.None, priority_groups: ["A"], priority_policy: "pinned_client" } as Partial<ConsumerConfig>);
      const events: Array<Record<string, unknown>> = [];
      h.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.*.ORDERS.p", {
        callback: (_e, m) => {
          if (m.subject.includes("PINNED")) events.push({ subject: m.subject, ...m.json<Record<string, unknown>>() });
        },
      });
      await h.nc.flush();

      const first = await pullFor(h, "p", { batch: 1, group: "A" }, 150);
      assert.deepEqual(seqs(first), [1]);
      const pin = first[0]!.headers?.get("Nats-Pin-Id") ?? "";
      assert.match(pin, /^[0-9A-Za-z]{22}$/);
      const info = await h.jsm.consumers.info("ORDERS", "p");
      assert.equal(groupsOf(info)?.[0]?.pinned_client_id, pin);
      await eventually(() => events.length === 1, "the pinned advisory");
      assert.deepEqual(
        [events[0]!["subject"], events[0]!["type"], events[0]!["group"], events[0]!["pinned_id"], events[0]!["account"]],
        ["$JS.EVENT.ADVISORY.CONSUMER.PINNED.ORDERS.p", "io.nats.jetstream.advisory.v1.consumer_group_pinned", "A", pin, "$G"],
      );

      // Another client without the pin waits; with another pin it is told at once.
      const other = await pullFor(h, "p", { batch: 1, group: "A", expires: 250 * NS_PER_MS }, 400);
      assert.deepEqual([seqs(other), statuses(other)], [[], ["408 Request Timeout"]]);
      assert.deepEqual(statuses(await pullFor(h, "p", { batch: 1, group: "A", id: "not-the-pin" }, 100)), ["423 Nats-Pin-Id mismatch"]);
      const again = await pullFor(h, "p", { batch: 1, group: "A", id: pin }, 150);
      assert.deepEqual(seqs(again), [2]);
      assert.equal(again[0]!.headers?.get("Nats-Pin-Id"), pin);

      const unpin = await h.request("$JS.API.CONSUMER.UNPIN.ORDERS.p", JSON.stringify({ group: "A" }));
      assert.deepEqual(unpin.json, { type: "io.nats.jetstream.api.v1.consumer_unpin_response" });
      await eventually(() => events.length === 2, "the unpinned advisory");
      assert.deepEqual([events[1]!["type"], events[1]!["reason"], events[1]!["group"]], ["io.nats.jetstream.advisory.v1.consumer_group_unpinned", "admin", "A"]);
      // The old pin is now stale: the request is told when a message is ready for it.
      const stale = await pullFor(h, "p", { batch: 1, group: "A", id: pin }, 150);
      assert.deepEqual(statuses(stale), ["423 Nats-Wrong-Pin-Id"]);
      assert.deepEqual([stale[0]!.headers?.get("Nats-Pending-Messages"), stale[0]!.headers?.get("Nats-Pending-Bytes")], ["1", "0"]);
      const next = await pullFor(h, "p", { batch: 1, group: "A" }, 150);
      assert.deepEqual(seqs(next), [3]);
      assert.notEqual(next[0]!.headers?.get("Nats-Pin-Id"), pin, "a new pin");
    });
  }

  it("lets a pin go after priority_timeout without a request from its client", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h, 3);
    await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.None, priority_groups: ["A"], priority_policy: "pinned_client", priority_timeout: 300 * NS_PER_MS } as Partial<ConsumerConfig>);
    const events: Array<Record<string, unknown>> = [];
    h.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.UNPINNED.ORDERS.p", { callback: (_e, m) => void events.push(m.json<Record<string, unknown>>()) });
    await h.nc.flush();
    const first = await pullFor(h, "p", { batch: 1, group: "A" }, 100);
    const pin = first[0]!.headers?.get("Nats-Pin-Id");
    // A second client waits for the pin to lapse, then gets pinned itself.
    const waiting = await pullFor(h, "p", { batch: 1, group: "A", expires: 2000 * NS_PER_MS }, 700);
    assert.deepEqual(seqs(waiting), [2]);
    assert.notEqual(waiting[0]!.headers?.get("Nats-Pin-Id"), pin);
    assert.deepEqual([events[0]?.["reason"], events[0]?.["group"]], ["timeout", "A"]);
  });

  it("official client: one of two consumers gets everything while pinned", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h, 0);
    await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit, priority_groups: ["A"], priority_policy: "pinned_client" } as Partial<ConsumerConfig>);
    const c = await h.js.consumers.get("ORDERS", "p");
    const byClient: number[][] = [[], []];
    const iters = await Promise.all([0, 1].map(async (i) => {
      const iter = await c.consume({ group: "A", max_messages: 10, expires: 2000 });
      void (async () => {
        for await (const m of iter) {
          byClient[i]!.push(m.seq);
          m.ack();
        }
      })();
      return iter;
    }));
    await sleep(200);
    for (let i = 1; i <= 20; i++) await h.js.publish(`orders.${i}`, `m${i}`);
    await eventually(() => byClient[0]!.length + byClient[1]!.length === 20, "all twenty delivered");
    for (const iter of iters) await iter.close();
    assert.ok(byClient[0]!.length === 0 || byClient[1]!.length === 0, `only the pinned client got messages: ${JSON.stringify(byClient)}`);
  });

  it("official client: a client that stops asking loses the pin to another and is told so", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h, 10);
    // The pin outlives a waiting request (1 s), so a client that keeps asking keeps it.
    await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.Explicit, priority_groups: ["A"], priority_policy: "pinned_client", priority_timeout: 1500 * NS_PER_MS } as Partial<ConsumerConfig>);
    const c = await h.js.consumers.get("ORDERS", "p");
    const run = async (sleepMs: number) => {
      const iter = await c.consume({ group: "A", max_messages: 1, expires: 1000 });
      const client = { iter, seqs: [] as number[], events: [] as string[] };
      void (async () => {
        for await (const s of iter.status()) client.events.push(s.type);
      })();
      void (async () => {
        for await (const m of iter) {
          client.seqs.push(m.seq);
          await sleep(sleepMs);
          // The connection may be closing by now if the test is over.
          if (!h.nc.isClosed()) m.ack();
        }
      })().catch(() => undefined);
      return client;
    };
    // The first client takes a message, then spends longer than priority_timeout on it.
    const slow = await run(2500);
    await eventually(() => slow.seqs.length === 1, "the first client pinned");
    const fast = await run(0);
    await eventually(() => fast.seqs.length === 9, "the second client gets the rest once the pin lapsed");
    await eventually(() => slow.events.includes("consumer_unpinned"), "the first client told it lost the pin (423)");
    slow.iter.stop();
    fast.iter.stop();
    assert.deepEqual(slow.seqs, [1]);
    assert.deepEqual(fast.seqs, [2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(slow.events.filter((e) => e === "consumer_pinned").length, 1);
    assert.equal(fast.events.filter((e) => e === "consumer_pinned").length, 1);
  });

  it("answers bad UNPIN requests with nats-server's errors", async (t) => {
    const h = await startJetStream(t, "in-process");
    await ordersStream(h, 0);
    await h.jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.None, priority_groups: ["A"], priority_policy: "pinned_client" } as Partial<ConsumerConfig>);
    const type = "io.nats.jetstream.api.v1.consumer_unpin_response";
    const err = async (subject: string, body: string) => (await h.request(subject, body)).json;
    assert.deepEqual(await err("$JS.API.CONSUMER.UNPIN.ORDERS.p", ""), { type, error: { code: 400, err_code: 10025, description: "invalid JSON" } });
    assert.deepEqual(await err("$JS.API.CONSUMER.UNPIN.ORDERS.p", "{}"), { type, error: { code: 400, err_code: 10025, description: "invalid JSON" } });
    assert.deepEqual(await err("$JS.API.CONSUMER.UNPIN.ORDERS.p", '{"group":"a b"}'), {
      type,
      error: { code: 400, err_code: 10162, description: "Valid priority group name must match A-Z, a-z, 0-9, -_/=)+ and may not exceed 16 characters" },
    });
    assert.deepEqual(await err("$JS.API.CONSUMER.UNPIN.NOPE.p", '{"group":"A"}'), { type, error: { code: 404, err_code: 10059, description: "stream not found" } });
    assert.deepEqual(await err("$JS.API.CONSUMER.UNPIN.ORDERS.nope", '{"group":"A"}'), { type, error: { code: 404, err_code: 10014, description: "consumer not found" } });
    assert.deepEqual(await err("$JS.API.CONSUMER.UNPIN.ORDERS.p", '{"group":"B"}'), { type, error: { code: 400, err_code: 10160, description: "Provided priority group does not exist for this consumer" } });
    // The official client's unpin() with a group that exists, while nobody is pinned, is fine.
    await h.jsm.consumers.unpin("ORDERS", "p", "A");
  });

  it("keeps the config but not the pin across a restart of a file stream, as nats-server", async (t) => {
    const storeDir = tempDir(t, "js-pin-");
    let pin: string | null | undefined;
    {
      const server = createServer({ jetstream: { storeDir } });
      await server.listen();
      const nc = await server.connect();
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.File });
      for (let i = 1; i <= 3; i++) await jetstream(nc).publish(`orders.${i}`, "x");
      await jsm.consumers.add("ORDERS", { durable_name: "p", ack_policy: AckPolicy.None, priority_groups: ["A"], priority_policy: "pinned_client" } as Partial<ConsumerConfig>);
      const h = { nc } as JsHarness;
      const first = await pullFor(h, "p", { batch: 1, group: "A" }, 150);
      pin = first[0]?.headers?.get("Nats-Pin-Id");
      assert.ok(pin);
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
    assert.deepEqual([info.config.priority_policy, info.config.priority_groups, info.config.priority_timeout], ["pinned_client", ["A"], 120_000 * NS_PER_MS]);
    assert.deepEqual(groupsOf(info), [{ group: "A", pinned_ts: "0001-01-01T00:00:00Z" }]);
    const h = { nc } as JsHarness;
    const stale = await pullFor(h, "p", { batch: 1, group: "A", id: pin }, 150);
    assert.deepEqual(statuses(stale), ["423 Nats-Wrong-Pin-Id"]);
    const fresh = await pullFor(h, "p", { batch: 1, group: "A" }, 150);
    assert.deepEqual(seqs(fresh), [2]);
  });
});

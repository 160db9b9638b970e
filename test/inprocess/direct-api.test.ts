/**
 * The direct API (no protocol bytes) shares one bus with network clients: a TCP client's PUB
 * reaches direct subscribers and direct publishes reach TCP subscribers, with the same
 * wildcards, queue groups, headers, max and no-responders.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { connect, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import {
  createServer,
  headers,
  InvalidArgumentError,
  MaxPayloadError,
  NoRespondersError,
  ServerClosedError,
  TimeoutError,
  type DirectMsg,
} from "../../src/index.ts";
import { eventually, startBroker } from "../helpers/broker.ts";

async function tcpClient(t: TestContext, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

describe("direct API", () => {
  it("delivers direct publishes to direct subscribers with wildcards", async (t) => {
    const server = createServer();
    t.after(() => server.close());
    const got: string[] = [];
    server.subscribe("a.*.c", { callback: (_e, m) => void got.push(`1:${m.subject}:${m.string()}`) });
    server.subscribe("a.>", { callback: (_e, m) => void got.push(`2:${m.subject}:${m.string()}`) });
    assert.equal(server.publish("a.b.c", "x"), true);
    assert.equal(server.publish("a", "never"), false);
    assert.equal(server.publish("a..c", "never"), false);
    assert.deepEqual(got.sort(), ["1:a.b.c:x", "2:a.b.c:x"]);
  });

  it("hands the payload over without a copy", async (t) => {
    const server = createServer();
    t.after(() => server.close());
    const seen: Uint8Array[] = [];
    server.subscribe("p", { callback: (_e, m) => void seen.push(m.data) });
    server.subscribe("p", { callback: (_e, m) => void seen.push(m.data) });
    const payload = new Uint8Array([1, 2, 3, 4]);
    server.publish("p", payload);
    assert.equal(seen.length, 2);
    for (const data of seen) {
      assert.equal(data.buffer, payload.buffer, "same memory as the publisher's bytes");
      assert.deepEqual([...data], [1, 2, 3, 4]);
    }
  });

  it("sees subscriptions made and removed between two publishes on one subject", async (t) => {
    // The direct publisher remembers its last subject's match; a sublist change must end that.
    const server = createServer();
    t.after(() => server.close());
    const got: string[] = [];
    const first = server.subscribe("same", { callback: (_e, m) => void got.push(`1:${m.string()}`) });
    server.publish("same", "a");
    const second = server.subscribe("same", { callback: (_e, m) => void got.push(`2:${m.string()}`) });
    server.publish("same", "b");
    first.unsubscribe();
    server.publish("same", "c");
    second.unsubscribe();
    assert.equal(server.publish("same", "d"), false);
    assert.deepEqual(got, ["1:a", "1:b", "2:b", "2:c"]);
  });

  it("counts in-process publishes in /varz and /subsz, as a network client's", async (t) => {
    // The direct path keeps its counters apart and folds them in when stats are read.
    const server = createServer();
    t.after(() => server.close());
    server.subscribe("counted", { callback: () => {} });
    const before = server.varz();
    const matchesBefore = server.subsz().num_matches;
    for (let i = 0; i < 3; i++) server.publish("counted", Buffer.from("abcd"));
    server.publish("counted", "xy", { headers: headers() });
    const after = server.varz();
    assert.equal(after.in_msgs - before.in_msgs, 4);
    assert.ok(after.in_bytes - before.in_bytes >= 3 * 4 + 2, "payload bytes counted");
    assert.equal(server.stats.inMsgs, after.in_msgs);
    assert.equal(server.subsz().num_matches - matchesBefore, 4);
  });

  it("crosses to and from TCP clients, headers included", async (t) => {
    const server = await startBroker(t);
    const nc = await tcpClient(t, server.url);
    const fromTcp: DirectMsg[] = [];
    server.subscribe("to.direct", { callback: (_e, m) => void fromTcp.push(m) });
    const tcpGot = new Promise<{ data: string; hdr: string | undefined }>((resolve) => {
      nc.subscribe("to.tcp", { max: 1, callback: (_e, m) => resolve({ data: m.string(), hdr: m.headers?.get("X-Id") }) });
    });
    await nc.flush();
    const h = natsHeaders();
    h.set("X-Id", "from-tcp");
    nc.publish("to.direct", "hello direct", { headers: h, reply: "r.1" });
    await nc.flush();
    await eventually(() => fromTcp.length === 1, "direct subscriber to receive the TCP publish");
    assert.equal(fromTcp[0]!.string(), "hello direct");
    assert.equal(fromTcp[0]!.reply, "r.1");
    assert.equal(fromTcp[0]!.headers?.get("X-Id"), "from-tcp");
    const dh = headers();
    dh.set("X-Id", "from-direct");
    server.publish("to.tcp", "hello tcp", { headers: dh });
    assert.deepEqual(await tcpGot, { data: "hello tcp", hdr: "from-direct" });
  });

  it("answers requests in both directions and reports no-responders at once", async (t) => {
    const server = await startBroker(t);
    const nc = await tcpClient(t, server.url);
    server.subscribe("direct.svc", { callback: (_e, m) => void m.respond(`direct:${m.string()}`) });
    nc.subscribe("tcp.svc", { callback: (_e, m) => void m.respond(`tcp:${m.string()}`) });
    await nc.flush();
    assert.equal((await nc.request("direct.svc", "a", { timeout: 2000 })).string(), "direct:a");
    assert.equal((await server.request("tcp.svc", "b", { timeout: 2000 })).string(), "tcp:b");
    assert.equal((await server.request("direct.svc", "c")).string(), "direct:c");
    await assert.rejects(server.request("nobody"), NoRespondersError);
    // A TCP requester gets nats-server's 503 when nobody, direct or not, listens.
    await assert.rejects(nc.request("nobody", "", { timeout: 2000 }), /no responders/i);
  });

  it("times out a request nobody answers", async (t) => {
    const server = createServer();
    t.after(() => server.close());
    server.subscribe("silent", { callback: () => {} });
    await assert.rejects(server.request("silent", "", { timeout: 50 }), TimeoutError);
  });

  it("shares queue groups between direct and TCP members, one delivery per message", async (t) => {
    const server = await startBroker(t);
    const nc = await tcpClient(t, server.url);
    let direct = 0;
    let tcp = 0;
    server.subscribe("jobs", { queue: "workers", callback: () => void direct++ });
    nc.subscribe("jobs", { queue: "workers", callback: () => void tcp++ });
    await nc.flush();
    const n = 400;
    for (let i = 0; i < n; i++) server.publish("jobs", String(i));
    await nc.flush();
    await eventually(() => direct + tcp === n, "every job delivered once");
    assert.ok(direct > 0 && tcp > 0, `both kinds of member work: direct ${direct}, tcp ${tcp}`);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(direct + tcp, n, "no job delivered twice");
  });

  it("iterates, stops after max, and unsubscribes with a max", async (t) => {
    const server = createServer();
    t.after(() => server.close());
    const sub = server.subscribe("it", { max: 3 });
    for (let i = 0; i < 5; i++) server.publish("it", String(i));
    const got: string[] = [];
    for await (const m of sub) got.push(m.string());
    assert.deepEqual(got, ["0", "1", "2"]);
    assert.equal(sub.isClosed(), true);
    assert.equal(server.numSubscriptions, 0);

    const later = server.subscribe("later", { callback: () => {} });
    server.publish("later");
    later.unsubscribe(3);
    for (let i = 0; i < 5; i++) server.publish("later");
    assert.equal(later.getReceived(), 3);
    assert.equal(later.isClosed(), true);
  });

  it("delivers the message that reaches max to an iterator already waiting", async (t) => {
    const server = createServer();
    t.after(() => server.close());
    const sub = server.subscribe("a", { max: 2 });
    const got: string[] = [];
    const reading = (async () => {
      for await (const m of sub) got.push(m.string());
    })();
    await new Promise((r) => setImmediate(r));
    for (const n of ["1", "2", "3"]) {
      server.publish("a", n);
      await new Promise((r) => setImmediate(r));
    }
    await reading;
    assert.deepEqual(got, ["1", "2"]);
  });

  it("drains: queued messages are still read, then the iterator ends", async (t) => {
    const server = createServer();
    t.after(() => server.close());
    const sub = server.subscribe("d");
    server.publish("d", "1");
    server.publish("d", "2");
    const drained = sub.drain();
    server.publish("d", "after drain");
    const got: string[] = [];
    for await (const m of sub) got.push(m.string());
    await drained;
    assert.deepEqual(got, ["1", "2"]);
  });

  it("reports a throwing callback on an event and keeps delivering", async (t) => {
    const server = createServer();
    t.after(() => server.close());
    const errors: unknown[] = [];
    server.on("subscription:error", (err, sub) => errors.push([(err as Error).message, sub.subject]));
    let after = 0;
    server.subscribe("boom", {
      callback: () => {
        throw new Error("handler bug");
      },
    });
    server.subscribe("boom", { callback: () => void after++ });
    server.publish("boom");
    server.publish("boom");
    assert.deepEqual(errors, [
      ["handler bug", "boom"],
      ["handler bug", "boom"],
    ]);
    assert.equal(after, 2);
  });

  it("drops for a reader that falls max_pending bytes behind, and says so", async (t) => {
    const server = createServer({ maxPending: 1000, maxPayload: 1000 });
    t.after(() => server.close());
    const slow: string[] = [];
    server.on("slow-consumer", (info) => slow.push(info.transport));
    const sub = server.subscribe("slow");
    for (let i = 0; i < 20; i++) server.publish("slow", "x".repeat(100));
    assert.equal(sub.getPending(), 10);
    assert.equal(sub.getDropped(), 10);
    assert.equal(slow.length, 10);
    assert.equal(slow[0], "direct");
  });

  it("refuses bad arguments like the official client does", async (t) => {
    const server = createServer({ maxPayload: 10 });
    t.after(() => server.close());
    assert.throws(() => server.publish(""), InvalidArgumentError);
    assert.throws(() => server.publish("a b"), InvalidArgumentError);
    assert.throws(() => server.subscribe("a..b"), InvalidArgumentError);
    assert.throws(() => server.publish("big", "01234567890"), MaxPayloadError);
    assert.throws(() => headers().set("bad:key", "v"), InvalidArgumentError);
    assert.throws(() => headers().set("k", "v\r\nInjected: 1"), InvalidArgumentError);
  });

  it("survives two callbacks answering each other forever (no stack overflow)", async (t) => {
    const server = createServer();
    t.after(() => server.close());
    let hops = 0;
    server.subscribe("ping", { callback: () => void (hops++ < 5000 && server.publish("pong")) });
    server.subscribe("pong", { callback: () => void (hops++ < 5000 && server.publish("ping")) });
    server.publish("ping");
    await eventually(() => hops > 5000, "the ping-pong to run its course");
  });

  it("fails pending work when the server closes", async () => {
    const server = createServer();
    server.subscribe("slow.svc", { callback: () => {} });
    const pending = server.request("slow.svc", "", { timeout: 10_000 });
    const sub = server.subscribe("x");
    await server.close();
    await assert.rejects(pending, ServerClosedError);
    assert.equal(sub.isClosed(), true);
    assert.throws(() => server.publish("x"), ServerClosedError);
  });
});

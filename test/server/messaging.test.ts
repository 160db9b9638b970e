/**
 * Core messaging through the official client (@nats-io/transport-node 3.x), over TCP: what a
 * user of nats-server relies on must behave the same here.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect, errors, headers, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { startBroker } from "../helpers/broker.ts";
import { RawClient } from "../helpers/raw-client.ts";

async function client(t: import("node:test").TestContext, url: string, opts: Parameters<typeof connect>[0] = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false, ...opts });
  t.after(() => nc.close());
  return nc;
}

/** Collects `n` messages from a subscription, or fails after `ms`. */
function collect(nc: NatsConnection, subject: string, n: number, opts: { queue?: string } = {}, ms = 5000): Promise<Msg[]> {
  return new Promise((resolve, reject) => {
    const got: Msg[] = [];
    const timer = setTimeout(() => reject(new Error(`got ${got.length}/${n} on ${subject}`)), ms);
    nc.subscribe(subject, {
      ...opts,
      callback: (err, msg) => {
        if (err) return reject(err);
        got.push(msg);
        if (got.length === n) {
          clearTimeout(timer);
          resolve(got);
        }
      },
    });
  });
}

describe("messaging with the official client", () => {
  it("routes by literal subject and by * and > wildcards", async (t) => {
    const server = await startBroker(t);
    const nc = await client(t, server.url);
    const literal = collect(nc, "orders.eu.new", 1);
    const star = collect(nc, "orders.*.new", 2);
    const tail = collect(nc, "orders.>", 3);
    await nc.flush();
    nc.publish("orders.eu.new", "a");
    nc.publish("orders.us.new", "b");
    nc.publish("orders.us.old.x", "c");
    nc.publish("orders", "never: > needs a token");
    nc.publish("other.eu.new", "never");
    assert.deepEqual((await literal).map((m) => m.string()), ["a"]);
    assert.deepEqual((await star).map((m) => m.subject), ["orders.eu.new", "orders.us.new"]);
    assert.deepEqual((await tail).map((m) => m.string()), ["a", "b", "c"]);
  });

  it("delivers each message to one member of a queue group and to every plain subscriber", async (t) => {
    const server = await startBroker(t);
    const nc = await client(t, server.url);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3; i++) nc.subscribe("work", { queue: "workers", callback: () => void counts[i]!++ });
    const plain = collect(nc, "work", 300);
    await nc.flush();
    for (let i = 0; i < 300; i++) nc.publish("work", String(i));
    await plain;
    await nc.flush();
    assert.equal(counts.reduce((a, b) => a + b, 0), 300);
    // Random pick: every member gets a share (probability of a member getting none is ~1e-53).
    for (const c of counts) assert.ok(c > 0, `member starved: ${counts.join(",")}`);
  });

  it("does request/reply, and answers no-responders when nobody listens", async (t) => {
    const server = await startBroker(t);
    const nc = await client(t, server.url);
    nc.subscribe("echo", { callback: (_e, m) => void m.respond(`re:${m.string()}`) });
    const reply = await nc.request("echo", "ping", { timeout: 2000 });
    assert.equal(reply.string(), "re:ping");
    await assert.rejects(nc.request("nobody.home", "x", { timeout: 2000 }), (err: Error) => {
      assert.ok(err instanceof errors.NoRespondersError || /no responders/i.test(err.message), err.message);
      return true;
    });
  });

  it("carries headers byte for byte and strips them for clients that did not ask", async (t) => {
    const server = await startBroker(t);
    const withHeaders = await client(t, server.url);
    // The official clients always ask for headers; a raw socket plays an old client that does not.
    const old = await RawClient.connect(server.port);
    t.after(() => old.destroy());
    old.send('CONNECT {"verbose":false,"pedantic":false}\r\nSUB h 1\r\nPING\r\n');
    await old.waitFor("PONG\r\n");
    const got = collect(withHeaders, "h", 1);
    await withHeaders.flush();
    const h = headers();
    h.set("Trace-Id", "abc 123");
    h.append("Multi", "1");
    h.append("Multi", "2");
    withHeaders.publish("h", "body", { headers: h });
    const [m] = await got;
    assert.equal(m!.headers?.get("Trace-Id"), "abc 123");
    assert.deepEqual(m!.headers?.values("Multi"), ["1", "2"]);
    assert.equal(m!.string(), "body");
    await old.waitFor("MSG h 1 4\r\nbody\r\n");
    assert.doesNotMatch(old.text(), /HMSG|Trace-Id/);
  });

  it("honours echo:false (noEcho) for the publisher's own subscriptions", async (t) => {
    const server = await startBroker(t);
    const quiet = await client(t, server.url, { noEcho: true });
    const other = await client(t, server.url);
    let own = 0;
    quiet.subscribe("e", { callback: () => void own++ });
    const theirs = collect(other, "e", 2);
    await quiet.flush();
    await other.flush();
    quiet.publish("e", "1");
    other.publish("e", "2");
    assert.equal((await theirs).length, 2);
    await quiet.flush();
    assert.equal(own, 1, "only the other client's message comes back");
  });

  it("auto-unsubscribes after max messages (UNSUB sid max)", async (t) => {
    const server = await startBroker(t);
    const nc = await client(t, server.url);
    const sub = nc.subscribe("limited", { max: 3 });
    await nc.flush();
    for (let i = 0; i < 10; i++) nc.publish("limited", String(i));
    const got: string[] = [];
    for await (const m of sub) got.push(m.string());
    assert.deepEqual(got, ["0", "1", "2"]);
    await nc.flush();
    assert.equal(server.numSubscriptions, 0);
  });

  it("keeps the order of 10,000 messages from one publisher", async (t) => {
    const server = await startBroker(t);
    const pub = await client(t, server.url);
    const subConn = await client(t, server.url);
    const n = 10_000;
    const done = collect(subConn, "seq", n, {}, 20_000);
    await subConn.flush();
    for (let i = 0; i < n; i++) pub.publish("seq", String(i));
    const msgs = await done;
    msgs.forEach((m, i) => assert.equal(m.string(), String(i)));
  });

  it("answers 1,000 concurrent requests", async (t) => {
    const server = await startBroker(t);
    const responder = await client(t, server.url);
    const requester = await client(t, server.url);
    responder.subscribe("double", { callback: (_e, m) => void m.respond(String(Number(m.string()) * 2)) });
    await responder.flush();
    const replies = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => requester.request("double", String(i), { timeout: 10_000 })),
    );
    replies.forEach((r, i) => assert.equal(r.string(), String(i * 2)));
  });

  it("serves 200 concurrent connections on one bus", async (t) => {
    const server = await startBroker(t);
    const conns = await Promise.all(Array.from({ length: 200 }, () => client(t, server.url)));
    assert.equal(server.numClients, 200);
    const received = conns.map((nc) => collect(nc, "broadcast", 1));
    await Promise.all(conns.map((nc) => nc.flush()));
    conns[0]!.publish("broadcast", "all");
    const all = await Promise.all(received);
    assert.equal(all.length, 200);
    for (const [m] of all) assert.equal(m!.string(), "all");
  });

  it("holds 10,000 subscriptions on one connection", async (t) => {
    const server = await startBroker(t);
    const nc = await client(t, server.url);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) nc.subscribe(`many.${i}`, { callback: () => void hits++ });
    await nc.flush();
    assert.equal(server.numSubscriptions, 10_000);
    nc.publish("many.0", "x");
    nc.publish("many.9999", "x");
    nc.publish("many.10000", "x");
    await nc.flush();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(hits, 2);
  });

  it("matches 1,000 wildcard subscriptions spread over connections", async (t) => {
    const server = await startBroker(t);
    const conns = await Promise.all(Array.from({ length: 10 }, () => client(t, server.url)));
    let hits = 0;
    conns.forEach((nc, c) => {
      for (let i = 0; i < 100; i++) {
        const pattern = i % 2 === 0 ? `metrics.*.c${c}s${i}` : `metrics.host.c${c}s${i}.>`;
        nc.subscribe(pattern, { callback: () => void hits++ });
      }
    });
    await Promise.all(conns.map((nc) => nc.flush()));
    assert.equal(server.numSubscriptions, 1000);
    const pub = await client(t, server.url);
    for (let c = 0; c < 10; c++) {
      for (let i = 0; i < 100; i++) {
        pub.publish(i % 2 === 0 ? `metrics.host.c${c}s${i}` : `metrics.host.c${c}s${i}.cpu`, "1");
      }
    }
    await pub.flush();
    await Promise.all(conns.map((nc) => nc.flush()));
    assert.equal(hits, 1000);
  });

  it("drains a connection and drops its subscriptions", async (t) => {
    const server = await startBroker(t);
    const nc = await connect({ servers: server.url, reconnect: false });
    nc.subscribe("a.>", { callback: () => {} });
    nc.subscribe("b", { queue: "q", callback: () => {} });
    await nc.flush();
    assert.equal(server.numSubscriptions, 2);
    await nc.drain();
    const deadline = Date.now() + 2000;
    while ((server.numSubscriptions > 0 || server.numClients > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(server.numSubscriptions, 0);
    assert.equal(server.numClients, 0);
  });
});

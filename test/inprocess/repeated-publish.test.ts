/**
 * `server.publish(subject, buffer)` repeated on one subject: every later publish is answered by
 * the publisher's own match cache (core/publisher-cache.ts) and delivered through the router's
 * common branch. These tests publish twice or more on one subject and check that the rules
 * still hold there: max, unsubscribing mid-delivery, throwing callbacks, nesting, taps, network
 * subscribers, limits and close.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createServer, MaxPayloadError, ServerClosedError, type DirectMsg } from "../../src/index.ts";
import { eventually } from "../helpers/broker.ts";

const ONE = Buffer.from("1");

async function tcpClient(t: TestContext, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

describe("direct publish, repeated on one subject", () => {
  it("delivers the same bytes to every callback subscriber, every time", (t) => {
    const server = createServer();
    t.after(() => server.close());
    const seen: Array<[number, Uint8Array, string]> = [];
    server.subscribe("fast.a", { callback: (_e, m) => void seen.push([1, m.data, m.reply]) });
    server.subscribe("fast.*", { callback: (_e, m) => void seen.push([2, m.data, m.subject]) });
    const payloads = [Buffer.from("a"), Buffer.from("b"), Buffer.from("c")];
    for (const p of payloads) assert.equal(server.publish("fast.a", p), true);
    assert.equal(seen.length, 6);
    for (let i = 0; i < 3; i++) {
      assert.equal(seen[2 * i]![1], payloads[i], "the publisher's buffer itself, no copy");
      assert.equal(seen[2 * i]![2], "");
      assert.equal(seen[2 * i + 1]![2], "fast.a");
    }
    assert.equal(server.stats.inMsgs, 3);
    assert.equal(server.stats.inBytes, 3);
  });

  it("stops at max, whether max was set at subscribe or later", (t) => {
    const server = createServer();
    t.after(() => server.close());
    let a = 0;
    let b = 0;
    server.subscribe("fast.max", { max: 2, callback: () => void a++ });
    const later = server.subscribe("fast.max", { callback: () => void b++ });
    server.publish("fast.max", ONE);
    server.publish("fast.max", ONE);
    later.unsubscribe(4);
    for (let i = 0; i < 5; i++) server.publish("fast.max", ONE);
    assert.equal(a, 2);
    assert.equal(b, 4);
    assert.equal(later.getReceived(), 4);
    assert.equal(later.isClosed(), true);
    assert.equal(server.publish("fast.max", ONE), false, "nobody is left");
  });

  it("does not deliver to a subscription another callback removed during the same publish", (t) => {
    const server = createServer();
    t.after(() => server.close());
    const got: string[] = [];
    let second: { unsubscribe(): void } | undefined;
    server.subscribe("fast.unsub", {
      callback: (_e, m) => {
        got.push(`first:${m.string()}`);
        if (m.string() === "2") second!.unsubscribe();
      },
    });
    second = server.subscribe("fast.unsub", { callback: (_e, m) => void got.push(`second:${m.string()}`) });
    for (const p of ["1", "2", "3"]) server.publish("fast.unsub", Buffer.from(p));
    assert.deepEqual(got, ["first:1", "second:1", "first:2", "first:3"]);
  });

  it("reports a throwing callback and still delivers to the others", (t) => {
    const server = createServer();
    t.after(() => server.close());
    const errors: string[] = [];
    server.on("subscription:error", (err) => errors.push((err as Error).message));
    let after = 0;
    server.subscribe("fast.boom", {
      callback: (_e, m) => {
        throw new Error(`bug ${m.string()}`);
      },
    });
    server.subscribe("fast.boom", { callback: () => void after++ });
    for (const p of ["1", "2", "3"]) assert.equal(server.publish("fast.boom", Buffer.from(p)), true);
    assert.deepEqual(errors, ["bug 1", "bug 2", "bug 3"]);
    assert.equal(after, 3);
  });

  it("stays synchronous when a callback throws something unprintable to a logger that throws", (t) => {
    const throwingLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() { throw new Error("logger down"); } };
    const server = createServer({ logger: throwingLogger });
    t.after(() => server.close());
    let reported = 0;
    server.on("subscription:error", () => void reported++);
    const unprintable = { toString(): string { throw new Error("no text"); } };
    server.subscribe("fast.odd", { callback: () => { throw unprintable; } });
    let got = 0;
    server.subscribe("fast.ok", { callback: () => void got++ });
    // More throws than the nesting limit of in-process publishes: had any unwound past its
    // bookkeeping, later publishes would be deferred to a microtask instead of delivered now.
    for (let i = 0; i < 40; i++) assert.equal(server.publish("fast.odd", ONE), true);
    assert.equal(reported, 40);
    assert.equal(server.publish("fast.ok", ONE), true);
    assert.equal(got, 1, "delivered before publish() returned");
  });

  it("lets a callback publish on the same subject without overflowing the stack", async (t) => {
    const server = createServer();
    t.after(() => server.close());
    let hops = 0;
    server.subscribe("fast.echo", { callback: () => void (hops++ < 2000 && server.publish("fast.echo", ONE)) });
    server.publish("fast.echo", ONE);
    await eventually(() => hops > 2000, "the self-publishing callback to run its course");
    assert.equal(hops, 2001);
  });

  it("starts recording as soon as a tap is added between two publishes", (t) => {
    const server = createServer();
    t.after(() => server.close());
    let got = 0;
    server.subscribe("fast.tap", { callback: () => void got++ });
    server.publish("fast.tap", Buffer.from("before"));
    server.publish("fast.tap", Buffer.from("before"));
    const tap = server.tap("fast.>");
    server.publish("fast.tap", Buffer.from("after"));
    assert.equal(got, 3);
    assert.deepEqual(
      tap.messages.map((m: DirectMsg) => m.string()),
      ["after"],
    );
  });

  it("reaches a TCP subscriber that arrives between two publishes", async (t) => {
    const server = createServer({ port: 0 });
    await server.listen();
    t.after(() => server.close());
    let direct = 0;
    server.subscribe("fast.net", { callback: () => void direct++ });
    server.publish("fast.net", ONE);
    server.publish("fast.net", ONE);
    const nc = await tcpClient(t, server.url!);
    const sub = nc.subscribe("fast.net", { max: 1 });
    await nc.flush();
    server.publish("fast.net", Buffer.from("over tcp"));
    for await (const m of sub) assert.equal(m.string(), "over tcp");
    assert.equal(direct, 3);
  });

  it("shares a queue group with a subscriber that joins between two publishes", (t) => {
    const server = createServer();
    t.after(() => server.close());
    let plain = 0;
    let queued = 0;
    server.subscribe("fast.q", { callback: () => void plain++ });
    server.publish("fast.q", ONE);
    server.publish("fast.q", ONE);
    server.subscribe("fast.q", { queue: "workers", callback: () => void queued++ });
    server.subscribe("fast.q", { queue: "workers", callback: () => void queued++ });
    for (let i = 0; i < 10; i++) server.publish("fast.q", ONE);
    assert.equal(plain, 12);
    assert.equal(queued, 10, "one member of the group per message");
  });

  it("still refuses an oversized payload and publishes after close", async () => {
    const server = createServer({ maxPayload: 4 });
    let got = 0;
    server.subscribe("fast.limit", { callback: () => void got++ });
    server.publish("fast.limit", ONE);
    server.publish("fast.limit", ONE);
    assert.throws(() => server.publish("fast.limit", Buffer.from("12345")), MaxPayloadError);
    await server.close();
    assert.throws(() => server.publish("fast.limit", ONE), ServerClosedError);
    assert.equal(got, 2);
  });
});

describe("a delivered message", () => {
  it("prints as the message, not its bookkeeping", async (t) => {
    const { inspect } = await import("node:util");
    const server = createServer();
    t.after(() => server.close());
    let printed = "";
    server.subscribe("print.me", { callback: (_e, m) => void (printed = inspect(m)) });
    server.publish("print.me", Buffer.from("hi"), { reply: "r.1" });
    assert.match(printed, /subject: 'print\.me'/);
    assert.match(printed, /reply: 'r\.1'/);
    assert.match(printed, /data: <Buffer 68 69>/);
    assert.doesNotMatch(printed, /responder|headerSize|buffer:/);
  });
});

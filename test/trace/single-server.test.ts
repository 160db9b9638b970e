/**
 * Message tracing on one server (nats-server 2.11 msgtrace.go), through the official client's
 * `traceDestination`/`traceOnly` publish options and a raw socket for the protocol edges.
 */
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { describe, it } from "node:test";
import { errors, headers } from "@nats-io/transport-node";
import { startBroker } from "../helpers/broker.ts";
import { client, sleep, steps, traces } from "./helpers.ts";

describe("message tracing, one server", () => {
  it("reports the ingress and each delivery, plain and queue, and delivers with the header kept", async (t) => {
    const server = await startBroker(t, { serverName: "solo" });
    const sub = await client(t, server.url, { name: "subscriber" });
    const pub = await client(t, server.url, { name: "publisher" });
    const got: (string | undefined)[] = [];
    sub.subscribe("orders.*", { callback: (_e, m) => void got.push(m.headers?.get("Nats-Trace-Dest")) });
    sub.subscribe("orders.new", { queue: "workers", callback: () => void got.push("queue") });
    const wait = await traces(sub, "trace.out");
    pub.publish("orders.new", "x", { traceDestination: "trace.out" });
    const [event] = await wait(1);
    assert.equal(event!.server.name, "solo");
    assert.equal(event!.server.id, server.id);
    assert.deepEqual(event!.request.header["Nats-Trace-Dest"], ["trace.out"]);
    assert.ok(event!.request.msgsize > 0);
    assert.equal(event!.hops, undefined);
    const [ingress, ...rest] = event!.events;
    assert.equal(ingress!.type, "in");
    assert.equal(ingress!.kind, 0);
    assert.equal(ingress!.name, "publisher");
    assert.equal(ingress!.acc, "$G");
    assert.equal(ingress!.subj, "orders.new");
    assert.equal(ingress!.error, undefined);
    assert.ok(!Number.isNaN(Date.parse(ingress!.ts)));
    const egress = rest.map((e) => `${e.type}|${e.kind}|${e.name}|${e.sub}|${e.queue ?? ""}|${e.acc ?? ""}|${e.error ?? ""}`).sort();
    assert.deepEqual(egress, ["eg|0|subscriber|orders.*|||", "eg|0|subscriber|orders.new|workers||"]);
    assert.deepEqual(got.sort(), ["queue", "trace.out"]);
  });

  it("trace-only reports the subscribers and delivers nothing; a traced request gets no 503 then", async (t) => {
    const server = await startBroker(t);
    const nc = await client(t, server.url);
    let received = 0;
    nc.subscribe("svc", { callback: (_e, m) => void (received++, m.respond("r")) });
    const wait = await traces(nc, "trace.only");
    nc.publish("svc", "x", { traceDestination: "trace.only", traceOnly: true });
    await assert.rejects(nc.request("svc", "y", { timeout: 300, traceDestination: "trace.only", traceOnly: true }), (err: Error) => err instanceof errors.TimeoutError);
    // A plain traced request is answered as usual.
    assert.equal((await nc.request("svc", "z", { timeout: 2000, traceDestination: "trace.only" })).string(), "r");
    const events = await wait(3);
    assert.equal(received, 1);
    for (const event of events) assert.deepEqual(steps(event, "eg").map((e) => e.sub), ["svc"]);
    assert.deepEqual(events[0]!.request.header["Nats-Trace-Only"], ["true"]);
  });

  it("names the subject a mapping sent the message to", async (t) => {
    const server = await startBroker(t, { mappings: { "in.*": "out.$1" } });
    const nc = await client(t, server.url);
    let seen = "";
    nc.subscribe("out.>", { callback: (_e, m) => void (seen = m.subject) });
    const wait = await traces(nc, "trace.map");
    nc.publish("in.a", "x", { traceDestination: "trace.map" });
    const [event] = await wait(1);
    assert.equal(event!.events[0]!.subj, "in.a");
    assert.deepEqual(steps(event!, "sm").map((e) => e.to), ["out.a"]);
    assert.deepEqual(steps(event!, "eg").map((e) => e.sub), ["out.>"]);
    assert.equal(seen, "out.a");
  });

  it("permissions: a refused publish is the ingress error; a subscriber that denies the subject is an egress error", async (t) => {
    const server = await startBroker(t, {
      authorization: {
        users: [
          { user: "pub", password: "pw", permissions: { publish: { allow: ["ok.>", "tr"] } } },
          { user: "sub", password: "pw", permissions: { subscribe: { allow: [">"], deny: ["ok.secret"] } } },
          { user: "all", password: "pw" },
        ],
      },
    });
    const pub = await client(t, server.url, { user: "pub", pass: "pw" });
    const sub = await client(t, server.url, { user: "sub", pass: "pw", name: "denier" });
    const watcher = await client(t, server.url, { user: "all", pass: "pw" });
    let secrets = 0;
    sub.subscribe("ok.*", { callback: () => void secrets++ });
    await sub.flush();
    const wait = await traces(watcher, "tr");
    pub.publish("ok.secret", "x", { traceDestination: "tr" });
    pub.publish("nope", "x", { traceDestination: "tr" });
    const events = await wait(2);
    const bySubject = new Map(events.map((e) => [e.events[0]!.subj, e]));
    assert.deepEqual(
      steps(bySubject.get("ok.secret")!, "eg").map((e) => [e.name, e.sub, e.error]),
      [["denier", "ok.*", "Not delivered because subscription denies this subject"]],
    );
    const refused = bySubject.get("nope")!;
    assert.equal(refused.events[0]!.error, 'Permissions Violation for Publish to "nope"');
    assert.equal(steps(refused, "eg").length, 0);
    assert.equal(secrets, 0);
  });

  it("a destination the publisher may not publish on stops the message, as a publish violation", async (t) => {
    const server = await startBroker(t, {
      authorization: {
        users: [
          { user: "pub", password: "pw", permissions: { publish: { allow: ["data"] } } },
          { user: "all", password: "pw" },
        ],
      },
    });
    const errs: string[] = [];
    const pub = await client(t, server.url, { user: "pub", pass: "pw" });
    void (async () => {
      for await (const s of pub.status()) if (s.type === "error") errs.push(String(s.error));
    })();
    const all = await client(t, server.url, { user: "all", pass: "pw" });
    let data = 0;
    all.subscribe("data", { callback: () => void data++ });
    let traced = 0;
    all.subscribe("secret.traces", { callback: () => void traced++ });
    await all.flush();
    pub.publish("data", "x", { traceDestination: "secret.traces" });
    pub.publish("data", "y");
    await pub.flush();
    await sleep(100);
    assert.equal(data, 1);
    assert.equal(traced, 0);
    assert.ok(errs.some((e) => e.includes("secret.traces")), errs.join());
  });

  it("no echo is reported on the publisher's own subscription", async (t) => {
    const server = await startBroker(t);
    const nc = await client(t, server.url, { noEcho: true, name: "self" });
    const watcher = await client(t, server.url);
    nc.subscribe("loop", { callback: () => assert.fail("no echo") });
    await nc.flush();
    const wait = await traces(watcher, "tr.echo");
    nc.publish("loop", "x", { traceDestination: "tr.echo" });
    const [event] = await wait(1);
    assert.deepEqual(steps(event!, "eg").map((e) => [e.name, e.error]), [["self", "Not delivered because of no echo"]]);
  });

  it("an unusable destination: the message goes on untraced, or nowhere when trace-only; the connection stays", async (t) => {
    const server = await startBroker(t);
    const nc = await client(t, server.url);
    const got: string[] = [];
    nc.subscribe("x", { callback: (_e, m) => void got.push(m.string()) });
    let events = 0;
    nc.subscribe(">", { callback: (_e, m) => void (m.subject !== "x" && events++) });
    await nc.flush();
    for (const dest of ["bad.*", "a..b", "trace disabled"]) {
      nc.publish("x", `plain ${dest}`, { traceDestination: dest });
      nc.publish("x", `only ${dest}`, { traceDestination: dest, traceOnly: true });
    }
    const h = headers();
    h.set("Nats-Trace-Dest", "tr.origin");
    h.set("Nats-Trace-Origin-Account", "A");
    nc.publish("x", "origin", { headers: h });
    await nc.flush();
    await sleep(50);
    assert.deepEqual(got, ["plain bad.*", "plain a..b", "plain trace disabled", "origin"]);
    assert.equal(events, 0);
    assert.equal(nc.isClosed(), false);
  });

  it("raw protocol: HPUB with a trace header, odd header blocks and trace-only \"1\" never hurt the server", async (t) => {
    const server = await startBroker(t);
    const watcher = await client(t, server.url);
    let delivered = 0;
    watcher.subscribe("raw", { callback: () => void delivered++ });
    const wait = await traces(watcher, "tr.raw");
    const socket = netConnect(server.port, "127.0.0.1");
    t.after(() => socket.destroy());
    let output = "";
    socket.on("data", (chunk: Buffer) => void (output += chunk.toString("latin1")));
    const hpub = (block: string, payload = "p"): string => `HPUB raw ${block.length} ${block.length + payload.length}\r\n${block}${payload}\r\n`;
    socket.write("CONNECT {\"headers\":true,\"verbose\":false}\r\n");
    socket.write(hpub("NATS/1.0\r\nNats-Trace-Dest: tr.raw\r\nNats-Trace-Only: 1\r\n\r\n"));
    socket.write(hpub("NATS/1.0\r\nNats-Trace-Dest:\r\n\r\n"));
    socket.write(hpub("NATS/1.0\r\nNats-Trace-Dest\r\n\r\n"));
    socket.write(hpub("NATS/1.0\r\nnats-trace-dest: tr.raw\r\n\r\n"));
    socket.write("PING\r\n");
    const events = await wait(1);
    assert.equal(events[0]!.events[0]!.kind, 0);
    await sleep(50);
    assert.ok(output.includes("PONG"), output);
    assert.ok(!output.includes("-ERR"), output);
    // Three untraced ones delivered (a lower-case name is not the header, as nats-server); the trace-only one not.
    assert.equal(delivered, 3);
  });

  it("an in-process responder's answer is its own message, not part of the request's trace", async (t) => {
    const server = await startBroker(t);
    const nc = await client(t, server.url);
    server.subscribe("svc.inproc", { callback: (_e, m) => void m.respond("answer") });
    const wait = await traces(nc, "tr.svc");
    assert.equal((await nc.request("svc.inproc", "q", { timeout: 2000, traceDestination: "tr.svc" })).string(), "answer");
    const [event] = await wait(1);
    assert.deepEqual(steps(event!, "eg").map((e) => [e.name, e.sub]), [["in-process", "svc.inproc"]]);
  });

  it("in-process: a publish with the header is traced, and in-process subscribers are egress", async (t) => {
    const server = await startBroker(t, { serverName: "embedded" });
    const nc = await client(t, server.url);
    const wait = await traces(nc, "tr.direct");
    let got = 0;
    server.subscribe("direct", { callback: () => void got++ });
    server.publish("direct", "x", { headers: { "Nats-Trace-Dest": "tr.direct" } });
    server.publish("direct", "x", { headers: { "Nats-Trace-Dest": "tr.direct", "Nats-Trace-Only": "true" } });
    const events = await wait(2);
    assert.equal(got, 1);
    for (const event of events) {
      assert.deepEqual([event.events[0]!.kind, event.events[0]!.name, event.events[0]!.subj], [0, "in-process", "direct"]);
      assert.deepEqual(steps(event, "eg").map((e) => [e.kind, e.name, e.sub]), [[0, "in-process", "direct"]]);
    }
  });
});

/**
 * Tracing across leaf links: the link is an egress (kind 4) with its hop, the other side's
 * ingress; through a route then a leaf link the hops nest (`1`, then `1.1`). A nats-server
 * 2.9.10 hub does not trace: it gets a traced message, never a trace-only one.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";
import { hasNatsServer } from "../helpers/nats-server-process.ts";
import { eventually, linksUp, startHub } from "../leafnode/helpers.ts";
import { routesUp, routeUrl, startNode } from "../cluster/helpers.ts";
import { client, sleep, steps, traces, type TraceEvent } from "./helpers.ts";

type Listening = Server & { url: string };

async function start(t: TestContext, options: ServerOptions): Promise<Listening> {
  const server = createServer({ host: "127.0.0.1", port: 0, ...options });
  t.after(() => server.close());
  await server.listen();
  return server as Listening;
}

async function untilInterest(nc: NatsConnection, subject: string, got: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!got()) {
    if (Date.now() > deadline) throw new Error(`no interest in ${subject} crossed`);
    nc.publish(subject, "probe");
    await nc.flush();
    await sleep(20);
  }
}

function byServer(events: TraceEvent[], name: string): TraceEvent {
  const event = events.find((e) => e.server.name === name);
  assert.ok(event !== undefined, `an event from ${name}: ${JSON.stringify(events)}`);
  return event;
}

describe("message tracing across leaf links", () => {
  it("spoke to hub: both report, the hub names the spoke as ingress (kind 4); trace-only crosses undelivered", async (t) => {
    const hub = await start(t, { serverName: "hub", leafnodes: { port: 0 } });
    const spoke = await start(t, { serverName: "spoke", leafnodes: { remotes: [{ urls: [`127.0.0.1:${hub.leafNodePort}`] }] } });
    await linksUp(hub);
    await linksUp(spoke);
    const onHub = await client(t, hub.url, { name: "hub-sub" });
    const onSpoke = await client(t, spoke.url);
    const got: string[] = [];
    onHub.subscribe("l.x", { callback: (_e, m) => void got.push(m.string()) });
    await onHub.flush();
    await untilInterest(onSpoke, "l.x", () => got.length > 0);
    got.length = 0;
    const wait = await traces(onSpoke, "tr.l");
    await eventually(() => hub.leafNodes[0]!.remoteInterest >= 1, "the spoke's trace interest at the hub");
    onSpoke.publish("l.x", "traced", { traceDestination: "tr.l" });
    onSpoke.publish("l.x", "only", { traceDestination: "tr.l", traceOnly: true });
    const events = await wait(4);
    const fromSpoke = events.filter((e) => e.server.name === "spoke");
    const fromHub = events.filter((e) => e.server.name === "hub");
    assert.equal(fromSpoke.length, 2);
    assert.equal(fromHub.length, 2);
    for (const e of fromSpoke) assert.deepEqual(steps(e, "eg").map((s) => [s.kind, s.name, s.hop]), [[4, "hub", "1"]]);
    for (const e of fromHub) {
      assert.deepEqual([e.events[0]!.kind, e.events[0]!.name, e.events[0]!.acc], [4, "spoke", "$G"]);
      assert.deepEqual(steps(e, "eg").map((s) => [s.kind, s.name, s.sub]), [[0, "hub-sub", "l.x"]]);
    }
    await sleep(50);
    assert.deepEqual(got, ["traced"]);
  });

  it("route then leaf link: hops nest, 1 then 1.1, and each server reports once", async (t) => {
    const a = await startNode(t, { serverName: "A", host: "127.0.0.1" });
    const b = await startNode(t, { serverName: "B", host: "127.0.0.1", leafnodes: { port: 0 } }, { routes: [routeUrl(a)] });
    await routesUp(a);
    const c = await start(t, { serverName: "C", leafnodes: { remotes: [{ urls: [`127.0.0.1:${b.leafNodePort}`] }] } });
    await linksUp(c);
    const onA = await client(t, a.url);
    const onC = await client(t, c.url, { name: "far" });
    const got: string[] = [];
    onC.subscribe("deep", { callback: (_e, m) => void got.push(m.headers?.get("Nats-Trace-Hop") ?? "") });
    await onC.flush();
    await untilInterest(onA, "deep", () => got.length > 0);
    got.length = 0;
    const wait = await traces(onA, "tr.deep");
    await eventually(() => c.leafNodes[0]!.remoteInterest >= 1 && b.routes[0]!.remoteInterest >= 2, "the trace interest at B and C");
    onA.publish("deep", "x", { traceDestination: "tr.deep" });
    const events = await wait(3);
    assert.deepEqual(steps(byServer(events, "A"), "eg").map((e) => [e.kind, e.name, e.hop]), [[1, "B", "1"]]);
    const fromB = byServer(events, "B");
    assert.deepEqual(fromB.request.header["Nats-Trace-Hop"], ["1"]);
    assert.deepEqual(steps(fromB, "eg").map((e) => [e.kind, e.name, e.hop]), [[4, "C", "1.1"]]);
    const fromC = byServer(events, "C");
    assert.deepEqual(fromC.request.header["Nats-Trace-Hop"], ["1.1"]);
    assert.deepEqual([fromC.events[0]!.kind, fromC.events[0]!.name], [4, "B"]);
    assert.deepEqual(steps(fromC, "eg").map((e) => e.name), ["far"]);
    assert.deepEqual(got, ["1.1"]);
  });

  it("a leaf whose permissions refuse the subject is an egress with nats-server's publish-denied error", async (t) => {
    const hub = await start(t, {
      serverName: "hub",
      leafnodes: { port: 0, authorization: { users: [{ user: "spoke", password: "pw", permissions: { subscribe: { allow: [">"], deny: ["secret.x"] } } }] } },
    });
    const spoke = await start(t, { serverName: "spoke", leafnodes: { remotes: [{ urls: [`nats-leaf://spoke:pw@127.0.0.1:${hub.leafNodePort}`] }] } });
    await linksUp(hub);
    const onSpoke = await client(t, spoke.url);
    const onHub = await client(t, hub.url);
    let leaked = 0;
    onSpoke.subscribe("secret.*", { callback: () => void leaked++ });
    await onSpoke.flush();
    await eventually(() => hub.leafNodes[0]!.remoteInterest >= 1, "the spoke's interest at the hub");
    const wait = await traces(onHub, "tr.perm");
    onHub.publish("secret.x", "x", { traceDestination: "tr.perm" });
    const [event] = await wait(1);
    assert.deepEqual(steps(event!, "eg").map((e) => [e.kind, e.name, e.error]), [[4, "spoke", "Not delivered because publish denied for this subject"]]);
    await sleep(50);
    assert.equal(leaked, 0);
  });

  it("a nats-server 2.9.10 hub: a traced message reaches its subscribers, a trace-only one is withheld", { skip: hasNatsServer() ? false : "nats-server is not installed" }, async (t) => {
    const hub = await startHub(t, { leafAuth: "", name: "oldhub" });
    const spoke = await start(t, { serverName: "spoke", leafnodes: { remotes: [{ urls: [`127.0.0.1:${hub.leafPort}`] }] } });
    await linksUp(spoke);
    const onHub = await client(t, hub.url);
    const onSpoke = await client(t, spoke.url);
    const got: string[] = [];
    onHub.subscribe("old.l", { callback: (_e, m) => void got.push(m.string()) });
    await onHub.flush();
    await untilInterest(onSpoke, "old.l", () => got.length > 0);
    got.length = 0;
    const wait = await traces(onSpoke, "tr.old");
    onSpoke.publish("old.l", "traced", { traceDestination: "tr.old" });
    onSpoke.publish("old.l", "only", { traceDestination: "tr.old", traceOnly: true });
    const [traced, only] = await wait(2);
    assert.deepEqual(steps(traced!, "eg").map((e) => [e.kind, e.hop, e.error]), [
      [4, "1", "Message delivered but remote does not support message tracing so no trace event generated from there"],
    ]);
    assert.deepEqual(steps(only!, "eg").map((e) => [e.kind, e.hop, e.error]), [[4, "1", "Not delivered because remote does not support message tracing"]]);
    assert.equal(only!.hops, 1);
    await sleep(100);
    assert.deepEqual(got, ["traced"]);
  });
});

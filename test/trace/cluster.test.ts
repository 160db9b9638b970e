/**
 * Tracing across a route: the sending server reports the route as an egress with its hop, the
 * receiving one reports the route as its ingress and its own deliveries. A nats-server 2.9.10
 * peer does not trace: it still gets a traced message, never a trace-only one.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NatsConnection } from "@nats-io/transport-node";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { freePort } from "../leafnode/helpers.ts";
import { eventually, routesUp, routeUrl, startNode } from "../cluster/helpers.ts";
import { client, sleep, steps, traces, type TraceEvent } from "./helpers.ts";

/** Publishes untraced probes on `subject` until `got()` says one arrived: the interest crossed. */
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

describe("message tracing across a route", () => {
  it("both servers report; the hop is numbered and carried in Nats-Trace-Hop; trace-only crosses but is not delivered", async (t) => {
    const a = await startNode(t, { serverName: "A" });
    const b = await startNode(t, { serverName: "B" }, { routes: [routeUrl(a)] });
    await routesUp(a);
    await routesUp(b);
    const onA = await client(t, a.url, { name: "pub-A" });
    const onB = await client(t, b.url, { name: "sub-B" });
    const got: string[] = [];
    onB.subscribe("c.x", { callback: (_e, m) => void got.push(`${m.string()}|${m.headers?.get("Nats-Trace-Hop") ?? ""}`) });
    await onB.flush();
    const wait = await traces(onA, "tr.c");
    await untilInterest(onA, "c.x", () => got.length > 0);
    // The watcher's interest crossed too, so that B's events reach it.
    await eventually(() => b.routes.some((r) => r.remoteInterest >= 2), "A's interest at B");
    got.length = 0;
    onA.publish("c.x", "traced", { traceDestination: "tr.c" });
    const events = await wait(2);
    const fromA = byServer(events, "A");
    const fromB = byServer(events, "B");
    assert.equal(fromA.hops, 1);
    assert.deepEqual(steps(fromA, "eg").map((e) => [e.kind, e.name, e.hop, e.error]), [[1, "B", "1", undefined]]);
    assert.deepEqual([fromB.events[0]!.kind, fromB.events[0]!.name, fromB.events[0]!.subj], [1, "A", "c.x"]);
    assert.deepEqual(fromB.request.header["Nats-Trace-Hop"], ["1"]);
    assert.equal(fromB.hops, undefined);
    assert.deepEqual(steps(fromB, "eg").map((e) => [e.kind, e.name, e.sub]), [[0, "sub-B", "c.x"]]);
    assert.deepEqual(got, ["traced|1"]);

    const waitOnly = await traces(onA, "tr.c");
    onA.publish("c.x", "only", { traceDestination: "tr.c", traceOnly: true });
    const only = await waitOnly(2);
    assert.deepEqual(steps(byServer(only, "B"), "eg").map((e) => e.name), ["sub-B"]);
    assert.deepEqual(got, ["traced|1"]);
  });

  it("an untraced message across the route is untouched", async (t) => {
    const a = await startNode(t, { serverName: "A" });
    const b = await startNode(t, { serverName: "B" }, { routes: [routeUrl(a)] });
    await routesUp(b);
    const onA = await client(t, a.url);
    const onB = await client(t, b.url);
    const got: string[] = [];
    onB.subscribe("plain", { callback: (_e, m) => void got.push(`${m.string()}|${m.headers === undefined ? "none" : [...m.headers.keys()].join(",")}`) });
    await onB.flush();
    await untilInterest(onA, "plain", () => got.length > 0);
    got.length = 0;
    onA.publish("plain", "x");
    await onA.flush();
    await sleep(100);
    assert.deepEqual(got, ["x|none"]);
  });

  it("nats-server 2.9.10 in the route: a traced message reaches its subscribers, a trace-only one is withheld", { skip: hasNatsServer() ? false : "nats-server is not installed" }, async (t) => {
    const ours = await startNode(t, { serverName: "ours" });
    const clusterPort = await freePort();
    const ns = await startNatsServer([], `server_name: old\ncluster { name: test, listen: "127.0.0.1:${clusterPort}", routes: ["${routeUrl(ours)}"] }\n`);
    t.after(() => ns.stop());
    await routesUp(ours);
    const onOurs = await client(t, ours.url, { name: "pub" });
    const onOld = await client(t, `nats://127.0.0.1:${ns.port}`);
    const got: string[] = [];
    onOld.subscribe("old.x", { callback: (_e, m) => void got.push(m.string()) });
    await onOld.flush();
    await untilInterest(onOurs, "old.x", () => got.length > 0);
    got.length = 0;
    const wait = await traces(onOurs, "tr.old");
    onOurs.publish("old.x", "traced", { traceDestination: "tr.old" });
    onOurs.publish("old.x", "only", { traceDestination: "tr.old", traceOnly: true });
    const events = await wait(2);
    assert.ok(events.every((e) => e.server.name === "ours"));
    const [traced, only] = events;
    assert.deepEqual(steps(traced!, "eg").map((e) => [e.kind, e.name, e.hop, e.error]), [
      [1, "old", "1", "Message delivered but remote does not support message tracing so no trace event generated from there"],
    ]);
    assert.deepEqual(steps(only!, "eg").map((e) => [e.kind, e.name, e.hop, e.error]), [
      [1, "old", "1", "Not delivered because remote does not support message tracing"],
    ]);
    await sleep(100);
    assert.deepEqual(got, ["traced"]);
  });
});

/**
 * Differential: our node and Debian's nats-server 2.9.10 in one cluster, each side dialing,
 * and a three-node mesh formed by gossip through a nats-server. Clients of each node see the
 * other's messages, headers, replies and queue groups; nats-server's `$SYS` traffic stays out.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { hasNatsServer, startNatsServer, type NatsServerProcess } from "../helpers/nats-server-process.ts";
import { freePort } from "../leafnode/helpers.ts";
import { eventually, routesUp, routeUrl, sleep, startNode, type Node } from "./helpers.ts";

const skip = hasNatsServer() ? false : "nats-server is not installed";

async function natsServer(t: TestContext, clusterPort: number, routes: string[] = []): Promise<NatsServerProcess> {
  const routeList = routes.map((r) => JSON.stringify(r)).join(", ");
  const ns = await startNatsServer([], `cluster { name: test, listen: "127.0.0.1:${clusterPort}", routes: [${routeList}] }\n`);
  t.after(() => ns.stop());
  return ns;
}

async function client(t: TestContext, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

/** Publishes a probe until `got()` says it arrived: the interest crossed the route. */
async function untilInterest(nc: NatsConnection, subject: string, got: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!got()) {
    if (Date.now() > deadline) throw new Error(`no interest in ${subject} crossed`);
    nc.publish(subject, "probe");
    await nc.flush();
    await sleep(20);
  }
}

/** Both directions, headers, request/reply and a queue group split across the two servers. */
async function exercise(t: TestContext, ours: Node, theirsUrl: string): Promise<void> {
  const co = await client(t, ours.url);
  const cn = await client(t, theirsUrl);
  const onTheirs: string[] = [];
  const onOurs: string[] = [];
  const everything: string[] = [];
  cn.subscribe("to.theirs.>", { callback: (_e, m) => void onTheirs.push(`${m.subject}|${m.string()}|${m.headers?.get("X-K") ?? ""}`) });
  co.subscribe("to.ours.>", { callback: (_e, m) => void onOurs.push(`${m.subject}|${m.string()}|${m.headers?.get("X-K") ?? ""}`) });
  co.subscribe(">", { callback: (_e, m) => void everything.push(m.subject) });
  await cn.flush();
  await co.flush();
  await untilInterest(co, "to.theirs.probe", () => onTheirs.length > 0);
  await untilInterest(cn, "to.ours.probe", () => onOurs.length > 0);
  onTheirs.length = 0;
  onOurs.length = 0;
  const h = headers();
  h.set("X-K", "v");
  co.publish("to.theirs.a", "plain");
  co.publish("to.theirs.b", "with headers", { headers: h });
  cn.publish("to.ours.a", "plain");
  cn.publish("to.ours.b", "with headers", { headers: h });
  await eventually(() => onTheirs.length === 2 && onOurs.length === 2, "messages both ways", 5000);
  assert.deepEqual(onTheirs, ["to.theirs.a|plain|", "to.theirs.b|with headers|v"]);
  assert.deepEqual(onOurs, ["to.ours.a|plain|", "to.ours.b|with headers|v"]);

  // Request/reply both ways.
  cn.subscribe("svc.theirs", { callback: (_e, m) => void m.respond(`theirs:${m.string()}`) });
  co.subscribe("svc.ours", { callback: (_e, m) => void m.respond(`ours:${m.string()}`) });
  await cn.flush();
  await co.flush();
  await eventually(() => ours.numSubscriptions >= 5, "the service's interest on our node", 5000);
  assert.equal((await co.request("svc.theirs", "x", { timeout: 3000 })).string(), "theirs:x");
  assert.equal((await cn.request("svc.ours", "y", { timeout: 3000 })).string(), "ours:y");

  // A queue group with a member on each server: each message once.
  let mine = 0;
  let their = 0;
  co.subscribe("work", { queue: "w", callback: () => void mine++ });
  cn.subscribe("work", { queue: "w", callback: () => void their++ });
  await co.flush();
  await cn.flush();
  await untilInterest(co, "work", () => their > 0);
  await untilInterest(cn, "work", () => mine > 0);
  await sleep(100);
  mine = 0;
  their = 0;
  for (let i = 0; i < 200; i++) (i % 2 === 0 ? co : cn).publish("work", String(i));
  await co.flush();
  await cn.flush();
  await eventually(() => mine + their >= 200, "200 queue messages", 5000);
  await sleep(200);
  assert.equal(mine + their, 200, `exactly once (${mine} ours / ${their} theirs)`);
  assert.ok(mine > 0 && their > 0, `both members served (${mine}/${their})`);

  // nats-server's system account traffic never reaches $G.
  assert.ok(!everything.some((s) => s.startsWith("$SYS.")), "no $SYS subject in $G");
}

describe("a cluster with nats-server 2.9.10", { skip, timeout: 90_000 }, () => {
  it("nats-server dials our node", async (t) => {
    const ours = await startNode(t, { serverName: "ours" });
    const ns = await natsServer(t, await freePort(), [routeUrl(ours)]);
    await routesUp(ours, 1, 10_000);
    assert.equal(ours.routes[0]!.role, "accept");
    await exercise(t, ours, `nats://127.0.0.1:${ns.port}`);
  });

  it("our node dials nats-server", async (t) => {
    const clusterPort = await freePort();
    const ns = await natsServer(t, clusterPort);
    const ours = await startNode(t, { serverName: "ours" }, { routes: [`nats-route://127.0.0.1:${clusterPort}`] });
    await routesUp(ours, 1, 10_000);
    assert.equal(ours.routes[0]!.role, "solicit");
    await exercise(t, ours, `nats://127.0.0.1:${ns.port}`);
    // Clients learn every member's client URL (INFO connect_urls).
    const nc = await client(t, ours.url);
    await eventually(() => (nc.info?.connect_urls ?? []).length === 2, "two connect_urls");
    assert.deepEqual(nc.info?.connect_urls, [`127.0.0.1:${ours.port}`, `127.0.0.1:${ns.port}`]);
  });

  it("both configured with each other: they settle on one route", async (t) => {
    const clusterPort = await freePort();
    const ourPort = await freePort();
    const ours = await startNode(t, { serverName: "ours" }, { port: ourPort, routes: [`nats-route://127.0.0.1:${clusterPort}`] });
    const ns = await natsServer(t, clusterPort, [`nats-route://127.0.0.1:${ourPort}`]);
    let lastChange = Date.now();
    ours.on("route:connect", () => void (lastChange = Date.now()));
    ours.on("route:close", () => void (lastChange = Date.now()));
    // Both dial; nats-server keeps the route it registered first and we keep the one dialed by
    // the smaller server id, so they may both drop the pair once and redial (as two
    // nats-server 2.9 nodes may): what matters is that they settle.
    await eventually(() => ours.routes.length === 1 && Date.now() - lastChange > 2000, "one stable route", 20_000);
    await exercise(t, ours, `nats://127.0.0.1:${ns.port}`);
  });

  it("a node that knows only nats-server meets the other members by gossip, and they outlive it", async (t) => {
    const clusterPort = await freePort();
    const ns = await natsServer(t, clusterPort);
    const seed = `nats-route://127.0.0.1:${clusterPort}`;
    const a = await startNode(t, { serverName: "A" }, { routes: [seed] });
    await routesUp(a, 1, 10_000);
    const b = await startNode(t, { serverName: "B" }, { routes: [seed] });
    // nats-server forwards B's INFO to A, and A dials B.
    await routesUp(a, 2, 10_000);
    await routesUp(b, 2, 10_000);
    const got: string[] = [];
    const cb = await client(t, b.url);
    cb.subscribe("mesh", { callback: (_e, m) => void got.push(m.string()) });
    await cb.flush();
    const ca = await client(t, a.url);
    const cn = await connect({ servers: `nats://127.0.0.1:${ns.port}`, reconnect: false });
    t.after(() => cn.close().catch(() => undefined));
    await untilInterest(ca, "mesh", () => got.length > 0);
    await untilInterest(cn, "mesh", () => got.length > 1);
    await sleep(100);
    got.length = 0;
    for (let i = 0; i < 20; i++) {
      ca.publish("mesh", `a${i}`);
      cn.publish("mesh", `n${i}`);
    }
    await eventually(() => got.length >= 40, "40 messages on B");
    await sleep(200);
    assert.equal(got.length, 40, "one hop: each message once");

    // nats-server is killed (SIGKILL): A and B stay meshed with each other.
    await ns.stop();
    await eventually(() => a.routes.length === 1 && b.routes.length === 1, "A and B without nats-server", 10_000);
    got.length = 0;
    ca.publish("mesh", "still here");
    await eventually(() => got.length === 1, "A to B after the kill");
    assert.deepEqual(got, ["still here"]);
  });
});

/**
 * Embedded nodes meshed by routes in one process: the handshake, interest both ways (plain,
 * wildcard, queue groups, per account), messages with headers and replies, the one-hop rule,
 * duplicate routes, and a node that goes away.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { freePort } from "../leafnode/helpers.ts";
import { eventually, routesUp, routeUrl, sleep, startNode, type Node } from "./helpers.ts";

async function client(t: { after(fn: () => unknown): void }, node: Node, opts: Record<string, unknown> = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: node.url, reconnect: false, ...opts });
  t.after(() => nc.close());
  return nc;
}

/** Publishes `probe` on `subject` from `nc` until `got()` says it arrived: interest has crossed. */
async function untilInterest(nc: NatsConnection, subject: string, got: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!got()) {
    if (Date.now() > deadline) throw new Error(`no interest in ${subject} crossed the route`);
    nc.publish(subject, "probe");
    await nc.flush();
    await sleep(10);
  }
}

describe("routes between embedded nodes", { timeout: 60_000 }, () => {
  it("two nodes: handshake, interest both ways, messages, replies and headers", async (t) => {
    const a = await startNode(t, { serverName: "A" });
    const b = await startNode(t, { serverName: "B" }, { routes: [routeUrl(a)] });
    await routesUp(a);
    await routesUp(b);
    assert.equal(a.routes[0]!.serverName, "B");
    assert.equal(a.routes[0]!.role, "accept");
    assert.equal(b.routes[0]!.role, "solicit");

    const ca = await client(t, a);
    const cb = await client(t, b);
    const got: string[] = [];
    cb.subscribe("orders.>", { callback: (_e, m) => void got.push(`${m.subject}:${m.string()}:${m.headers?.get("X-K") ?? ""}`) });
    await cb.flush();
    await untilInterest(ca, "orders.probe", () => got.length > 0);
    got.length = 0;
    const h = headers();
    h.set("X-K", "v");
    ca.publish("orders.1", "one");
    ca.publish("orders.2", "two", { headers: h });
    ca.publish("other", "nobody");
    await eventually(() => got.length === 2, "two messages on B");
    assert.deepEqual(got, ["orders.1:one:", "orders.2:two:v"]);

    // Request/reply across the route, both ways.
    cb.subscribe("svc.echo", { callback: (_e, m) => void m.respond(`echo ${m.string()}`) });
    await cb.flush();
    await eventually(() => a.numSubscriptions === 2, "the service's interest on A");
    const r = await ca.request("svc.echo", "hi", { timeout: 2000 });
    assert.equal(r.string(), "echo hi");

    // Interest withdrawn: A stops sending.
    const before = b.stats.inMsgs;
    const sub = cb.subscribe("gone");
    await cb.flush();
    // A's own inbox for the request counts too: 3, then 4 with "gone".
    await eventually(() => a.numSubscriptions === 4, "gone's interest on A");
    sub.unsubscribe();
    await cb.flush();
    await eventually(() => a.numSubscriptions === 3, "gone's interest removed on A");
    ca.publish("gone", "x");
    await ca.flush();
    await sleep(50);
    assert.equal(b.stats.inMsgs, before, "nothing crossed for withdrawn interest");
  });

  it("the in-process API is a client of the cluster too", async (t) => {
    const a = await startNode(t);
    const b = await startNode(t, {}, { routes: [routeUrl(a)] });
    await routesUp(b);
    const got: string[] = [];
    b.subscribe("in.proc", { callback: (_e, m) => void got.push(m.string()) });
    await eventually(() => a.numSubscriptions === 1, "interest on A");
    a.publish("in.proc", "hello");
    await eventually(() => got.length === 1, "delivery on B");
    assert.deepEqual(got, ["hello"]);
  });

  it("gossip meshes a node that knows one member, and each message crosses once (one hop)", async (t) => {
    const a = await startNode(t, { serverName: "A" });
    const b = await startNode(t, { serverName: "B" }, { routes: [routeUrl(a)] });
    await routesUp(b);
    // C knows only B; gossip from B makes A and C meet.
    const c = await startNode(t, { serverName: "C" }, { routes: [routeUrl(b)] });
    await routesUp(a, 2);
    await routesUp(b, 2);
    await routesUp(c, 2);
    const got: string[] = [];
    const cc = await client(t, c);
    cc.subscribe("line", { callback: (_e, m) => void got.push(m.string()) });
    await cc.flush();
    const ca = await client(t, a);
    await untilInterest(ca, "line", () => got.length > 0);
    await sleep(50);
    got.length = 0;
    for (let i = 0; i < 50; i++) ca.publish("line", String(i));
    await ca.flush();
    await eventually(() => got.length >= 50, "50 messages on C");
    await sleep(100);
    assert.equal(got.length, 50, "each message once, not once per path");
  });

  it("queue groups get each message exactly once across three nodes", async (t) => {
    const a = await startNode(t);
    const b = await startNode(t, {}, { routes: [routeUrl(a)] });
    const c = await startNode(t, {}, { routes: [routeUrl(a), routeUrl(b)] });
    await routesUp(a, 2);
    await routesUp(b, 2);
    await routesUp(c, 2);
    const counts = [0, 0, 0];
    const plain: string[] = [];
    const nodes = [a, b, c];
    for (let i = 0; i < 3; i++) {
      const nc = await client(t, nodes[i]!);
      nc.subscribe("q.x", { queue: "workers", callback: () => void counts[i]!++ });
      await nc.flush();
    }
    const cb = await client(t, b);
    cb.subscribe("q.x", { callback: (_e, m) => void plain.push(m.string()) });
    await cb.flush();
    // Every node must know every other node's members (1 plain + 3 queue members on A: its own and two routes').
    await eventually(() => a.numSubscriptions === 4 && c.numSubscriptions === 4 && b.numSubscriptions === 4, "queue interest everywhere");
    const ca = await client(t, a);
    for (let i = 0; i < 300; i++) ca.publish("q.x", String(i));
    await ca.flush();
    await eventually(() => counts[0]! + counts[1]! + counts[2]! >= 300 && plain.length >= 300, "300 queue deliveries");
    await sleep(100);
    assert.equal(counts[0]! + counts[1]! + counts[2]!, 300, `exactly once: ${counts.join("/")}`);
    assert.equal(plain.length, 300, "the plain subscriber on B gets each once, beside the queue");
    assert.ok(counts[1]! > 0 && counts[2]! > 0, `remote members take their share: ${counts.join("/")}`);
  });

  it("routes carry each account's interest and messages apart", async (t) => {
    const accounts = {
      A: { users: [{ user: "a", password: "a" }] },
      B: { users: [{ user: "b", password: "b" }] },
    };
    const n1 = await startNode(t, { accounts });
    const n2 = await startNode(t, { accounts }, { routes: [routeUrl(n1)] });
    await routesUp(n2);
    const gotA: string[] = [];
    const gotB: string[] = [];
    const a2 = await client(t, n2, { user: "a", pass: "a" });
    const b2 = await client(t, n2, { user: "b", pass: "b" });
    a2.subscribe("s", { callback: (_e, m) => void gotA.push(m.string()) });
    b2.subscribe("s", { callback: (_e, m) => void gotB.push(m.string()) });
    await a2.flush();
    await b2.flush();
    const a1 = await client(t, n1, { user: "a", pass: "a" });
    await untilInterest(a1, "s", () => gotA.length > 0);
    gotA.length = 0;
    a1.publish("s", "for A");
    await a1.flush();
    await eventually(() => gotA.length === 1, "A's message on n2");
    await sleep(50);
    assert.deepEqual(gotA, ["for A"]);
    assert.deepEqual(gotB, [], "B never sees A's subject");
  });

  it("servers that dial each other and learn of each other keep one route per pair; a node that leaves is dropped", async (t) => {
    const a = await startNode(t, { serverName: "A" });
    const b = await startNode(t, { serverName: "B" }, { routes: [routeUrl(a)] });
    await routesUp(a);
    // A now dials B as well: a duplicate of the route B dialed.
    const a2 = await startNode(t, { serverName: "A2" }, { routes: [routeUrl(b), routeUrl(a)] });
    await routesUp(a2, 2);
    await routesUp(b, 2);
    await sleep(300);
    assert.equal(b.routes.length, 2);
    assert.equal(a.routes.length + a2.routes.length, 4, "A and A2 meshed with B and each other, once each");
    let downs = 0;
    b.on("route:close", () => downs++);
    await a2.close();
    await eventually(() => b.routes.length === 1, "B drops A2");
    assert.equal(downs, 1);
  });
});

describe("routes that come back", { timeout: 60_000 }, () => {
  it("a configured route is redialed after its peer restarts, and interest is sent again", async (t) => {
    const port = await freePort();
    let a = await startNode(t, { serverName: "A" }, { port });
    const b = await startNode(t, { serverName: "B" }, { routes: [`nats-route://127.0.0.1:${port}`] });
    await routesUp(b);
    const got: string[] = [];
    b.subscribe("back", { callback: (_e, m) => void got.push(m.string()) });
    await a.close();
    await eventually(() => b.routes.length === 0, "B sees A go");
    a = await startNode(t, { serverName: "A" }, { port });
    await routesUp(b, 1, 10_000);
    await eventually(() => a.publish("back", "again") && got.length > 0, "B's interest on the new A");
    assert.equal(got[0], "again");
  });
});

describe("routes with leaf nodes and failing-over clients", { timeout: 60_000 }, () => {
  it("a leaf node of one member reaches the whole cluster, both ways", async (t) => {
    const hub = await startNode(t, { serverName: "hub", leafnodes: { port: 0 } });
    const other = await startNode(t, { serverName: "other" }, { routes: [routeUrl(hub)] });
    await routesUp(hub);
    const { createServer } = await import("../../src/index.ts");
    const leaf = createServer({ port: 0, leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hub.leafNodePort}`] }] } });
    t.after(() => leaf.close());
    await leaf.listen();
    await eventually(() => leaf.leafNodes.length === 1, "the leaf link");
    const down: string[] = [];
    const up: string[] = [];
    leaf.subscribe("down", { callback: (_e, m) => void down.push(m.string()) });
    other.subscribe("up", { callback: (_e, m) => void up.push(m.string()) });
    await eventually(() => other.publish("down", "probe") && leaf.publish("up", "probe") && down.length > 0 && up.length > 0, "interest through hub");
    await sleep(50);
    down.length = 0;
    up.length = 0;
    for (let i = 0; i < 10; i++) {
      other.publish("down", String(i));
      leaf.publish("up", String(i));
    }
    await eventually(() => down.length === 10 && up.length === 10, "10 each way");
    await sleep(100);
    assert.equal(down.length, 10);
    assert.equal(up.length, 10);
  });

  it("a member in lame duck mode is taken out of the other members' connect_urls", async (t) => {
    const a = await startNode(t, { serverName: "A", lameDuckGracePeriod: 200, lameDuckDuration: 100 });
    const b = await startNode(t, { serverName: "B" }, { routes: [routeUrl(a)] });
    await routesUp(b);
    const nc = await connect({ servers: b.url, reconnect: false });
    t.after(() => nc.close());
    await eventually(() => (nc.info?.connect_urls ?? []).length === 2, "both URLs in INFO");
    const ldm = a.lameDuck();
    await eventually(() => nc.info?.connect_urls?.length === 1, "A's URL withdrawn");
    assert.deepEqual(nc.info?.connect_urls, [`127.0.0.1:${b.port}`]);
    await ldm;
  });

  it("clients learn the members' URLs and fail over when their node goes away", async (t) => {
    const a = await startNode(t, { serverName: "A" });
    const b = await startNode(t, { serverName: "B" }, { routes: [routeUrl(a)] });
    await routesUp(a);
    const nc = await connect({ servers: a.url, reconnectTimeWait: 50, maxReconnectAttempts: 20 });
    t.after(() => nc.close());
    await eventually(() => (nc.info?.connect_urls ?? []).length === 2, "both URLs in INFO");
    assert.deepEqual(nc.info?.connect_urls, [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
    await a.close();
    await eventually(() => nc.info?.server_name === "B", "the client on B", 10_000);
    const got: string[] = [];
    b.subscribe("after", { callback: (_e, m) => void got.push(m.string()) });
    nc.publish("after", "failover");
    await eventually(() => got.length === 1, "a message through B");
  });
});

describe("two servers configured with each other", { timeout: 30_000 }, () => {
  it("keep one route, stop redialing while it lasts, and redial when it goes", async (t) => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await startNode(t, { serverName: "A" }, { port: pa, routes: [`nats-route://127.0.0.1:${pb}`] });
    const b = await startNode(t, { serverName: "B" }, { port: pb, routes: [`nats-route://127.0.0.1:${pa}`] });
    let connects = 0;
    let closes = 0;
    for (const s of [a, b]) {
      s.on("route:connect", () => connects++);
      s.on("route:close", () => closes++);
    }
    await routesUp(a);
    await routesUp(b);
    // Long enough for several redial periods (1 s): nothing flaps.
    await sleep(2500);
    assert.equal(a.routes.length, 1);
    assert.equal(b.routes.length, 1);
    const settled = connects + closes;
    await sleep(1500);
    assert.equal(connects + closes, settled, "no route churn once settled");
    // When the route goes, the side that stood back dials again.
    await a.close();
    await eventually(() => b.routes.length === 0, "B sees A go");
    const a2 = await startNode(t, { serverName: "A2" }, { port: pa });
    await routesUp(a2, 1, 5000);
  });
});

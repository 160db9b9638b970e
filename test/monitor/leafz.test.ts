/**
 * `/leafz`, the `/varz` `leaf` section and `leafnodes` count, the leaf gauge of `/metrics`, and
 * `server.leafz()`: two brokers linked as hub and leaf node carry messages between official
 * clients, then both ends' JSON is checked; and compared with Debian's nats-server 2.9.10 on
 * each side of a link (field names and types, and the values the topology decides).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Leafz } from "../../src/index.ts";
import { hasNatsServer } from "../helpers/nats-server-process.ts";
import { getJson, httpGet, startMonitored, startReferenceWithMonitor, until, type MonitoredServer, type ReferenceServer } from "./monitor-helpers.ts";
import { shapeDifferences, type Json } from "./shape.ts";

async function client(t: TestContext, port: number): Promise<NatsConnection> {
  const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

/** A hub (leaf port 0) and a broker joined to it as its leaf node, both monitored. */
async function startPair(t: TestContext, remote: { user?: string; denyExports?: string[] } = {}): Promise<{ hub: MonitoredServer; spoke: MonitoredServer; leafPort: number }> {
  const hub = await startMonitored(t, { serverName: "hub", leafnodes: { port: 0 } });
  const leafPort = hub.leafNodePort!;
  const userinfo = remote.user === undefined ? "" : `${remote.user}:secret@`;
  const spoke = await startMonitored(t, {
    serverName: "spoke",
    leafnodes: { remotes: [{ urls: [`nats-leaf://${userinfo}127.0.0.1:${leafPort}`], ...(remote.denyExports !== undefined && { denyExports: remote.denyExports }) }] },
  });
  // Up, and each side has heard the other's first interest (its loop detection subject).
  const ready = (server: MonitoredServer): boolean => server.leafNodes.length === 1 && server.leafNodes[0]!.remoteInterest > 0;
  await until(() => ready(hub) && ready(spoke), "the leaf link", 10_000);
  return { hub, spoke, leafPort };
}

/** Go's time.Duration text. */
const GO_DURATION = /^(0s|[\d.]+(ns|µs|ms|s)|(\d+h)?(\d+m)?[\d.]+s)$/;

test("/leafz without leaf nodes: none, and /varz says so", { timeout: 20_000 }, async (t) => {
  const server = await startMonitored(t);
  const leafz = await getJson<Leafz>(server.monitorPort, "/leafz");
  assert.equal(leafz.server_id, server.id);
  assert.match(leafz.now, /^\d{4}-\d\d-\d\dT/);
  assert.equal(leafz.leafnodes, 0);
  assert.deepEqual(leafz.leafs, []);
  assert.deepEqual(Object.keys(leafz), ["server_id", "now", "leafnodes", "leafs"]);
  const varz = await getJson<{ leaf: Json; leafnodes: number; http_req_stats: Record<string, number> }>(server.monitorPort, "/varz");
  assert.deepEqual(varz.leaf, {});
  assert.equal(varz.leafnodes, 0);
  assert.equal(varz.http_req_stats["/leafz"], 1);
  assert.deepEqual(server.leafz().leafs, []);
});

test("/leafz on both ends of a link: peer, role, address, traffic and interest", { timeout: 30_000 }, async (t) => {
  const { hub, spoke, leafPort } = await startPair(t);
  const subscriber = await client(t, hub.ports.nats!.port);
  // A callback subscription: it stays, so the interest it makes can be checked afterwards.
  const subjects: string[] = [];
  const bothArrived = new Promise<void>((resolve) => {
    subscriber.subscribe("orders.>", {
      callback: (_err, msg) => {
        subjects.push(msg.subject);
        if (subjects.length === 2) resolve();
      },
    });
  });
  await subscriber.flush();
  await until(async () => {
    const z = await getJson<Leafz>(spoke.monitorPort, "/leafz?subs=true");
    return z.leafs[0]?.subscriptions_list?.includes("orders.>") === true;
  }, "the hub's interest on the spoke");
  const publisher = await client(t, spoke.ports.nats!.port);
  publisher.publish("orders.1", "hello");
  publisher.publish("orders.2", "world");
  publisher.publish("nobody.cares", "dropped at the spoke");
  await publisher.flush();
  await bothArrived;
  assert.deepEqual(subjects, ["orders.1", "orders.2"]);

  // The spoke's view: it dialed the hub.
  const atSpoke = await getJson<Leafz>(spoke.monitorPort, "/leafz?subs=true");
  assert.equal(atSpoke.server_id, spoke.id);
  assert.equal(atSpoke.leafnodes, 1);
  const up = atSpoke.leafs[0]!;
  assert.deepEqual(Object.keys(up), [
    "name", "is_spoke", "account", "ip", "port", "rtt", "in_msgs", "out_msgs", "in_bytes", "out_bytes", "subscriptions", "subscriptions_list",
  ]);
  assert.equal(up.name, "hub");
  assert.equal(up.is_spoke, true);
  assert.equal(up.account, "$G");
  assert.equal(up.ip, "127.0.0.1");
  assert.equal(up.port, leafPort);
  assert.match(up.rtt, GO_DURATION);
  assert.equal(up.out_msgs, 2, "only messages the hub wants cross");
  assert.equal(up.in_msgs, 0);
  // The hub's interest: the subscriber's subject and the hub's loop detection subject.
  assert.equal(up.subscriptions, 2);
  assert.deepEqual(up.subscriptions_list!.map((s) => s.replace(/^\$LDS\..*$/, "$LDS.*")).sort(), ["$LDS.*", "orders.>"]);

  // The hub's view: a leaf node dialed in.
  const atHub = await getJson<Leafz>(hub.monitorPort, "/leafz");
  assert.equal(atHub.leafnodes, 1);
  const down = atHub.leafs[0]!;
  assert.equal(down.name, "spoke");
  assert.equal(down.is_spoke, false);
  assert.equal(down.ip, "127.0.0.1");
  assert.ok(Number.isInteger(down.port) && down.port > 0 && down.port !== leafPort);
  assert.equal(down.in_msgs, 2);
  assert.equal(down.in_bytes, up.out_bytes);
  assert.ok(down.in_bytes >= "helloworld".length);
  assert.equal(down.subscriptions, 1, "the spoke's loop detection subject");
  assert.equal(down.subscriptions_list, undefined, "subjects only with subs=true");

  // The account filter: every link is in $G.
  assert.equal((await getJson<Leafz>(hub.monitorPort, "/leafz?acc=$G")).leafnodes, 1);
  assert.deepEqual((await getJson<Leafz>(hub.monitorPort, "/leafz?acc=OTHER")).leafs, []);
  const bad = await httpGet(hub.monitorPort, "/leafz?subs=maybe");
  assert.equal(bad.status, 400);
  assert.equal(bad.body, `Error decoding boolean for 'subs': strconv.ParseBool: parsing "maybe": invalid syntax`);

  // In-process, the same links.
  const inProcess = hub.leafz({ subs: true });
  assert.equal(inProcess.leafs[0]?.name, "spoke");
  assert.equal(inProcess.leafs[0]?.subscriptions_list?.length, 1);
  assert.equal(spoke.leafz().leafs[0]?.is_spoke, true);

  // The link going away shows at once.
  await spoke.close();
  await until(async () => (await getJson<Leafz>(hub.monitorPort, "/leafz")).leafnodes === 0, "the link gone from /leafz");
});

test("/varz leaf: the leaf port's settings on the hub, the remotes (without credentials) on the leaf node", { timeout: 30_000 }, async (t) => {
  const { hub, spoke, leafPort } = await startPair(t, { user: "someone", denyExports: ["private.>"] });
  const hubVarz = await getJson<{ leaf: Json; leafnodes: number }>(hub.monitorPort, "/varz");
  assert.deepEqual(hubVarz.leaf, { host: "127.0.0.1", port: leafPort, auth_timeout: 2, tls_timeout: 2 });
  assert.equal(hubVarz.leafnodes, 1);
  const spokeVarz = await getJson<{ leaf: Json; leafnodes: number }>(spoke.monitorPort, "/varz");
  assert.deepEqual(spokeVarz.leaf, { remotes: [{ local_account: "$G", urls: [`127.0.0.1:${leafPort}`], deny: { exports: ["private.>"] } }] });
  assert.equal(spokeVarz.leafnodes, 1);
  assert.doesNotMatch(JSON.stringify(spokeVarz), /secret/);
  assert.deepEqual(spoke.varz().leaf, spokeVarz.leaf);

  const metrics = await httpGet(hub.monitorPort, "/metrics");
  assert.match(metrics.body, new RegExp(`^gnatsd_leafz_leafnodes\\{server_id="${hub.id}"\\} 1$`, "m"));
  assert.match(metrics.body, new RegExp(`^gnatsd_varz_leafnodes\\{server_id="${hub.id}"\\} 1$`, "m"));
});

/** Fields whose values the topology decides. */
const LEAF_EQUAL = new Set(["account", "ip", "in_msgs", "out_msgs", "leafnodes", "host", "auth_timeout", "tls_timeout", "local_account", "urls"]);
/** LeafInfo fields of nats-server 2.10 that 2.9.10 lacks. */
const LEAF_OURS_ONLY = new Map([
  ["name", "LeafInfo.name, nats-server 2.10"],
  ["is_spoke", "LeafInfo.is_spoke, nats-server 2.10"],
]);

function needNatsServer(t: TestContext): boolean {
  if (hasNatsServer()) return true;
  assert.notEqual(process.env["CI"], "true", "nats-server is not installed");
  t.skip("nats-server binary not installed");
  return false;
}

async function referenceLeafPort(ref: ReferenceServer): Promise<number> {
  const m = /Listening for leafnode connections on [^\s:]+:(\d+)/.exec(ref.process.log());
  if (m === null) throw new Error(`nats-server did not report its leaf port:\n${ref.process.log()}`);
  return Number(m[1]);
}

async function leafzOf(port: number): Promise<Leafz & Record<string, Json>> {
  return getJson<Leafz & Record<string, Json>>(port, "/leafz?subs=true");
}

/** Resolves once `port`'s server has `n` links up, each past the peer's first interest (its loop detection subject at least). */
async function linksWithInterest(port: number, n: number, what: string): Promise<void> {
  await until(async () => {
    const z = await leafzOf(port);
    return z.leafnodes === n && z.leafs.every((l) => l.subscriptions > 0);
  }, what, 10_000);
}

test("/leafz and /varz leaf have nats-server 2.9.10's fields and types on both ends of a link", { timeout: 60_000 }, async (t) => {
  if (!needNatsServer(t)) return;
  // Leaf node side: nats-server and our broker both dial a nats-server hub.
  const refHub = await startReferenceWithMonitor(t, `leafnodes { listen: "127.0.0.1:-1" }\n`);
  const hubLeafPort = await referenceLeafPort(refHub);
  const remotes = `leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${hubLeafPort}" } ] }\n`;
  const refSpoke = await startReferenceWithMonitor(t, remotes);
  const ourSpoke = await startMonitored(t, { leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hubLeafPort}`] }] } });
  await linksWithInterest(refHub.monitorPort, 2, "two leaf nodes on the nats-server hub");
  await linksWithInterest(ourSpoke.monitorPort, 1, "our link up");
  await linksWithInterest(refSpoke.monitorPort, 1, "the nats-server leaf node's link up");

  const mine = await leafzOf(ourSpoke.monitorPort);
  const theirs = await leafzOf(refSpoke.monitorPort);
  let problems = shapeDifferences(mine, theirs, { equal: LEAF_EQUAL, oursOnly: LEAF_OURS_ONLY }, "/leafz (leaf node)");
  assert.deepEqual(problems, [], problems.join("\n"));
  assert.equal(mine.leafs[0]!.port, theirs.leafs[0]!.port, "both dialed the hub's leaf port");

  const mineVarz = await getJson<{ leaf: Json; leafnodes: number }>(ourSpoke.monitorPort, "/varz");
  const theirVarz = await getJson<{ leaf: Json; leafnodes: number }>(refSpoke.monitorPort, "/varz");
  assert.deepEqual(mineVarz.leaf, theirVarz.leaf);
  assert.equal(mineVarz.leafnodes, theirVarz.leafnodes);

  // Hub side: a nats-server leaf node dials our broker; compared with the nats-server hub's view.
  const ourHub = await startMonitored(t, { leafnodes: { port: 0 } });
  const refSpoke2 = await startReferenceWithMonitor(t, `leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${ourHub.leafNodePort!}" } ] }\n`);
  await linksWithInterest(ourHub.monitorPort, 1, "the nats-server leaf node on our hub");
  await linksWithInterest(refSpoke2.monitorPort, 1, "the link on the nats-server leaf node");
  const atOurHub = await leafzOf(ourHub.monitorPort);
  const atTheirHub = await leafzOf(refHub.monitorPort);
  const { leafs: ourLinks, ...ourTop } = atOurHub;
  const { leafs: theirLinks, ...theirTop } = atTheirHub;
  problems = shapeDifferences(ourTop as Json, { ...theirTop, leafnodes: 1 } as Json, { equal: LEAF_EQUAL }, "/leafz (hub)");
  problems.push(...shapeDifferences(ourLinks[0] as unknown as Json, theirLinks[0] as unknown as Json, { equal: LEAF_EQUAL, oursOnly: LEAF_OURS_ONLY }, "/leafz (hub).leafs[0]"));
  assert.deepEqual(problems, [], problems.join("\n"));

  const ourHubVarz = await getJson<{ leaf: Json }>(ourHub.monitorPort, "/varz");
  const theirHubVarz = await getJson<{ leaf: Json }>(refHub.monitorPort, "/varz");
  problems = shapeDifferences(ourHubVarz.leaf, theirHubVarz.leaf, { equal: LEAF_EQUAL }, "/varz.leaf (hub)");
  assert.deepEqual(problems, [], problems.join("\n"));
});

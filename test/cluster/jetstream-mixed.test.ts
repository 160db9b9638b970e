/**
 * JetStream in a mixed cluster: nats-server 2.9.10 runs JetStream, our node runs none, and a
 * client connected to our node uses streams, consumers and KV over the route.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer, type NatsServerProcess } from "../helpers/nats-server-process.ts";
import { freePort } from "../leafnode/helpers.ts";
import { eventually, routesUp, routeUrl, startNode } from "./helpers.ts";

const skip = hasNatsServer() ? false : "nats-server is not installed";

async function jsNatsServer(t: TestContext, name: string, clusterPort: number, routes: string[], extra = ""): Promise<NatsServerProcess> {
  const storeDir = mkdtempSync(join(tmpdir(), "cluster-js-"));
  const routeList = routes.map((r) => JSON.stringify(r)).join(", ");
  const ns = await startNatsServer([], {
    config: `server_name: ${name}\njetstream { store_dir: "${storeDir}" }\ncluster { name: test, listen: "127.0.0.1:${clusterPort}", routes: [${routeList}] }\n${extra}`,
    startTimeoutMs: 15_000,
  });
  t.after(async () => {
    await ns.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });
  return ns;
}

/** Retries `attempt` until it resolves (the meta group elects a leader a moment after the routes form). */
async function until<T>(attempt: () => Promise<T>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe("JetStream on nats-server, clients on our node", { skip, timeout: 120_000 }, () => {
  it("two nats-server JetStream nodes and ours: streams, acks, consumers and KV from our client", async (t) => {
    const ours = await startNode(t, { serverName: "ours" });
    const [p1, p2] = [await freePort(), await freePort()];
    const r = (p: number): string => `nats-route://127.0.0.1:${p}`;
    const ns1 = await jsNatsServer(t, "ns1", p1, [r(p2), routeUrl(ours)]);
    await jsNatsServer(t, "ns2", p2, [r(p1), routeUrl(ours)]);
    await routesUp(ours, 2, 10_000);
    const nc = await connect({ servers: ours.url, reconnect: false });
    t.after(() => nc.close());
    const jsm = await until(() => jetstreamManager(nc, { timeout: 1000 }), "JetStream through our node");
    const info = await jsm.getAccountInfo();
    assert.equal(info.streams, 0);

    await until(() => jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], num_replicas: 2 }), "a stream with two replicas");
    const js = jetstream(nc);
    const ack = await until(() => js.publish("orders.1", "first"), "the stream's interest on our node");
    assert.equal(ack.stream, "ORDERS");
    assert.equal(ack.seq, 1);
    await js.publish("orders.2", JSON.stringify({ n: 2 }));

    await jsm.consumers.add("ORDERS", { durable_name: "worker", ack_policy: AckPolicy.Explicit });
    const consumer = await js.consumers.get("ORDERS", "worker");
    const m1 = await consumer.next({ expires: 3000 });
    assert.equal(m1?.subject, "orders.1");
    assert.equal(m1?.string(), "first");
    assert.equal(await m1?.ackAck(), true);
    const m2 = await consumer.next({ expires: 3000 });
    assert.deepEqual(m2?.json(), { n: 2 });
    m2?.ack();

    const kv = await new Kvm(js).create("settings", { replicas: 2 });
    await kv.put("color", "blue");
    assert.equal((await kv.get("color"))?.string(), "blue");

    // The same stream seen from a client of nats-server: one stream, two messages.
    const direct = await connect({ servers: `127.0.0.1:${ns1.port}`, reconnect: false });
    t.after(() => direct.close());
    const state = (await (await jetstreamManager(direct)).streams.info("ORDERS")).state;
    assert.equal(state.messages, 2);
    await eventually(() => ours.routes.length === 2, "routes still up");
  });

  it("with accounts: each account's clients on our node reach that account's JetStream, and only it", async (t) => {
    const accounts = `accounts {\n  A: { users: [ { user: a, password: a } ], jetstream: enabled }\n  B: { users: [ { user: b, password: b } ] }\n}\n`;
    const ours = await startNode(t, { serverName: "ours", accounts: { A: { users: [{ user: "a", password: "a" }] }, B: { users: [{ user: "b", password: "b" }] } } });
    const [p1, p2] = [await freePort(), await freePort()];
    const r = (p: number): string => `nats-route://127.0.0.1:${p}`;
    const ns1 = await jsNatsServer(t, "ns1", p1, [r(p2), routeUrl(ours)], accounts);
    await jsNatsServer(t, "ns2", p2, [r(p1), routeUrl(ours)], accounts);
    await routesUp(ours, 2, 10_000);
    const inA = await connect({ servers: ours.url, user: "a", pass: "a", reconnect: false });
    t.after(() => inA.close());
    const jsm = await until(() => jetstreamManager(inA, { timeout: 1000 }), "account A's JetStream through our node");
    await until(() => jsm.streams.add({ name: "A_ORDERS", subjects: ["orders.>"], num_replicas: 2 }), "a stream in A");
    const ack = await until(() => jetstream(inA).publish("orders.1", "a"), "the stream's interest on our node");
    assert.equal(ack.stream, "A_ORDERS");
    // Account B has no JetStream on the cluster: the members say so, through our node too.
    const inB = await connect({ servers: ours.url, user: "b", pass: "b", reconnect: false });
    t.after(() => inB.close());
    await assert.rejects(jetstreamManager(inB, { timeout: 2000 }), /jetstream not enabled/i);
    // A client of nats-server in A sees the stream; one in B does not share A's streams.
    const direct = await connect({ servers: `127.0.0.1:${ns1.port}`, user: "a", pass: "a", reconnect: false });
    t.after(() => direct.close());
    assert.equal((await (await jetstreamManager(direct)).streams.info("A_ORDERS")).state.messages, 1);
  });

  it("three JetStream nats-servers that do not know our node: it dials one, and its clients get an R3 stream", async (t) => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const r = (p: number): string => `nats-route://127.0.0.1:${p}`;
    const others = (i: number): string[] => ports.filter((_, k) => k !== i).map(r);
    const servers = await Promise.all(ports.map((p, i) => jsNatsServer(t, `ns${i + 1}`, p, others(i))));
    // Gossip brings the other two.
    const ours = await startNode(t, { serverName: "ours" }, { routes: [r(ports[0]!)] });
    await routesUp(ours, 3, 15_000);
    const nc = await ours.connect();
    t.after(() => nc.close());
    const jsm = await until(() => jetstreamManager(nc, { timeout: 1000 }), "JetStream through our node");
    await until(() => jsm.streams.add({ name: "EVENTS", subjects: ["events.>"], num_replicas: 3 }), "an R3 stream");
    const js = jetstream(nc);
    const ack = await until(() => js.publish("events.a", new Uint8Array([1, 2, 3])), "the stream's interest on our node");
    assert.equal(ack.stream, "EVENTS");
    const info = await jsm.streams.info("EVENTS");
    assert.equal(info.cluster?.replicas?.length, 2, "a leader and two replicas, all nats-server");
    assert.ok(![info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((x) => x.name)].includes("ours"));
    assert.equal(servers.length, 3);
  });

  it("a leaf spoke of our node reaches the cluster's JetStream through it", async (t) => {
    const ours = await startNode(t, { serverName: "ours", leafnodes: { port: 0 } });
    const [p1, p2] = [await freePort(), await freePort()];
    const r = (p: number): string => `nats-route://127.0.0.1:${p}`;
    await jsNatsServer(t, "ns1", p1, [r(p2), routeUrl(ours)]);
    await jsNatsServer(t, "ns2", p2, [r(p1), routeUrl(ours)]);
    await routesUp(ours, 2, 10_000);
    const spoke = createServer({ leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${ours.leafNodePort}`] }] } });
    t.after(() => spoke.close());
    await spoke.listen();
    await eventually(() => spoke.leafNodes.length === 1, "the leaf link", 10_000);
    const nc = await spoke.connect();
    t.after(() => nc.close());
    const jsm = await until(() => jetstreamManager(nc, { timeout: 1000 }), "JetStream through the leaf and our node");
    await until(() => jsm.streams.add({ name: "SPOKE", subjects: ["spoke.>"], num_replicas: 2 }), "a stream");
    const ack = await until(() => jetstream(nc).publish("spoke.1", "x"), "the stream's interest on the spoke");
    assert.equal(ack.stream, "SPOKE");
  });
});

/**
 * Leaf node topologies with real components: a hub that restarts, links that form a loop, a
 * three-node nats-server cluster, embedded brokers linked with no nats-server at all, and a
 * nats-server leaf node that uses our broker as its hub.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { eventually, freePort, hubSeesLeafInterest, linksUp, sleep, startHub, startLeafBroker } from "./helpers.ts";

const skip = hasNatsServer() ? false : "nats-server is not installed";

describe("leaf node topologies", { skip, timeout: 90_000 }, () => {
  it("reconnects after the hub restarts, re-syncs interest both ways, and duplicates nothing", async (t) => {
    const leafPort = await freePort();
    const clientPort = await freePort();
    let hub = await startHub(t, { leafPort, extra: `port: ${clientPort}` });
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://leaf:s3cret@127.0.0.1:${leafPort}`], reconnectDelay: 100 }] },
    });
    await linksUp(leaf);
    const onLeafSub = leaf.subscribe("down.>");
    const received: string[] = [];
    void (async () => {
      for await (const m of onLeafSub) received.push(m.string());
    })();
    await hubSeesLeafInterest(hub, "down.>");

    let downs = 0;
    leaf.on("leafnode:close", () => downs++);
    await hub.process.stop();
    await eventually(() => leaf.leafNodes.length === 0, "the link to drop");
    hub = await startHub(t, { leafPort, extra: `port: ${clientPort}` });
    await linksUp(leaf, 1, 15_000);
    assert.equal(downs, 1);
    // Our interest was sent again to the new hub process.
    await hubSeesLeafInterest(hub, "down.>");
    const hubClient = await connect({ servers: hub.url, reconnect: false });
    t.after(() => hubClient.close());
    for (let i = 0; i < 20; i++) hubClient.publish("down.x", String(i));
    await hubClient.flush();
    await eventually(() => received.length >= 20, "20 messages after the restart");
    // The hub's interest was learnt again too, and each message crosses once.
    const up: string[] = [];
    hubClient.subscribe("up.x", { callback: (_e, m) => void up.push(m.string()) });
    await hubClient.flush();
    await eventually(() => leaf.publish("up.x", "probe"), "the new hub's interest");
    for (let i = 0; i < 20; i++) leaf.publish("up.x", String(i));
    await eventually(() => up.length >= 21, "21 messages at the hub");
    await sleep(200);
    assert.equal(received.length, 20, "no duplicates down");
    assert.equal(up.length, 21, "no duplicates up");
    assert.equal(leaf.leafNodes.length, 1, "one link, not two");
  });

  it("detects two embedded brokers dialing each other as a loop, and backs off", async (t) => {
    const [portA, portB] = [await freePort(), await freePort()];
    // Both sides may detect the loop at once and close before the other's -ERR arrives, so no
    // error event fires: what each logs is read too.
    const errors: string[] = [];
    const logger = (name: string) => ({ error: (m: string) => void errors.push(`${name}:${m}`), warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} });
    const a = createServer({ serverName: "A", logger: logger("A"), leafnodes: { port: portA, remotes: [{ urls: [`127.0.0.1:${portB}`], reconnectDelay: 50 }] } });
    const b = createServer({ serverName: "B", logger: logger("B"), leafnodes: { port: portB, remotes: [{ urls: [`127.0.0.1:${portA}`], reconnectDelay: 50 }] } });
    t.after(() => Promise.all([a.close(), b.close()]));
    a.on("leafnode:error", (_l, text) => errors.push(`A:${text}`));
    b.on("leafnode:error", (_l, text) => errors.push(`B:${text}`));
    await Promise.all([a.listen(), b.listen()]);
    await eventually(() => errors.some((e) => /Loop detected for leafnode account="\$G"/.test(e)), "a loop report", 10_000);
    // After a loop the solicit side waits 30 s (nats-server's delay): the links stay down.
    await eventually(() => a.leafNodes.length + b.leafNodes.length === 0, "both links down");
    await sleep(500);
    assert.equal(a.leafNodes.length + b.leafNodes.length, 0, "no link redialed right away");
  });

  it("detects a loop through a nats-server that is both our hub and our leaf", async (t) => {
    const ourLeafPort = await freePort();
    const hub = await startHub(t, { leafAuth: "", leafExtra: `remotes: [ { url: "nats-leaf://127.0.0.1:${ourLeafPort}" } ]` });
    const ours = createServer({ leafnodes: { port: ourLeafPort, remotes: [{ urls: [`127.0.0.1:${hub.leafPort}`] }] } });
    t.after(() => ours.close());
    const errors: string[] = [];
    ours.on("leafnode:error", (_l, text) => errors.push(text));
    let loopLogged = false;
    await ours.listen();
    await eventually(() => {
      loopLogged ||= /Loop detected/.test(hub.process.log());
      return loopLogged || errors.some((e) => /Loop detected/.test(e));
    }, "a loop detected on either side", 15_000);
    assert.ok(loopLogged || errors.length > 0);
  });

  it("lets a client on any node of a 3-node nats-server cluster reach an in-process subscriber", async (t) => {
    const routePorts = [await freePort(), await freePort(), await freePort()];
    const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(", ");
    const leafPort = await freePort();
    const nodes: Awaited<ReturnType<typeof startNatsServer>>[] = [];
    for (let i = 0; i < 3; i++) {
      const leafBlock = i === 0 ? `leafnodes { listen: 127.0.0.1:${leafPort} }` : "";
      nodes.push(
        await startNatsServer([], `server_name: n${i}\ncluster { name: c1, listen: 127.0.0.1:${routePorts[i]}, routes: [ ${routes} ] }\n${leafBlock}\n`),
      );
    }
    t.after(() => Promise.all(nodes.map((n) => n.stop())));
    const leaf = await startLeafBroker(t, { leafnodes: { remotes: [{ urls: [`127.0.0.1:${leafPort}`] }] } });
    await linksUp(leaf);
    const service = leaf.subscribe("inproc.svc", { callback: (_e, m) => void m.respond(`served ${m.string()}`) });
    const clients = await Promise.all(nodes.map((n) => connect({ servers: `nats://127.0.0.1:${n.port}`, reconnect: false })));
    t.after(() => Promise.all(clients.map((c) => c.close())));
    for (const [i, nc] of clients.entries()) {
      // Interest travels leaf → n0 → routes; retry until it has reached this node.
      let reply: string | undefined;
      const deadline = Date.now() + 10_000;
      while (reply === undefined) {
        try {
          reply = (await nc.request("inproc.svc", `from n${i}`, { timeout: 500 })).string();
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(50);
        }
      }
      assert.equal(reply, `served from n${i}`);
    }
    // And the other way: an in-process publish reaches a subscriber on the farthest node.
    const far = clients[2]!.subscribe("to.far");
    await clients[2]!.flush();
    await eventually(() => leaf.publish("to.far", "hello"), "n2's interest to reach the leaf", 10_000);
    for await (const m of far) {
      assert.equal(m.string(), "hello");
      break;
    }
    assert.ok(service.getReceived() >= 3);
  });

  it("links two embedded brokers, hub and leaf, with no nats-server at all", async (t) => {
    const hub = createServer({ serverName: "hub", leafnodes: { port: 0, authorization: { user: "spoke", password: "pw" } } });
    t.after(() => hub.close());
    await hub.listen();
    const spoke = createServer({ serverName: "spoke", leafnodes: { remotes: [{ urls: [`nats-leaf://spoke:pw@127.0.0.1:${hub.leafNodePort}`] }] } });
    t.after(() => spoke.close());
    await spoke.listen();
    await linksUp(hub);
    await linksUp(spoke);
    assert.equal(hub.leafNodes[0]!.serverName, "spoke");
    assert.equal(spoke.leafNodes[0]!.serverName, "hub");

    // In-process on both sides: request/reply across, queue groups spanning both, headers.
    spoke.subscribe("svc.echo", { callback: (_e, m) => void m.respond(`${m.string()}:${m.headers?.get("k") ?? ""}`) });
    await eventually(() => hub.leafNodes[0]!.remoteInterest >= 2, "the spoke's interest at the hub");
    const reply = await hub.request("svc.echo", "hi", { headers: { k: "v" }, timeout: 2000 });
    assert.equal(reply.string(), "hi:v");

    let hubMembers = 0;
    let spokeMembers = 0;
    hub.subscribe("jobs", { queue: "w", callback: () => void hubMembers++ });
    spoke.subscribe("jobs", { queue: "w", callback: () => void spokeMembers++ });
    await eventually(() => spoke.leafNodes[0]!.remoteInterest >= 3 && hub.leafNodes[0]!.remoteInterest >= 3, "queue interest both ways");
    for (let i = 0; i < 40; i++) {
      hub.publish("jobs", "h");
      spoke.publish("jobs", "s");
    }
    await eventually(() => hubMembers + spokeMembers === 80, "80 deliveries");
    await sleep(100);
    assert.equal(hubMembers, 40, "each side's publishes stay with its local member");
    assert.equal(spokeMembers, 40);

    // A wrong password is refused by our hub with nats-server's error.
    const intruder = createServer({ leafnodes: { remotes: [{ urls: [`nats-leaf://spoke:nope@127.0.0.1:${hub.leafNodePort}`], reconnectDelay: 1000 }] } });
    t.after(() => intruder.close());
    const refused: string[] = [];
    intruder.on("leafnode:error", (_l, text) => refused.push(text));
    await intruder.listen();
    await eventually(() => refused.length > 0, "the refusal");
    assert.equal(refused[0], "Authorization Violation");
    assert.equal(hub.leafNodes.length, 1);
  });

  it("passes messages spoke to spoke through an embedded hub, queue groups included", async (t) => {
    const hub = createServer({ serverName: "H", port: 0, leafnodes: { port: 0 } });
    t.after(() => hub.close());
    await hub.listen();
    const spokes = ["A", "B"].map((name) => createServer({ serverName: name, leafnodes: { remotes: [{ urls: [`127.0.0.1:${hub.leafNodePort}`] }] } }));
    t.after(() => Promise.all(spokes.map((s) => s.close())));
    await Promise.all(spokes.map((s) => s.listen()));
    await linksUp(hub, 2);
    const [a, b] = spokes as [ReturnType<typeof createServer>, ReturnType<typeof createServer>];
    a.subscribe("svc.a", { callback: (_e, m) => void m.respond(`A answers ${m.string()}`) });
    let groupA = 0;
    let groupB = 0;
    a.subscribe("work", { queue: "g", callback: () => void groupA++ });
    b.subscribe("work", { queue: "g", callback: () => void groupB++ });
    // B learns of A's interest through the hub.
    await eventually(() => b.leafNodes[0]!.remoteInterest >= 3, "A's interest at B");
    const reply = await b.request("svc.a", "B", { timeout: 2000 });
    assert.equal(reply.string(), "A answers B");
    // Published at the hub, whose group has no local member: one spoke member per message,
    // spread over both spokes.
    for (let i = 0; i < 60; i++) hub.publish("work", String(i));
    await eventually(() => groupA + groupB === 60, "60 deliveries");
    assert.ok(groupA > 0 && groupB > 0, `both spokes work (A ${groupA}, B ${groupB})`);
    // Published at A: A's own member takes them all.
    const before = groupA;
    for (let i = 0; i < 10; i++) a.publish("work", String(i));
    await eventually(() => groupA + groupB === 70, "10 more deliveries");
    await sleep(100);
    assert.equal(groupA + groupB, 70, "exactly once each");
    assert.equal(groupA - before, 10);
    // Published at the hub by a network client (messages share read buffers): still spread, still once.
    const nc = await connect({ servers: hub.url!, reconnect: false });
    t.after(() => nc.close());
    const [a0, b0] = [groupA, groupB];
    for (let i = 0; i < 60; i++) nc.publish("work", String(i));
    await nc.flush();
    await eventually(() => groupA + groupB === 130, "60 more deliveries");
    await sleep(100);
    assert.equal(groupA + groupB, 130, "exactly once each");
    assert.ok(groupA > a0 && groupB > b0, `both spokes work (A +${groupA - a0}, B +${groupB - b0})`);
  });

  it("holds a spoke to its user's permissions, on both sides of the link", async (t) => {
    const hub = createServer({
      leafnodes: {
        port: 0,
        authorization: { users: [{ user: "s", password: "p", permissions: { publish: { deny: ["secret.>"] }, subscribe: { deny: ["private.>"] } } }] },
      },
    });
    t.after(() => hub.close());
    await hub.listen();
    const spoke = createServer({ leafnodes: { remotes: [{ urls: [`nats-leaf://s:p@127.0.0.1:${hub.leafNodePort}`] }] } });
    t.after(() => spoke.close());
    await spoke.listen();
    await linksUp(hub);
    let secret = 0;
    let open = 0;
    hub.subscribe("secret.x", { callback: () => void secret++ });
    hub.subscribe("open.x", { callback: () => void open++ });
    await eventually(() => spoke.publish("open.x", "probe"), "the hub's interest at the spoke");
    spoke.publish("secret.x", "no");
    // The spoke learnt its permissions from the hub's INFO: a denied message does not even leave it.
    assert.equal(spoke.leafNodes[0]!.outMsgs, 1);
    const priv = spoke.subscribe("private.x");
    const pub = spoke.subscribe("public.x");
    await eventually(() => hub.publish("public.x", "yes"), "the spoke's interest at the hub");
    hub.publish("private.x", "no");
    for await (const m of pub) {
      assert.equal(m.string(), "yes");
      break;
    }
    await sleep(100);
    assert.equal(priv.getReceived(), 0);
    assert.equal(secret, 0);
    assert.equal(open, 1);
  });

  it("is the hub of a nats-server leaf node", async (t) => {
    const ours = createServer({ leafnodes: { port: 0 } });
    t.after(() => ours.close());
    await ours.listen();
    const spoke = await startNatsServer([], `server_name: natsspoke\nleafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${ours.leafNodePort}" } ] }\n`);
    t.after(() => spoke.stop());
    await linksUp(ours);
    assert.equal(ours.leafNodes[0]!.serverName, "natsspoke");
    const nc = await connect({ servers: `nats://127.0.0.1:${spoke.port}`, reconnect: false });
    t.after(() => nc.close());
    // A client of the nats-server spoke calls an in-process service of ours...
    ours.subscribe("hub.svc", { callback: (_e, m) => void m.respond(`hub got ${m.string()}`) });
    let reply: string | undefined;
    const deadline = Date.now() + 10_000;
    while (reply === undefined) {
      try {
        reply = (await nc.request("hub.svc", "x", { timeout: 500 })).string();
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(50);
      }
    }
    assert.equal(reply, "hub got x");
    // ...and we publish to its subscriber.
    const sub = nc.subscribe("spoke.sub");
    await nc.flush();
    await eventually(() => ours.publish("spoke.sub", "down"), "the spoke's interest");
    for await (const m of sub) {
      assert.equal(m.string(), "down");
      break;
    }
  });
});

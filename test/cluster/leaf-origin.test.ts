/**
 * Leaf node origin on routes (`lnoc`, `LS+`/`LS-`/`LMSG`), against nats-server 2.9.10.
 *
 * A hub cluster of nats-server H and our node O; a leaf node cluster "spoke" of two
 * nats-servers, L1 a leaf of H and L2 a leaf of O. L1 and L2 reach each other over their own
 * route, so a message between them must not come back to the spoke through the hubs as well.
 * nats-server prevents that by telling its routes which leaf node cluster interest and messages
 * come from (route.go addRouteSubOrUnsubProtoToBuf, client.go msgHeaderForRouteOrLeaf) and by
 * not handing them back to that cluster (client.go processMsgResults, leafnode.go
 * initLeafNodeSmapAndSendSubs). We announce `lnoc` and take those forms: each message once.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createServer, type Server } from "../../src/index.ts";
import { hasNatsServer, startNatsServer, type NatsServerProcess } from "../helpers/nats-server-process.ts";
import { RawClient } from "../helpers/raw-client.ts";
import { freePort } from "../leafnode/helpers.ts";
import { eventually, routesUp, sleep, startNode } from "./helpers.ts";

const skip = hasNatsServer() ? false : "nats-server is not installed";

interface Topology {
  h: NatsServerProcess;
  o: Server & { url: string };
  l1: NatsServerProcess;
  l2: NatsServerProcess;
}

async function ns(t: TestContext, config: string): Promise<NatsServerProcess> {
  const p = await startNatsServer([], config);
  t.after(() => p.stop());
  return p;
}

async function topology(t: TestContext): Promise<Topology> {
  const o = createServer({ port: 0, host: "127.0.0.1", serverName: "O", cluster: { name: "hub", port: 0 }, leafnodes: { port: 0 } });
  t.after(() => o.close());
  await o.listen();
  const [hCluster, hLeaf, l1Cluster] = [await freePort(), await freePort(), await freePort()];
  const h = await ns(
    t,
    `server_name: H\ncluster { name: hub, listen: "127.0.0.1:${hCluster}", routes: ["nats-route://127.0.0.1:${o.clusterPort}"] }\nleafnodes { listen: "127.0.0.1:${hLeaf}" }\n`,
  );
  const l1 = await ns(t, `server_name: L1\ncluster { name: spoke, listen: "127.0.0.1:${l1Cluster}" }\nleafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${hLeaf}" } ] }\n`);
  const l2 = await ns(
    t,
    `server_name: L2\ncluster { name: spoke, listen: "127.0.0.1:-1", routes: ["nats-route://127.0.0.1:${l1Cluster}"] }\nleafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${o.leafNodePort!}" } ] }\n`,
  );
  await routesUp(o, 1, 10_000);
  await eventually(() => o.leafNodes.length === 1, "L2 is a leaf node of O", 10_000);
  return { h, o: o as Server & { url: string }, l1, l2 };
}

async function client(t: TestContext, port: number): Promise<NatsConnection> {
  const nc = await connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

/**
 * Subscribes on `subPort`, publishes on `pubPort` until the interest has reached every server
 * (and then a little longer, for the slower paths through the hubs), then counts: each message
 * exactly once.
 */
async function exactlyOnce(t: TestContext, pubPort: number, subPort: number, subject: string): Promise<void> {
  const sub = await client(t, subPort);
  const pub = await client(t, pubPort);
  let got = 0;
  sub.subscribe(subject, { callback: () => void got++ });
  await sub.flush();
  for (const deadline = Date.now() + 10_000; got === 0; ) {
    if (Date.now() > deadline) throw new Error(`nothing on ${subject}`);
    pub.publish(subject, "probe");
    await pub.flush();
    await sleep(20);
  }
  // Interest through the hubs takes longer than over the spoke's own route: let it settle.
  await sleep(1500);
  got = 0;
  for (let i = 0; i < 20; i++) pub.publish(subject, String(i));
  await pub.flush();
  await sleep(1000);
  assert.equal(got, 20, `each of 20 messages once on ${subject}`);
}

describe("leaf node origin over routes (nats-server 2.9.10)", { skip, timeout: 180_000 }, () => {
  it("announces lnoc in route INFO and CONNECT", async (t) => {
    const node = await startNode(t);
    const raw = await RawClient.connect(node.clusterPort);
    t.after(() => raw.destroy());
    await raw.waitFor(/^INFO \{.*\} \r\n/);
    const info = JSON.parse(/^INFO (\{.*\}) \r\n/.exec(raw.text())![1]!) as Record<string, unknown>;
    assert.equal(info["lnoc"], true);
  });

  it("a message from the spoke through nats-server's hub is not echoed to the spoke by ours (LMSG)", async (t) => {
    const { l1, l2 } = await topology(t);
    await exactlyOnce(t, l1.port, l2.port, "origin.l1.to.l2");
  });

  it("interest from the spoke through nats-server's hub is not told back to the spoke by ours (LS+)", async (t) => {
    const { l1, l2 } = await topology(t);
    await exactlyOnce(t, l2.port, l1.port, "origin.l2.to.l1");
  });

  it("a message from the spoke through our hub reaches nats-server's hub as LMSG, not echoed to the spoke", async (t) => {
    const { o, l1, l2 } = await topology(t);
    // A hub client on O wants the subject too, so L2 sends its messages to O, and O routes
    // them to H (where L1 wants them): H must learn they came from the spoke.
    const hubSide = await client(t, Number(new URL(o.url).port));
    let onHub = 0;
    hubSide.subscribe("origin.l2.both", { callback: () => void onHub++ });
    await hubSide.flush();
    await exactlyOnce(t, l2.port, l1.port, "origin.l2.both");
    assert.ok(onHub >= 20, `the hub client got them too: ${onHub}`);
  });

  it("sends LMSG only to a route peer that announced lnoc, RMSG to one that did not", async (t) => {
    const o = createServer({ port: 0, host: "127.0.0.1", cluster: { name: "hub", port: 0 }, leafnodes: { port: 0 } });
    t.after(() => o.close());
    await o.listen();
    const peer = async (id: string, lnoc: boolean): Promise<RawClient> => {
      const raw = await RawClient.connect(o.clusterPort!);
      t.after(() => raw.destroy());
      await raw.waitFor(/^INFO \{.*\} \r\n/);
      const extra = lnoc ? ',"lnoc":true' : "";
      raw.send(
        `CONNECT {"echo":true,"verbose":false,"pedantic":false,"headers":true,"name":"${id}","cluster":"hub"${extra}}\r\n` +
          `INFO {"server_id":"${id}","host":"127.0.0.1","port":1,"headers":true,"cluster":"hub","proto":2${extra}}\r\nRS+ $G lmsg.x\r\nPING\r\n`,
      );
      await raw.waitFor("PONG\r\n");
      return raw;
    };
    const withLnoc = await peer("NLNOCPEER000000000000000000000000000000000000000000000000", true);
    const without = await peer("NOLNOCPEER00000000000000000000000000000000000000000000000", false);
    await routesUp(o, 2);
    const leaf = await ns(t, `server_name: L1\ncluster { name: spoke, listen: "127.0.0.1:-1" }\nleafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${o.leafNodePort!}" } ] }\n`);
    await eventually(() => o.leafNodes.length === 1, "the leaf node", 10_000);
    const pub = await client(t, leaf.port);
    // Until the leaf node has heard of the routes' interest, its messages stay on its side.
    for (const deadline = Date.now() + 10_000; !withLnoc.text().includes("lmsg.x"); ) {
      if (Date.now() > deadline) throw new Error("no message from the leaf node crossed");
      pub.publish("lmsg.x", "y");
      await pub.flush();
      await sleep(20);
    }
    await withLnoc.waitFor("LMSG spoke $G lmsg.x 0 1\r\ny\r\n");
    await without.waitFor("RMSG $G lmsg.x 1\r\ny\r\n");
    assert.equal(without.text().includes("LMSG"), false);
    // A message from our own client has no origin: RMSG to both.
    o.publish("lmsg.x", "z");
    await withLnoc.waitFor("RMSG $G lmsg.x 1\r\nz\r\n");
    await without.waitFor("RMSG $G lmsg.x 1\r\nz\r\n");
  });

  it("two servers of one leaf node cluster on our hub: no echo from one to the other", async (t) => {
    const o = createServer({ port: 0, host: "127.0.0.1", leafnodes: { port: 0 } });
    t.after(() => o.close());
    await o.listen();
    const l1Cluster = await freePort();
    const leaf = (name: string, cluster: string): string =>
      `server_name: ${name}\ncluster { name: spoke, ${cluster} }\nleafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${o.leafNodePort!}" } ] }\n`;
    const l1 = await ns(t, leaf("L1", `listen: "127.0.0.1:${l1Cluster}"`));
    const l2 = await ns(t, leaf("L2", `listen: "127.0.0.1:-1", routes: ["nats-route://127.0.0.1:${l1Cluster}"]`));
    await eventually(() => o.leafNodes.length === 2, "both leaf nodes", 10_000);
    await exactlyOnce(t, l1.port, l2.port, "origin.leaf.to.leaf");
    await exactlyOnce(t, Number(new URL(o.url!).port), l2.port, "origin.hub.to.leaf");
  });

  it("our nodes as a leaf node cluster of nats-server's hub cluster: each message once (CONNECT cluster)", async (t) => {
    const [h1Cluster, h1Leaf, h2Leaf] = [await freePort(), await freePort(), await freePort()];
    const h1 = await ns(t, `server_name: H1\ncluster { name: hub, listen: "127.0.0.1:${h1Cluster}" }\nleafnodes { listen: "127.0.0.1:${h1Leaf}" }\n`);
    const h2 = await ns(
      t,
      `server_name: H2\ncluster { name: hub, listen: "127.0.0.1:-1", routes: ["nats-route://127.0.0.1:${h1Cluster}"] }\nleafnodes { listen: "127.0.0.1:${h2Leaf}" }\n`,
    );
    const spoke = async (name: string, hubLeaf: number, routes: string[]): Promise<Server & { url: string; clusterPort: number }> => {
      const s = createServer({
        port: 0,
        host: "127.0.0.1",
        serverName: name,
        cluster: { name: "spoke", port: 0, routes },
        leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hubLeaf}`] }] },
      });
      t.after(() => s.close());
      await s.listen();
      return s as Server & { url: string; clusterPort: number };
    };
    const s1 = await spoke("S1", h1Leaf, []);
    const s2 = await spoke("S2", h2Leaf, [`nats-route://127.0.0.1:${s1.clusterPort}`]);
    await routesUp(s2, 1, 10_000);
    await eventually(() => s1.leafNodes.length === 1 && s2.leafNodes.length === 1, "both spokes on their hubs", 10_000);
    const port = (s: { url: string }): number => Number(new URL(s.url).port);
    await exactlyOnce(t, port(s1), port(s2), "spoke.s1.to.s2");
    await exactlyOnce(t, port(s2), port(s1), "spoke.s2.to.s1");
    await exactlyOnce(t, h1.port, port(s2), "spoke.h1.to.s2");
    await exactlyOnce(t, port(s1), h2.port, "spoke.s1.to.h2");
  });

  it("a leaf node cluster named as the hub's is refused, both ways (ErrLeafNodeHasSameClusterName)", async (t) => {
    // nats-server as the spoke of our hub.
    const o = createServer({ port: 0, host: "127.0.0.1", cluster: { name: "same", port: 0 }, leafnodes: { port: 0 } });
    t.after(() => o.close());
    await o.listen();
    const spokeNs = await ns(t, `cluster { name: same, listen: "127.0.0.1:-1" }\nleafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${o.leafNodePort!}" } ] }\n`);
    await eventually(() => spokeNs.log().includes("remote leafnode has same cluster name"), "nats-server told why", 10_000);
    assert.equal(o.leafNodes.length, 0);
    // Our node as the spoke of nats-server's hub.
    const hubLeaf = await freePort();
    await ns(t, `cluster { name: same, listen: "127.0.0.1:-1" }\nleafnodes { listen: "127.0.0.1:${hubLeaf}" }\n`);
    const errors: string[] = [];
    const spoke = createServer({ port: 0, host: "127.0.0.1", cluster: { name: "same", port: 0 }, leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hubLeaf}`] }] } });
    spoke.on("leafnode:error", (_link, text) => void errors.push(text));
    t.after(() => spoke.close());
    await spoke.listen();
    await eventually(() => errors.some((e) => e.includes("remote leafnode has same cluster name")), "the hub's refusal", 10_000);
    await sleep(1500);
    assert.equal(spoke.leafNodes.length, 0);
    assert.equal(errors.length, 1, "not redialed at once (30 s, as nats-server)");
  });

  it("all embedded: our hub cluster and our spoke cluster, each message once", async (t) => {
    const node = async (name: string, cluster: { name: string; routes?: string[] }, leafnodes: NonNullable<Parameters<typeof createServer>[0]>["leafnodes"]) => {
      const s = createServer({ port: 0, host: "127.0.0.1", serverName: name, cluster: { port: 0, ...cluster }, leafnodes });
      t.after(() => s.close());
      await s.listen();
      return s as Server & { url: string; clusterPort: number; leafNodePort: number };
    };
    const h1 = await node("H1", { name: "hub" }, { port: 0 });
    const h2 = await node("H2", { name: "hub", routes: [`nats-route://127.0.0.1:${h1.clusterPort}`] }, { port: 0 });
    await routesUp(h2, 1);
    const s1 = await node("S1", { name: "spoke" }, { remotes: [{ urls: [`nats-leaf://127.0.0.1:${h1.leafNodePort}`] }] });
    const s2 = await node("S2", { name: "spoke", routes: [`nats-route://127.0.0.1:${s1.clusterPort}`] }, { remotes: [{ urls: [`nats-leaf://127.0.0.1:${h2.leafNodePort}`] }] });
    await routesUp(s2, 1);
    await eventually(() => h1.leafNodes.length === 1 && h2.leafNodes.length === 1, "both spokes on their hubs", 10_000);
    const port = (s: { url: string }): number => Number(new URL(s.url).port);
    await exactlyOnce(t, port(s1), port(s2), "emb.s1.to.s2");
    await exactlyOnce(t, port(s2), port(s1), "emb.s2.to.s1");
    await exactlyOnce(t, port(h1), port(s2), "emb.h1.to.s2");
    await exactlyOnce(t, port(s1), port(h2), "emb.s1.to.h2");
  });

  it("hub clients still get the spoke's messages and the spoke the hubs'", async (t) => {
    const { h, o, l1, l2 } = await topology(t);
    await exactlyOnce(t, l1.port, Number(new URL(o.url).port), "origin.l1.to.o");
    await exactlyOnce(t, l2.port, h.port, "origin.l2.to.h");
    await exactlyOnce(t, Number(new URL(o.url).port), l1.port, "origin.o.to.l1");
    await exactlyOnce(t, h.port, l2.port, "origin.h.to.l2");
  });
});

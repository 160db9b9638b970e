/**
 * `cluster.advertise`: the route address a node gossips is the advertised one, not where it
 * listens. A small TCP forwarder stands for the NAT or proxy in front of the node: a member that
 * learns the node by gossip must come in through it. Then the same with Debian's nats-server
 * 2.9.10 as the member that learns and dials.
 */
import assert from "node:assert/strict";
import { createServer as createNetServer, connect as netConnect, type Server as NetServer, type Socket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { freePort } from "../leafnode/helpers.ts";
import { routesUp, routeUrl, sleep, startNode, type Node } from "./helpers.ts";

/** A TCP forwarder on 127.0.0.1 to `target`, counting the connections it carried. */
interface Forwarder {
  readonly port: number;
  readonly connections: number;
}

async function forwarder(t: TestContext, target: () => number): Promise<Forwarder> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((inbound) => {
    connections++;
    const outbound = netConnect({ host: "127.0.0.1", port: target() });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
    inbound.on("close", () => outbound.destroy());
    outbound.on("close", () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    get connections() {
      return connections;
    },
  };
}

async function client(t: TestContext, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

/** Publishes on `from` until a subscriber on `to` gets it: the route between them carries messages. */
async function messageCrosses(t: TestContext, from: string, to: string, subject: string): Promise<void> {
  const pub = await client(t, from);
  const sub = await client(t, to);
  let got = 0;
  sub.subscribe(subject, { callback: () => void got++ });
  await sub.flush();
  const deadline = Date.now() + 10_000;
  while (got === 0) {
    if (Date.now() > deadline) throw new Error(`nothing on ${subject} crossed from ${from} to ${to}`);
    pub.publish(subject, "x");
    await pub.flush();
    await sleep(20);
  }
  assert.ok(got > 0);
}

/** The first route INFO a route port sends, read by a raw socket. */
async function routeInfo(port: number): Promise<Record<string, unknown>> {
  return await new Promise((resolve, reject) => {
    const socket = netConnect({ host: "127.0.0.1", port });
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no INFO"));
    }, 3000);
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      text += chunk.toString("utf8");
      const end = text.indexOf("\r\n");
      if (end < 0) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(JSON.parse(text.slice("INFO ".length, end)) as Record<string, unknown>);
    });
  });
}

describe("cluster advertise", () => {
  it("puts the advertised address in route INFO host, port and ip (as nats-server)", async (t) => {
    const node = await startNode(t, { serverName: "adv" }, { advertise: "127.0.0.1:4999" });
    const info = await routeInfo(node.clusterPort);
    assert.equal(info["host"], "127.0.0.1");
    assert.equal(info["port"], 4999);
    assert.equal(info["ip"], "nats-route://127.0.0.1:4999/");

    // No port: the route port, as nats-server's parseHostPort.
    const bare = await startNode(t, {}, { advertise: "localhost" });
    const bareInfo = await routeInfo(bare.clusterPort);
    assert.equal(bareInfo["host"], "localhost");
    assert.equal(bareInfo["port"], bare.clusterPort);
    assert.equal(bareInfo["ip"], `nats-route://localhost:${bare.clusterPort}/`);

    // Without advertise: the listen address and no `ip`.
    const plain = await startNode(t);
    const plainInfo = await routeInfo(plain.clusterPort);
    assert.equal(plainInfo["port"], plain.clusterPort);
    assert.equal("ip" in plainInfo, false);
  });

  it("a member that learns the node by gossip dials the advertised address", async (t) => {
    let aPort = 0;
    const fwd = await forwarder(t, () => aPort);
    // B and C form a cluster; A, advertising the forwarder, joins through B. B gossips A to C,
    // and C must reach A through the forwarder (A's own port is not what it was told).
    const b = await startNode(t, { serverName: "B" });
    const c = await startNode(t, { serverName: "C" }, { routes: [routeUrl(b)] });
    await routesUp(b, 1);
    await routesUp(c, 1);
    const a: Node = await startNode(t, { serverName: "A" }, { advertise: `127.0.0.1:${fwd.port}`, routes: [routeUrl(b)] });
    aPort = a.clusterPort;
    await routesUp(a, 2, 10_000);
    await routesUp(c, 2, 10_000);
    assert.equal(fwd.connections >= 1, true, "C dialed A through the advertised address");
    // C's route to A is the one it dialed, through the forwarder.
    const cToA = c.routes.find((r) => r.serverName === "A");
    assert.ok(cToA !== undefined);
    assert.equal(cToA.role, "solicit");
    assert.equal(cToA.url, `nats-route://127.0.0.1:${fwd.port}`);
    // B, which A dialed, names A by its advertised address too (INFO host/port).
    assert.equal(b.routes.find((r) => r.serverName === "A")?.url, `nats-route://127.0.0.1:${fwd.port}`);
    await messageCrosses(t, c.url, a.url, "adv.c.to.a");
    await messageCrosses(t, a.url, c.url, "adv.a.to.c");
  });

  it(
    "nats-server 2.9.10 learns our advertised URL by gossip and dials it",
    { skip: hasNatsServer() ? false : "nats-server is not installed", timeout: 30_000 },
    async (t) => {
      let aPort = 0;
      const fwd = await forwarder(t, () => aPort);
      const b = await startNode(t, { serverName: "B" });
      const nsClusterPort = await freePort();
      const httpPort = await freePort();
      const ns = await startNatsServer(
        [],
        `server_name: N\nhttp: "127.0.0.1:${httpPort}"\ncluster { name: test, listen: "127.0.0.1:${nsClusterPort}", routes: ["${routeUrl(b)}"] }\n`,
      );
      t.after(() => ns.stop());
      await routesUp(b, 1, 10_000);
      const a: Node = await startNode(t, { serverName: "A" }, { advertise: `127.0.0.1:${fwd.port}`, routes: [routeUrl(b)] });
      aPort = a.clusterPort;
      // B forwards A's INFO (ip = the forwarder) to nats-server, which dials it.
      await routesUp(a, 2, 15_000);
      assert.equal(fwd.connections >= 1, true, "nats-server dialed A through the advertised address");
      const routez = async (): Promise<{ routes: { remote_name?: string; did_solicit: boolean; port: number }[] }> =>
        (await (await fetch(`http://127.0.0.1:${httpPort}/routez`)).json()) as { routes: { remote_name?: string; did_solicit: boolean; port: number }[] };
      let seen = await routez();
      for (const deadline = Date.now() + 10_000; seen.routes.length !== 2 && Date.now() < deadline; seen = await routez()) await sleep(50);
      assert.equal(seen.routes.length, 2, "nats-server's two routes");
      const toA = seen.routes.find((r) => r.did_solicit && r.port === fwd.port);
      assert.ok(toA !== undefined, `nats-server solicited A at the forwarder's port: ${JSON.stringify(await routez())}`);
      const nsUrl = `nats://127.0.0.1:${ns.port}`;
      await messageCrosses(t, nsUrl, a.url, "adv.ns.to.a");
      await messageCrosses(t, a.url, nsUrl, "adv.a.to.ns");
    },
  );

  it(
    "our members learn nats-server 2.9.10's advertised address by gossip and dial it",
    { skip: hasNatsServer() ? false : "nats-server is not installed", timeout: 30_000 },
    async (t) => {
      // nats-server advertises a forwarder to itself; our node learns it by gossip from our B.
      let nsPort = 0;
      const fwd = await forwarder(t, () => nsPort);
      const b = await startNode(t, { serverName: "B" });
      const c = await startNode(t, { serverName: "C" }, { routes: [routeUrl(b)] });
      await routesUp(c, 1);
      nsPort = await freePort();
      const ns = await startNatsServer(
        [],
        `server_name: N\ncluster { name: test, listen: "127.0.0.1:${nsPort}", advertise: "127.0.0.1:${fwd.port}", routes: ["${routeUrl(b)}"] }\n`,
      );
      t.after(() => ns.stop());
      await routesUp(b, 2, 10_000);
      await routesUp(c, 2, 10_000);
      assert.equal(fwd.connections >= 1, true, "C dialed nats-server at its advertised address");
      assert.equal(c.routes.find((r) => r.serverName === "N")?.url, `nats-route://127.0.0.1:${fwd.port}`);
      await messageCrosses(t, `nats://127.0.0.1:${ns.port}`, c.url, "adv.ns.to.c");
    },
  );

  it("refuses an advertise that is not host[:port]", () => {
    for (const bad of ["", "a b:1", "::1", "nats://h:1", "h:70000", "[::1"]) {
      assert.throws(() => createServerWith(bad), /cluster\.advertise/, bad);
    }
    assert.doesNotThrow(() => createServerWith("[::1]:6222"));
    assert.doesNotThrow(() => createServerWith("example.com"));
  });
});

function createServerWith(advertise: string): void {
  createServer({ cluster: { port: 0, advertise } });
}

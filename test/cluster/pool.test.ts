/**
 * Route pooling (nats-server 2.10+ `pool_size`). We are a pool-less server: our route INFO has
 * no `route_pool_size`, so a 2.10+ peer takes us as it takes a 2.9 server or one with
 * `pool_size: -1` (route.go addRoute: `info.RoutePoolSize <= 0` → `noPool`): one route carries
 * every account. No nats-server 2.10+ binary is installed here, so its side is scripted on a raw
 * socket from route.go: the main route's CONNECT with its INFO held back until ours came
 * (routeShouldDelayInfo), `route_pool_size: 3` in its INFO, and the dedicated route it dials
 * for each pinned account ($SYS by default), which a pool-less server refuses. With nats-server
 * 2.9.10: a config written with `pool_size` still makes a working cluster.
 */
import assert from "node:assert/strict";
import { createServer as createNetServer, type Socket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { connect } from "@nats-io/transport-node";
import { parseConfig } from "../../src/config/parser.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { RawClient } from "../helpers/raw-client.ts";
import { freePort } from "../leafnode/helpers.ts";
import { eventually, routesUp, sleep, startNode, type Node } from "./helpers.ts";

const PEER_ID = "NPOOLEDPEER00000000000000000000000000000000000000000000";

/** A 2.10+ server's route INFO (server.go Info with the pool fields route.go sets). */
function pooledInfo(extra: Record<string, unknown> = {}, id = PEER_ID): string {
  const info = { server_id: id, server_name: "pooled", version: "2.10.22", proto: 2, host: "127.0.0.1", port: 1, headers: true, cluster: "test", lnoc: true, route_pool_size: 3, ...extra };
  return `INFO ${JSON.stringify(info)}\r\n`;
}

function connectLine(): string {
  return `CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"${PEER_ID}","cluster":"test","dynamic":false,"lnoc":true}\r\n`;
}

async function raw(t: TestContext, node: Node): Promise<RawClient> {
  const r = await RawClient.connect(node.clusterPort);
  t.after(() => r.destroy());
  return r;
}

function ourInfo(r: RawClient): Record<string, unknown> {
  return JSON.parse(/^INFO (\{.*\}) \r\n/.exec(r.text())![1]!) as Record<string, unknown>;
}

const PINNED_REFUSAL = `-ERR 'Not possible to have a dedicated route for account "$SYS" between those servers'\r\n`;

describe("route pools (pool_size)", { timeout: 60_000 }, () => {
  it("announces no pool, so a 2.10+ peer keeps one route to us", async (t) => {
    const node = await startNode(t);
    const r = await raw(t, node);
    await r.waitFor(/^INFO \{.*\} \r\n/);
    const info = ourInfo(r);
    for (const field of ["route_pool_size", "route_pool_idx", "route_account"]) assert.equal(field in info, false, field);
  });

  it("refuses a 2.10+ peer's pinned-account route as nats-server does, before and after its main route, and keeps the main route", async (t) => {
    const node = await startNode(t, { serverName: "ours" });
    const nc = await connect({ servers: node.url, reconnect: false });
    t.after(() => nc.close());
    const got: string[] = [];
    nc.subscribe("pool.>", { callback: (_e, m) => void got.push(`${m.subject}|${m.string()}`) });
    await nc.flush();

    // route.go solicitRoutes dials the main route and the $SYS route at once: either may come first.
    const pinned = await raw(t, node);
    pinned.send(connectLine() + pooledInfo({ route_account: "$SYS" }));
    await pinned.waitFor(PINNED_REFUSAL);
    await pinned.waitClosed();
    assert.equal(node.routes.length, 0);

    // The main route: CONNECT, then its INFO only once ours arrived (route.go routeShouldDelayInfo).
    const main = await raw(t, node);
    main.send(connectLine());
    await main.waitFor(/^INFO \{.*\} \r\n/);
    assert.equal("route_pool_size" in ourInfo(main), false);
    main.send(pooledInfo({ route_pool_idx: 0 }));
    await routesUp(node, 1);
    await main.waitFor("RS+ $G pool.>\r\n");

    // A pinned route after the main one (a 2.10+ peer that heard of us by gossip dials one for
    // each pinned account, route.go processImplicitRoute): refused, the main route untouched.
    const late = await raw(t, node);
    late.send(connectLine() + pooledInfo({ route_account: "$SYS" }));
    await late.waitFor(PINNED_REFUSAL);
    await late.waitClosed();
    assert.equal(node.routes.length, 1);
    assert.equal(main.closed, false);
    main.send("RMSG $G pool.a 2\r\nhi\r\nPING\r\n");
    await main.waitFor("PONG\r\n");
    await eventually(() => got.length === 1, "the routed message");
    assert.deepEqual(got, ["pool.a|hi"]);
    // Every account's interest (here, $G's new subject) goes on the one route.
    nc.subscribe("pool2.x", { callback: () => undefined });
    await nc.flush();
    await main.waitFor("RS+ $G pool2.x\r\n");
  });

  it("dials a 2.10+ peer once, opening no pool connections, and does not dial a pinned-account route it hears of", async (t) => {
    const accepted: Socket[] = [];
    const peer = createNetServer((socket) => {
      accepted.push(socket);
      socket.on("error", () => undefined);
      // route.go createRoute, accept side: INFO at once, with the pool size.
      socket.write(pooledInfo({ route_pool_idx: 0 }));
    });
    await new Promise<void>((resolve) => peer.listen(0, "127.0.0.1", resolve));
    t.after(async () => {
      for (const s of accepted) s.destroy();
      await new Promise<void>((resolve) => peer.close(() => resolve()));
    });
    const peerPort = (peer.address() as { port: number }).port;
    const fromUs: string[] = [];
    peer.once("connection", (s: Socket) => s.on("data", (d) => void fromUs.push(d.toString("utf8"))));

    const node = await startNode(t, {}, { routes: [`nats-route://127.0.0.1:${peerPort}`] });
    await routesUp(node, 1);
    // A pooling solicitor opens the rest of its pool after the first route (route.go addRoute,
    // startNewRoute); we must not: give it time to.
    await sleep(600);
    assert.equal(accepted.length, 1);
    const ours = fromUs.join("");
    const infoLine = /INFO (\{.*\}) ?\r\n/.exec(ours);
    assert.ok(infoLine !== null, ours);
    assert.equal("route_pool_size" in (JSON.parse(infoLine[1]!) as object), false);

    // Gossip about a third server's pinned-account route is not for a pool-less server
    // (route.go processImplicitRoute); about its main route, it is.
    let thirdDialed = 0;
    const third = createNetServer((s) => {
      thirdDialed++;
      s.destroy();
    });
    await new Promise<void>((resolve) => third.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise<void>((resolve) => third.close(() => resolve())));
    const thirdPort = (third.address() as { port: number }).port;
    const gossip = (extra: Record<string, unknown>): string =>
      pooledInfo({ ip: `nats-route://127.0.0.1:${thirdPort}/`, port: thirdPort, ...extra }, "NTHIRD0000000000000000000000000000000000000000000000000");
    accepted[0]!.write(gossip({ route_account: "$SYS" }));
    await sleep(400);
    assert.equal(thirdDialed, 0);
    accepted[0]!.write(gossip({}));
    await eventually(() => thirdDialed >= 1, "the third server dialed");
  });

  it("takes pool_size from a nats-server config: -1 as it is, another size with a warning", () => {
    const mapped = (text: string) => optionsFromConfig(parseConfig(text, { file: "/etc/nats/pool.conf" }));
    assert.deepEqual(mapped("cluster { port: -1, pool_size: -1 }").warnings, []);
    assert.deepEqual(mapped("cluster { port: -1, pool_size: 3 }").warnings, [
      `/etc/nats/pool.conf:1:21: "pool_size" 3 in "cluster": routes are not pooled here, one route per server carries every account (as pool_size: -1); ignored`,
    ]);
    assert.deepEqual(mapped("cluster { port: -1, pool_size: 3 }").options.cluster, { port: 0 });
    assert.throws(() => mapped('cluster { port: -1, pool_size: "many" }'), /pool_size/);
  });

  it(
    "a config written with pool_size makes a cluster with nats-server 2.9.10",
    { skip: hasNatsServer() ? false : "nats-server is not installed", timeout: 30_000 },
    async (t) => {
      const nsCluster = await freePort();
      // nats-server 2.9.10 has no pool_size (its parser refuses the key): the pooled config is ours.
      const ns = await startNatsServer([], `cluster { name: test, listen: "127.0.0.1:${nsCluster}" }\n`);
      t.after(() => ns.stop());
      const { options, warnings } = optionsFromConfig(
        parseConfig(`port: -1\ncluster { name: test, listen: "127.0.0.1:-1", pool_size: 3, routes: ["nats-route://127.0.0.1:${nsCluster}"] }\n`, { file: "/tmp/pool.conf" }),
      );
      assert.equal(warnings.length, 1);
      const ours = createServer({ ...options, host: "127.0.0.1" }) as Node;
      t.after(() => ours.close());
      await ours.listen();
      await routesUp(ours, 1, 10_000);
      const a = await connect({ servers: ours.url, reconnect: false });
      const b = await connect({ servers: `nats://127.0.0.1:${ns.port}`, reconnect: false });
      t.after(async () => {
        await a.close();
        await b.close();
      });
      let got = 0;
      b.subscribe("pooled.cfg", { callback: () => void got++ });
      await b.flush();
      for (const deadline = Date.now() + 10_000; got === 0 && Date.now() < deadline; ) {
        a.publish("pooled.cfg", "x");
        await a.flush();
        await sleep(20);
      }
      assert.ok(got > 0, "a message crossed the one route");
      assert.equal(ours.routes.length, 1);
    },
  );
});

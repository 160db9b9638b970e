/**
 * Bad peers at scale and the refusals not covered in route-protocol.test.ts: 200 routes that
 * register, announce interest, send messages and drop, while a client keeps requesting across
 * a stable route (memory back where it was, requests not stalled); a storm on a TLS route
 * port; wrong route credentials and another cluster's name with nats-server 2.9.10 on either side.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect as netConnect, type Socket } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, it, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { makeTestCerts } from "../helpers/certs.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { freePort } from "../leafnode/helpers.ts";
import { eventually, routesUp, routeUrl, sleep, startNode, type Node } from "./helpers.ts";

const skip = hasNatsServer() ? false : "nats-server is not installed";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const MB = 1024 * 1024;

/** One fake member: connects, registers, announces interest, sends messages, and drops. */
async function flash(node: Node, i: number): Promise<void> {
  const id = `NSTORM${randomBytes(24).toString("hex").toUpperCase()}`.slice(0, 56);
  const socket: Socket = netConnect({ host: "127.0.0.1", port: node.clusterPort });
  socket.on("error", () => undefined);
  await new Promise((resolve) => socket.once("connect", resolve));
  let interest = "";
  for (let k = 0; k < 50; k++) interest += `RS+ $G storm.${i}.${k}\r\n`;
  interest += `RS+ $G storm.q work ${1 + (i % 5)}\r\nRS+ $G >\r\n`;
  socket.write(
    `CONNECT {"echo":true,"verbose":false,"pedantic":false,"headers":true,"name":"${id}","cluster":"test"}\r\n` +
      `INFO {"server_id":"${id}","server_name":"storm-${i}","host":"127.0.0.1","port":1,"headers":true,"cluster":"test","proto":2,"connect_urls":["127.0.0.1:${40000 + i}"]}\r\n` +
      interest +
      "RMSG $G from.storm 5\r\nhello\r\n",
  );
  // Half wait to be registered (our INFO's answer, interest flowing), half drop at once.
  if (i % 2 === 0) await new Promise((resolve) => socket.once("data", resolve));
  socket.destroy();
}

async function client(t: TestContext, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

describe("route storms", { timeout: 120_000 }, () => {
  it("200 peers that register and drop: memory back where it was, requests across a route not stalled", async (t) => {
    const a = await startNode(t, { serverName: "A" });
    const b = await startNode(t, { serverName: "B" }, { routes: [routeUrl(a)] });
    await routesUp(a);
    const svc = await client(t, b.url);
    svc.subscribe("svc.echo", { callback: (_e, m) => void m.respond(m.data) });
    await svc.flush();
    const requester = await client(t, a.url);
    await eventually(() => a.routes[0]!.remoteInterest >= 1, "B's service on A");
    // The first request opens the requester's inbox subscription: before the count is taken.
    await requester.request("svc.echo", "warm", { timeout: 5000 });
    let connects = 0;
    a.on("route:connect", () => void connects++);
    // Clients are told of each member that comes (connect_urls) and goes.
    const watcher = await client(t, a.url);

    for (let i = 0; i < 20; i++) await flash(a, i);
    await eventually(() => a.routes.length === 1, "the warm-up peers gone");
    // A closed link's last references (its socket's close, timers) go within a second.
    await sleep(1500);
    const subsBefore = a.numSubscriptions;
    const heapBefore = heapAfterGc();
    const rssBefore = process.memoryUsage().rss;

    const latencies: number[] = [];
    let storming = true;
    const load = (async () => {
      while (storming) {
        const t0 = performance.now();
        await requester.request("svc.echo", "ping", { timeout: 5000 });
        latencies.push(performance.now() - t0);
      }
    })();
    const t0 = performance.now();
    for (let i = 20; i < 220; i++) await flash(a, i);
    const stormMs = performance.now() - t0;
    storming = false;
    await load;

    await eventually(() => a.routes.length === 1, "every storm peer gone", 10_000);
    await sleep(1500);
    assert.equal(a.routes[0]!.serverId, b.id, "the stable route stayed");
    assert.equal(a.numSubscriptions, subsBefore, "the storm's interest left the sublist");
    assert.ok(connects >= 100, `half the peers at least were registered (${connects})`);
    const heapGrowth = (heapAfterGc() - heapBefore) / MB;
    const rssGrowth = (process.memoryUsage().rss - rssBefore) / MB;
    latencies.sort((x, y) => x - y);
    const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!;
    t.diagnostic(
      `storm of 200 in ${stormMs.toFixed(0)} ms (${connects} registered); heap ${heapGrowth.toFixed(2)} MB, rss ${rssGrowth.toFixed(1)} MB; ` +
        `${latencies.length} requests across the route: p50 ${pct(0.5).toFixed(2)} ms, p99 ${pct(0.99).toFixed(2)} ms, max ${pct(1).toFixed(2)} ms`,
    );
    assert.ok(heapGrowth < 2, `heap grew ${heapGrowth.toFixed(2)} MB`);
    assert.ok(latencies.length >= 20, `requests kept being answered (${latencies.length})`);
    assert.ok(pct(1) < 1000, `no request stalled (max ${pct(1).toFixed(0)} ms)`);
    // The members' client URLs came and went: the client is left with A's and B's only.
    await eventually(() => (watcher.info?.connect_urls ?? []).length === 2, "connect_urls back to two", 5000);
  });

  it("a storm on a TLS route port: sockets that never finish, or finish and drop, leave nothing", async (t) => {
    const certs = makeTestCerts();
    t.after(() => certs.cleanup());
    const tls = { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile, timeout: 500 };
    const a = await startNode(t, { serverName: "A" }, { tls });
    const { connect: tlsConnect } = await import("node:tls");
    const heapBefore = heapAfterGc();
    for (let i = 0; i < 200; i++) {
      if (i % 4 === 0) {
        // A finished handshake with a certificate we trust, then gone.
        const s = tlsConnect({ host: "127.0.0.1", port: a.clusterPort, ca: certs.ca, cert: certs.serverCert, key: certs.serverKey });
        s.on("error", () => undefined);
        await new Promise((resolve) => s.once("secureConnect", resolve));
        s.destroy();
      } else {
        const s = netConnect({ host: "127.0.0.1", port: a.clusterPort });
        s.on("error", () => undefined);
        await new Promise((resolve) => s.once("connect", resolve));
        if (i % 4 === 1) s.write("CONNECT {}\r\n");
        s.destroy();
      }
    }
    // One that says nothing is cut by the TLS timeout.
    const mute = netConnect({ host: "127.0.0.1", port: a.clusterPort });
    mute.on("error", () => undefined);
    await new Promise((resolve) => mute.once("close", resolve));
    const heapGrowth = (heapAfterGc() - heapBefore) / MB;
    t.diagnostic(`TLS storm: heap ${heapGrowth.toFixed(2)} MB`);
    assert.ok(heapGrowth < 4, `heap grew ${heapGrowth.toFixed(2)} MB`);
    assert.equal(a.routes.length, 0);
    // And a real member still gets in.
    const b = await startNode(t, { serverName: "B" }, { tls, routes: [routeUrl(a)] });
    await routesUp(a);
    await routesUp(b);
  });
});

describe("refusals with nats-server 2.9.10", { skip, timeout: 60_000 }, () => {
  it("wrong route credentials, either side dialing: no route", async (t) => {
    const ours = await startNode(t, { serverName: "ours" }, { authorization: { user: "r", password: "right" } });
    const ns = await startNatsServer([], `cluster { name: test, listen: "127.0.0.1:${await freePort()}", routes: ["nats-route://r:wrong@127.0.0.1:${ours.clusterPort}"] }\n`);
    t.after(() => ns.stop());
    const clusterPort = await freePort();
    const ns2 = await startNatsServer([], `cluster { name: test, listen: "127.0.0.1:${clusterPort}", authorization { user: r, password: right } }\n`);
    t.after(() => ns2.stop());
    const dialer = await startNode(t, { serverName: "dialer" }, { routes: [`nats-route://r:wrong@127.0.0.1:${clusterPort}`] });
    await sleep(2500);
    assert.equal(ours.routes.length, 0);
    assert.equal(dialer.routes.length, 0);
    assert.match(ns.log(), /Authorization Violation/);
    assert.match(ns2.log(), /Authorization Error|authentication error/i);
  });

  it("another cluster's name, either side dialing: no route", async (t) => {
    const ours = await startNode(t, { serverName: "ours" });
    const ns = await startNatsServer([], `cluster { name: other, listen: "127.0.0.1:${await freePort()}", routes: ["${routeUrl(ours)}"] }\n`);
    t.after(() => ns.stop());
    const clusterPort = await freePort();
    const ns2 = await startNatsServer([], `cluster { name: other, listen: "127.0.0.1:${clusterPort}" }\n`);
    t.after(() => ns2.stop());
    const dialer = await startNode(t, { serverName: "dialer" }, { routes: [`nats-route://127.0.0.1:${clusterPort}`] });
    await sleep(2500);
    assert.equal(ours.routes.length, 0);
    assert.equal(dialer.routes.length, 0);
    // nats-server reads our INFO first and drops the route itself, or hears our -ERR.
    assert.match(ns.log(), /Cluster Name Conflict|cluster name "other" does not match "test"/);
  });
});

/**
 * TLS on routes (route.go createRoute: the handshake before anything else, both sides
 * presenting a certificate the other verifies), between our nodes and with nats-server 2.9.10
 * dialing us and dialed by us; the `cluster.tls` option and the config file's `cluster { tls }`.
 */
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { after, before, describe, it, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { parseConfig } from "../../src/config/parser.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { createServer } from "../../src/index.ts";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";
import { hasNatsServer, startNatsServer, type NatsServerProcess } from "../helpers/nats-server-process.ts";
import { freePort } from "../leafnode/helpers.ts";
import { eventually, routesUp, routeUrl, sleep, startNode, type Node } from "./helpers.ts";

const skip = hasNatsServer() ? false : "nats-server is not installed";

let certs: TestCerts;
let otherCa: TestCerts;
before(() => {
  certs = makeTestCerts();
  otherCa = makeTestCerts();
});
after(() => {
  certs.cleanup();
  otherCa.cleanup();
});

const tls = () => ({ certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile });

async function client(t: TestContext, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

/** A message each way between clients of `a` and of the server at `bUrl`. */
async function bothWays(t: TestContext, a: Node, bUrl: string): Promise<void> {
  const ca = await client(t, a.url);
  const cb = await client(t, bUrl);
  const got: string[] = [];
  ca.subscribe("to.a", { callback: (_e, m) => void got.push(`a:${m.string()}`) });
  cb.subscribe("to.b", { callback: (_e, m) => void got.push(`b:${m.string()}`) });
  await ca.flush();
  await cb.flush();
  const deadline = Date.now() + 10_000;
  while (!(got.includes("a:probe") && got.includes("b:probe"))) {
    if (Date.now() > deadline) assert.fail(`no interest crossed: ${got.join(",")}`);
    cb.publish("to.a", "probe");
    ca.publish("to.b", "probe");
    await sleep(20);
  }
  got.length = 0;
  cb.publish("to.a", "secret-1");
  ca.publish("to.b", "secret-2");
  await eventually(() => got.length === 2, "a message each way");
  assert.deepEqual(got.sort(), ["a:secret-1", "b:secret-2"]);
}

async function tlsNatsServer(t: TestContext, clusterPort: number, routes: string[], tlsBlock: string): Promise<NatsServerProcess> {
  const ns = await startNatsServer([], `cluster {\n name: test\n listen: "127.0.0.1:${clusterPort}"\n routes: [${routes.map((r) => JSON.stringify(r)).join(", ")}]\n ${tlsBlock}\n}\n`);
  t.after(() => ns.stop());
  return ns;
}

const nsTls = () => `tls { cert_file: "${certs.serverCertFile}", key_file: "${certs.serverKeyFile}", ca_file: "${certs.caFile}", timeout: 2 }`;

describe("route TLS", { timeout: 60_000 }, () => {
  it("two of our nodes: TLS both ways, the INFO says so, messages cross", async (t) => {
    const a = await startNode(t, { serverName: "A" }, { tls: tls() });
    const b = await startNode(t, { serverName: "B" }, { tls: tls(), routes: [`tls://127.0.0.1:${a.clusterPort}`] });
    await routesUp(a);
    await routesUp(b);
    await bothWays(t, a, b.url);
    // The route INFO, read over TLS as a member: tls_required and tls_verify.
    const { connect: tlsConnect } = await import("node:tls");
    const s = tlsConnect({ host: "127.0.0.1", port: a.clusterPort, ca: certs.ca, cert: certs.serverCert, key: certs.serverKey });
    t.after(() => s.destroy());
    s.on("error", () => undefined);
    const line = await new Promise<string>((resolve) => {
      let text = "";
      s.on("data", (d: Buffer) => {
        text += d.toString("utf8");
        if (text.includes("\r\n")) resolve(text.slice(0, text.indexOf("\r\n")));
      });
    });
    const info = JSON.parse(line.slice("INFO ".length)) as { tls_required?: boolean; tls_verify?: boolean };
    assert.equal(info.tls_required, true);
    assert.equal(info.tls_verify, true);
  });

  it("three nodes over TLS mesh by gossip: the route a node learns of is TLS too", async (t) => {
    const a = await startNode(t, { serverName: "A" }, { tls: tls() });
    const b = await startNode(t, { serverName: "B" }, { tls: tls(), routes: [routeUrl(a)] });
    const c = await startNode(t, { serverName: "C" }, { tls: tls(), routes: [routeUrl(a)] });
    for (const n of [a, b, c]) await routesUp(n, 2, 10_000);
    await bothWays(t, b, c.url);
  });

  it("a peer without TLS, or with a certificate from another CA, never becomes a route", async (t) => {
    const a = await startNode(t, { serverName: "A" }, { tls: tls() });
    await startNode(t, { serverName: "plain" }, { routes: [routeUrl(a)] });
    const foreign = { certFile: otherCa.serverCertFile, keyFile: otherCa.serverKeyFile, caFile: otherCa.caFile };
    await startNode(t, { serverName: "foreign" }, { tls: foreign, routes: [routeUrl(a)] });
    // A peer that trusts our CA but presents a certificate we did not sign.
    await startNode(t, { serverName: "half" }, { tls: { certFile: otherCa.serverCertFile, keyFile: otherCa.serverKeyFile, caFile: certs.caFile }, routes: [routeUrl(a)] });
    await sleep(2500);
    assert.deepEqual(a.routes.map((r) => r.serverName), []);

    // A raw plaintext CONNECT on the TLS route port gets no INFO: the socket is closed.
    const socket = netConnect({ host: "127.0.0.1", port: a.clusterPort });
    let received = "";
    socket.on("data", (d) => void (received += d.toString("latin1")));
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write('CONNECT {"name":"x","cluster":"test"}\r\nINFO {"server_id":"x"}\r\n');
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    assert.ok(!received.includes("INFO"), "no INFO in plain text");
  });

  it("nats-server 2.9.10 dials our TLS route port", { skip }, async (t) => {
    const ours = await startNode(t, { serverName: "ours" }, { tls: tls() });
    const ns = await tlsNatsServer(t, await freePort(), [`nats-route://127.0.0.1:${ours.clusterPort}`], nsTls());
    await routesUp(ours, 1, 10_000);
    assert.equal(ours.routes[0]!.role, "accept");
    await bothWays(t, ours, `nats://127.0.0.1:${ns.port}`);
  });

  it("our node dials nats-server 2.9.10 over TLS", { skip }, async (t) => {
    const clusterPort = await freePort();
    const ns = await tlsNatsServer(t, clusterPort, [], nsTls());
    const ours = await startNode(t, { serverName: "ours" }, { tls: tls(), routes: [`tls://127.0.0.1:${clusterPort}`] });
    await routesUp(ours, 1, 10_000);
    assert.equal(ours.routes[0]!.role, "solicit");
    await bothWays(t, ours, `nats://127.0.0.1:${ns.port}`);
  });

  it("nats-server refuses our node without TLS, and we refuse it without TLS", { skip }, async (t) => {
    const clusterPort = await freePort();
    const ns = await tlsNatsServer(t, clusterPort, [], nsTls());
    const plain = await startNode(t, { serverName: "plain" }, { routes: [`nats-route://127.0.0.1:${clusterPort}`] });
    const ours = await startNode(t, { serverName: "ours" }, { tls: tls() });
    await tlsNatsServer(t, await freePort(), [routeUrl(ours)], "");
    await sleep(2500);
    assert.equal(plain.routes.length, 0);
    assert.equal(ours.routes.length, 0);
    assert.match(ns.log(), /TLS route handshake error|tls: first record does not look like a TLS handshake/);
  });
});

describe("the cluster.tls option", () => {
  it("is read from the config file's cluster { tls { } }", () => {
    const m = optionsFromConfig(
      parseConfig(`cluster { port: -1, tls { cert_file: "${certs.serverCertFile}", key_file: "${certs.serverKeyFile}", ca_file: "${certs.caFile}", verify: true, timeout: 3 } }`, { file: "/x.conf" }),
    );
    assert.deepEqual(m.options.cluster?.tls, { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile, verify: true, timeout: 3000 });
    assert.deepEqual(m.warnings, []);
  });

  it("refuses what cannot work, at createServer()", () => {
    assert.throws(() => createServer({ cluster: { port: 0, routes: ["tls://127.0.0.1:4248"] } }), /asks for TLS: configure cluster\.tls/);
    assert.throws(() => createServer({ cluster: { port: 0, tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile } } }), /needs the CA/);
    assert.throws(() => createServer({ cluster: { port: 0, tls: { certFile: `${certs.dir}/nope.pem`, keyFile: certs.serverKeyFile, caFile: certs.caFile } } }), /cannot read/);
  });
});

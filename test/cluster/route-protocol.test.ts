/**
 * Protocol edges of a route, with a raw socket as the peer: the handshake, ops split across
 * reads, unknown accounts, and each kind of bad input with nats-server's answer. Nothing a
 * peer sends may throw into the host or leave the route unbounded.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { connect } from "@nats-io/transport-node";
import { connect as netConnect } from "node:net";
import { RawClient } from "../helpers/raw-client.ts";
import { freePort } from "../leafnode/helpers.ts";
import { eventually, routesUp, sleep, startNode, type Node } from "./helpers.ts";

const PEER_ID = "NFAKEPEER0000000000000000000000000000000000000000000000";

async function rawPeer(t: TestContext, node: Node): Promise<RawClient> {
  const raw = await RawClient.connect(node.clusterPort);
  t.after(() => raw.destroy());
  await raw.waitFor(/^INFO \{.*\} \r\n/);
  return raw;
}

function handshake(extraConnect = "", cluster = "test"): string {
  return (
    `CONNECT {"echo":true,"verbose":false,"pedantic":false,"headers":true,"name":"${PEER_ID}","cluster":"${cluster}"${extraConnect}}\r\n` +
    `INFO {"server_id":"${PEER_ID}","server_name":"fake","host":"127.0.0.1","port":1,"headers":true,"cluster":"${cluster}","proto":2}\r\n`
  );
}

describe("route protocol edges", { timeout: 60_000 }, () => {
  it("speaks the handshake, sends interest, takes RMSG/HMSG split anywhere, ignores unknown accounts", async (t) => {
    const node = await startNode(t, { serverName: "ours" });
    const nc = await connect({ servers: node.url, reconnect: false });
    t.after(() => nc.close());
    const got: string[] = [];
    nc.subscribe("in.>", { callback: (_e, m) => void got.push(`${m.subject}|${m.reply ?? ""}|${m.string()}|${m.headers?.get("A") ?? ""}`) });
    nc.subscribe("qq", { queue: "g", callback: (_e, m) => void got.push(`q|${m.string()}`) });
    await nc.flush();
    const raw = await rawPeer(t, node);
    const info = JSON.parse(/^INFO (\{.*\}) \r\n/.exec(raw.text())![1]!) as Record<string, unknown>;
    assert.equal(info["proto"], 3); // server.go MsgTraceProto: we trace messages (docs/tracing.md)
    assert.equal(info["cluster"], "test");
    assert.equal(info["port"], node.clusterPort);
    assert.deepEqual(info["connect_urls"], [`127.0.0.1:${node.port}`]);
    raw.send(handshake());
    // The whole interest map of $G.
    await raw.waitFor("RS+ $G in.>\r\n");
    await raw.waitFor("RS+ $G qq g 1\r\n");
    await routesUp(node);
    await raw.sendBytewise("RMSG $G in.a 5\r\nhello\r\nRMSG $G in.b + r.1 2\r\nhi\r\nHMSG $G in.c 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nok\r\n");
    // A queue group gets a routed message only when the message names it.
    raw.send("RMSG $G qq 3\r\nnot\r\nRMSG $G qq | g 3\r\nyes\r\n");
    // An account we don't have: logged and ignored, the route stays.
    raw.send("RS+ NOPE foo\r\nRMSG NOPE in.x 1\r\nx\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    await eventually(() => got.length === 4, "four deliveries");
    assert.deepEqual(got, ["in.a||hello|", "in.b|r.1|hi|", "in.c||ok|b", "q|yes"]);
    assert.equal(raw.closed, false);
    // Local traffic goes out as RMSG, once, naming the queue group.
    raw.send("RS+ $G out.* \r\nRS+ $G out.> \r\nRS+ $G out.x w 1\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    nc.publish("out.x", "data", { reply: "rep" });
    await nc.flush();
    await raw.waitFor("RMSG $G out.x + rep w 4\r\ndata\r\n");
    await sleep(50);
    assert.equal(raw.text().split("RMSG $G out.x").length - 1, 1, "one RMSG for three matching subscriptions");
    // RS- removes interest.
    raw.send("RS- $G out.*\r\nRS- $G out.>\r\nRS- $G out.x w\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    await eventually(() => node.numSubscriptions === 2, "the peer's interest gone");
  });

  it("takes LS+, LS- and LMSG (leaf node origin), split anywhere", async (t) => {
    const node = await startNode(t);
    const got: string[] = [];
    node.subscribe("lo.>", { callback: (_e, m) => void got.push(`${m.subject}|${m.reply ?? ""}|${m.string()}`) });
    const raw = await rawPeer(t, node);
    raw.send(handshake());
    await routesUp(node);
    // LMSG: the origin, then HMSG's arguments; a header size of 0 means no headers.
    await raw.sendBytewise("LMSG spoke $G lo.a 0 2\r\nhi\r\nLMSG spoke $G lo.b r.1 0 3\r\nyes\r\nLS+ spoke $G out.lo\r\nLS+ spoke $G out.q g 2\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    await eventually(() => got.length === 2, "two LMSG deliveries");
    assert.deepEqual(got, ["lo.a||hi", "lo.b|r.1|yes"]);
    // LS+ is interest like RS+: local messages go to the peer.
    node.publish("out.lo", "x");
    await raw.waitFor("RMSG $G out.lo 1\r\nx\r\n");
    raw.send("LS- $G out.lo\r\nLS- $G out.q g\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    await eventually(() => node.numSubscriptions === 1, "the LS- interest gone");
    // An LMSG without its sizes is a protocol error, as an RMSG's.
    raw.send("LMSG spoke $G lo.c\r\n");
    await raw.waitClosed();
  });

  it("weighs a route's queue members by the weight it announced", async (t) => {
    const node = await startNode(t);
    let local = 0;
    node.subscribe("qw", { queue: "g", callback: () => void local++ });
    const raw = await rawPeer(t, node);
    raw.send(handshake());
    await routesUp(node);
    // Three members behind the route, then the weight drops back to one.
    raw.send("RS+ $G qw g 1\r\nRS+ $G qw g 3\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    for (let i = 0; i < 400; i++) node.publish("qw", "m");
    await eventually(() => local + (raw.text().split("RMSG $G qw | g 1").length - 1) === 400, "400 picks");
    const remote = 400 - local;
    assert.ok(remote > 250, `about 3 of 4 go to the route: ${remote}/400`);
    raw.send("RS+ $G qw g 1\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    await eventually(() => node.numSubscriptions === 2, "one local member, one route entry");
  });

  it("answers garbage with Unknown Protocol Operation and closes", async (t) => {
    const node = await startNode(t);
    const raw = await rawPeer(t, node);
    raw.send(handshake());
    await routesUp(node);
    raw.send("FOO bar\r\n");
    await raw.waitFor("-ERR 'Unknown Protocol Operation'\r\n");
    await raw.waitClosed();
    await eventually(() => node.routes.length === 0, "the route dropped");
  });

  it("bounds control lines and messages", async (t) => {
    const node = await startNode(t);
    const raw = await rawPeer(t, node);
    raw.send(handshake());
    await routesUp(node);
    raw.send(`RS+ $G ${"a".repeat(70_000)}`);
    await raw.waitFor("-ERR 'maximum control line exceeded'\r\n");
    await raw.waitClosed();

    const raw2 = await rawPeer(t, node);
    raw2.send(handshake());
    await routesUp(node);
    raw2.send("RMSG $G big 100000000\r\n");
    await raw2.waitFor("-ERR 'Maximum Payload Violation'\r\n");
    await raw2.waitClosed();

    const raw3 = await rawPeer(t, node);
    raw3.send(handshake());
    await routesUp(node);
    // A bad size closes without -ERR, as nats-server's argument errors.
    raw3.send("RMSG $G x abc\r\n");
    await raw3.waitClosed();
    assert.ok(!raw3.text().includes("-ERR"));
  });

  it("refuses a client on the route port, wrong credentials, ops before CONNECT and another cluster", async (t) => {
    const node = await startNode(t, {}, { authorization: { user: "r", password: "s3cret" } });
    const client = await rawPeer(t, node);
    client.send('CONNECT {"lang":"nats.js","verbose":false}\r\n');
    await client.waitFor("-ERR 'attempted to connect to route port'\r\n");
    await client.waitClosed();

    const wrong = await rawPeer(t, node);
    wrong.send(handshake(',"user":"r","pass":"nope"'));
    await wrong.waitFor("-ERR 'Authorization Violation'\r\n");
    await wrong.waitClosed();

    const early = await rawPeer(t, node);
    early.send("RS+ $G foo\r\n");
    await early.waitFor("-ERR 'Authorization Violation'\r\n");
    await early.waitClosed();

    const other = await rawPeer(t, node);
    other.send(handshake(',"user":"r","pass":"s3cret"', "other"));
    await other.waitFor(`-ERR 'Rejecting connection, cluster name "other" does not match "test"'\r\n`);
    await other.waitClosed();

    const good = await rawPeer(t, node);
    good.send(handshake(',"user":"r","pass":"s3cret"'));
    await routesUp(node);
    assert.ok(JSON.parse(/^INFO (\{.*\}) \r\n/.exec(good.text())![1]!).auth_required);
  });

  it("survives a route storm and cuts a peer that never finishes its handshake", async (t) => {
    const node = await startNode(t, {}, { authorization: { user: "r", password: "p", timeout: 0.3 } });
    // A peer that connects and drops in a loop, sometimes mid-handshake.
    for (let i = 0; i < 100; i++) {
      const socket = netConnect({ host: "127.0.0.1", port: node.clusterPort });
      socket.on("error", () => undefined);
      await new Promise((resolve) => socket.once("connect", resolve));
      if (i % 2 === 0) socket.write(handshake(',"user":"r","pass":"p"'));
      socket.destroy();
    }
    const silent = await rawPeer(t, node);
    await silent.waitFor("-ERR 'Authentication Timeout'\r\n", 2000);
    await silent.waitClosed();
    await sleep(100);
    assert.equal(node.routes.length, 0);
    // And a proper peer still gets in.
    const good = await rawPeer(t, node);
    good.send(handshake(',"user":"r","pass":"p"'));
    await routesUp(node);
  });

  it("does not keep a route to itself, and stops dialing it", async (t) => {
    const port = await freePort();
    let accepted = 0;
    const node = await startNode(t, {}, { port, routes: [`nats-route://127.0.0.1:${port}`] });
    node.on("route:connect", () => accepted++);
    await sleep(1500);
    assert.equal(node.routes.length, 0);
    assert.equal(accepted, 0);
  });

  it("cuts a route that stops reading, as a slow consumer", async (t) => {
    const node = await startNode(t, { maxPending: 256 * 1024, maxPayload: 64 * 1024 });
    const socket = netConnect({ host: "127.0.0.1", port: node.clusterPort });
    t.after(() => socket.destroy());
    socket.on("error", () => undefined);
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(handshake() + "RS+ $G flood\r\n");
    await routesUp(node);
    // The peer stops reading: what we send piles up.
    socket.pause();
    const slow: string[] = [];
    node.on("slow-consumer", (info) => void slow.push(info.transport));
    // Kernel buffers take a few MB first; bounded at 128 MB in all.
    const payload = "x".repeat(60 * 1024);
    for (let i = 0; i < 2000 && node.routes.length > 0; i++) {
      node.publish("flood", payload);
      if (i % 10 === 0) await sleep(1);
    }
    await eventually(() => node.routes.length === 0, "the route cut", 10_000);
    assert.deepEqual(slow, ["route"]);
  });
});

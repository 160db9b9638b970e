/**
 * The official WebSocket clients (`wsconnect` of @nats-io/nats-core, and nats.ws v1) on the
 * same bus as TCP clients (@nats-io/transport-node) and in-process ones (`server.publish`,
 * `server.subscribe`, `server.request`, `server.connect()`): pub/sub, request/reply, headers,
 * 512 KiB payloads, compression, origin checks, and the raw protocol over `ws`.
 *
 * Node 20 has no global WebSocket: both clients take a `wsFactory`, which we give the `ws` one.
 * nats-core picks transports through one process-wide factory that each `connect` call
 * replaces, so connections are opened one after the other and never redial.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { headers as coreHeaders, wsconnect, type NatsConnection as CoreConnection, type Msg as CoreMsg } from "@nats-io/nats-core";
import { connect as tcpConnect } from "@nats-io/transport-node";
import { connect as natsWsConnect, headers as natsWsHeaders, type ConnectionOptions as NatsWsOptions, type NatsConnection as NatsWsConnection } from "nats.ws";
import { createServer, type Server } from "../../src/index.ts";
import { openWs, sleep } from "./ws-helpers.ts";

/** The `ws` WebSocket in place of the browser's, as both official clients allow. */
function wsFactory(options: WebSocket.ClientOptions = {}) {
  return (url: string): Promise<{ socket: never; encrypted: boolean }> =>
    Promise.resolve({ socket: new WebSocket(url, options) as never, encrypted: false });
}

function coreWs(url: string, name: string, options: WebSocket.ClientOptions = {}): Promise<CoreConnection> {
  return wsconnect({ servers: url, name, reconnect: false, wsFactory: wsFactory(options) });
}

function natsWs(url: string, name: string, options: WebSocket.ClientOptions = {}): Promise<NatsWsConnection> {
  const opts = { servers: url, name, reconnect: false, wsFactory: wsFactory(options) } as NatsWsOptions;
  return natsWsConnect(opts);
}

/** Collects the messages of one subscription of any of the clients. */
function collect(sub: AsyncIterable<{ subject: string; data: Uint8Array }>): { subject: string; data: Uint8Array }[] {
  const got: { subject: string; data: Uint8Array }[] = [];
  void (async () => {
    for await (const m of sub) got.push({ subject: m.subject, data: m.data });
  })();
  return got;
}

async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const dec = new TextDecoder();

describe("WebSocket, TCP and in-process clients on one bus", () => {
  let server: Server;
  let wsUrl: string;
  let core: CoreConnection;
  let nws: NatsWsConnection;
  let tcp: CoreConnection;
  let inproc: CoreConnection;
  const transports: string[] = [];

  before(async () => {
    server = createServer({ port: 0, websocket: { port: 0, noTls: true } });
    server.on("client:connect", (info) => void transports.push(info.transport));
    await server.listen();
    wsUrl = `ws://127.0.0.1:${server.ports.websocket!.port}`;
    core = await coreWs(wsUrl, "core-ws");
    nws = await natsWs(wsUrl, "nats.ws");
    tcp = await tcpConnect({ servers: server.url!, name: "tcp", reconnect: false });
    inproc = await server.connect({ name: "in-process" });
  });

  after(async () => {
    await Promise.all([core?.close(), nws?.close(), tcp?.close(), inproc?.close()]);
    await server?.close();
  });

  it("the clients are connected over the transport they asked for", async () => {
    assert.equal(core.info?.server_id, server.id);
    assert.equal(nws.info?.server_id, server.id);
    assert.equal(server.numClients, 4);
    assert.deepEqual(transports, ["websocket", "websocket", "tcp", "memory"]);
  });

  it("pub/sub: every publisher reaches every kind of subscriber", async () => {
    const subs = {
      core: collect(core.subscribe("mx.>")),
      nws: collect(nws.subscribe("mx.>")),
      tcp: collect(tcp.subscribe("mx.>")),
      inproc: collect(inproc.subscribe("mx.>")),
      direct: [] as { subject: string; data: Uint8Array }[],
    };
    const direct = server.subscribe("mx.>", { callback: (_e, m) => subs.direct.push({ subject: m.subject, data: m.data }) });
    await Promise.all([core.flush(), nws.flush(), tcp.flush(), inproc.flush()]);

    core.publish("mx.core", "from core ws");
    nws.publish("mx.nws", "from nats.ws");
    tcp.publish("mx.tcp", "from tcp");
    inproc.publish("mx.inproc", "from in-process conn");
    server.publish("mx.direct", "from server.publish");
    await Promise.all([core.flush(), nws.flush(), tcp.flush(), inproc.flush()]);

    const expected = ["mx.core", "mx.direct", "mx.inproc", "mx.nws", "mx.tcp"];
    for (const [name, got] of Object.entries(subs)) {
      await until(() => got.length === 5, `${name} to receive 5 messages`);
      assert.deepEqual(got.map((m) => m.subject).sort(), expected, name);
      const byOrigin = Object.fromEntries(got.map((m) => [m.subject, dec.decode(m.data)]));
      assert.equal(byOrigin["mx.tcp"], "from tcp", name);
      assert.equal(byOrigin["mx.nws"], "from nats.ws", name);
    }
    direct.unsubscribe();
  });

  it("request/reply across transports, both ways", async () => {
    const onWs = nws.subscribe("svc.nws", { callback: (_e, m) => m.respond(`nws:${m.string()}`) });
    const onCore = core.subscribe("svc.core", { callback: (_e, m) => void m.respond(`core:${m.string()}`) });
    const onTcp = tcp.subscribe("svc.tcp", { callback: (_e, m) => void m.respond(`tcp:${m.string()}`) });
    const onDirect = server.subscribe("svc.direct", { callback: (_e, m) => m.respond(`direct:${m.string()}`) });
    await Promise.all([nws.flush(), core.flush(), tcp.flush()]);

    assert.equal((await tcp.request("svc.nws", "a", { timeout: 2000 })).string(), "nws:a");
    assert.equal((await tcp.request("svc.core", "b", { timeout: 2000 })).string(), "core:b");
    assert.equal((await core.request("svc.tcp", "c", { timeout: 2000 })).string(), "tcp:c");
    assert.equal((await nws.request("svc.direct", "d", { timeout: 2000 })).string(), "direct:d");
    assert.equal((await server.request("svc.core", "e")).string(), "core:e");
    assert.equal((await inproc.request("svc.nws", "f", { timeout: 2000 })).string(), "nws:f");
    assert.equal((await nws.request("svc.core", "g", { timeout: 2000 })).string(), "core:g");
    // No responders reaches WebSocket clients as a 503 status, as over TCP.
    await assert.rejects(core.request("svc.nobody", "", { timeout: 2000 }), /no responders/i);
    await assert.rejects(nws.request("svc.nobody", "", { timeout: 2000 }), /503|no responders/i);
    for (const s of [onWs, onCore, onTcp, onDirect]) s.unsubscribe();
  });

  it("headers cross between WebSocket, TCP and in-process clients", async () => {
    const atTcp: CoreMsg[] = [];
    const atCore: CoreMsg[] = [];
    const atNws: { value: string | undefined; data: string }[] = [];
    tcp.subscribe("hdr.to-tcp", { callback: (_e, m) => void atTcp.push(m) });
    core.subscribe("hdr.to-core", { callback: (_e, m) => void atCore.push(m) });
    nws.subscribe("hdr.to-nws", { callback: (_e, m) => atNws.push({ value: m.headers?.get("X-From"), data: m.string() }) });
    await Promise.all([tcp.flush(), core.flush(), nws.flush()]);

    const h1 = coreHeaders();
    h1.set("X-From", "core-ws");
    core.publish("hdr.to-tcp", "1", { headers: h1 });
    const h2 = coreHeaders();
    h2.set("X-From", "tcp");
    tcp.publish("hdr.to-nws", "2", { headers: h2 });
    const h3 = natsWsHeaders();
    h3.set("X-From", "nats.ws");
    nws.publish("hdr.to-core", "3", { headers: h3 });
    server.publish("hdr.to-nws", "4", { headers: { "X-From": "direct" } });

    await until(() => atTcp.length === 1 && atCore.length === 1 && atNws.length === 2, "headered messages");
    assert.equal(atTcp[0]!.headers?.get("X-From"), "core-ws");
    assert.equal(atCore[0]!.headers?.get("X-From"), "nats.ws");
    assert.deepEqual(atNws.sort((a, b) => a.data.localeCompare(b.data)), [
      { value: "tcp", data: "2" },
      { value: "direct", data: "4" },
    ]);
  });

  it("a 512 KiB payload crosses WebSocket ↔ TCP ↔ in-process intact", async () => {
    const big = randomBytes(512 * 1024);
    const atTcp = collect(tcp.subscribe("big.tcp"));
    const atCore = collect(core.subscribe("big.core"));
    const atNws = collect(nws.subscribe("big.nws"));
    const atDirect: Uint8Array[] = [];
    server.subscribe("big.direct", { callback: (_e, m) => atDirect.push(m.data.slice()) });
    await Promise.all([tcp.flush(), core.flush(), nws.flush()]);

    core.publish("big.tcp", big); // ws → tcp
    tcp.publish("big.core", big); // tcp → ws
    nws.publish("big.core", big); // ws → ws (nats.ws → nats-core)
    core.publish("big.nws", big); // ws → ws (nats-core → nats.ws)
    nws.publish("big.direct", big); // ws → in-process
    server.publish("big.nws", big); // in-process → ws
    await Promise.all([core.flush(), tcp.flush(), nws.flush()]);

    await until(() => atTcp.length === 1 && atCore.length === 2 && atNws.length === 2 && atDirect.length === 1, "the big messages", 10_000);
    for (const m of [...atTcp, ...atCore, ...atNws]) assert.ok(Buffer.from(m.data).equals(big), `intact on ${m.subject}`);
    assert.ok(Buffer.from(atDirect[0]!).equals(big));
  });

  it("WebSocket clients are counted and reported with transport 'websocket'", async () => {
    const extra = await natsWs(wsUrl, "extra");
    assert.equal(transports.at(-1), "websocket");
    assert.equal(server.numClients, 5);
    await extra.close();
    await until(() => server.numClients === 4, "the extra client to leave");
  });
});

describe("WebSocket listener options through createServer", () => {
  it("compression: the official clients negotiate permessage-deflate and exchange 512 KiB both ways", async () => {
    await using server = createServer({ port: 0, websocket: { port: 0, noTls: true, compression: true } });
    await server.listen();
    const url = `ws://127.0.0.1:${server.ports.websocket!.port}`;
    const probe = await openWs(url, { perMessageDeflate: true });
    assert.equal(probe.extensions, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    probe.ws.close();

    const core = await coreWs(url, "core", { perMessageDeflate: true });
    const nws = await natsWs(url, "nws", { perMessageDeflate: true });
    const tcp = await tcpConnect({ servers: server.url!, reconnect: false });
    const big = Buffer.alloc(512 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = i % 251 < 200 ? 0x61 : i & 0xff; // compressible, not trivial
    const atTcp = collect(tcp.subscribe("z.tcp"));
    const atNws = collect(nws.subscribe("z.nws"));
    await Promise.all([tcp.flush(), nws.flush()]);
    core.publish("z.tcp", big);
    tcp.publish("z.nws", big);
    await until(() => atTcp.length === 1 && atNws.length === 1, "compressed transfers", 10_000);
    assert.ok(Buffer.from(atTcp[0]!.data).equals(big));
    assert.ok(Buffer.from(atNws[0]!.data).equals(big));
    await Promise.all([core.close(), nws.close(), tcp.close()]);
  });

  it("allowedOrigins: a browser from elsewhere gets 403; an allowed one and a non-browser client connect", async () => {
    await using server = createServer({ websocket: { port: 0, noTls: true, allowedOrigins: ["http://app.example.com:8080"] } });
    await server.listen();
    const url = `ws://127.0.0.1:${server.ports.websocket!.port}`;
    await assert.rejects(openWs(url, { origin: "http://evil.example.com" }), { status: 403 });
    await assert.rejects(openWs(url, { origin: "http://app.example.com" }), { status: 403 }); // port 80 ≠ 8080
    const allowed = await openWs(url, { origin: "http://app.example.com:8080" });
    await allowed.waitFor((s) => s.startsWith("INFO "));
    const noOrigin = await coreWs(url, "no origin");
    await noOrigin.close();
    allowed.ws.close();
  });

  it("sameOrigin: only pages served from the listener's own host:port may connect", async () => {
    await using server = createServer({ websocket: { port: 0, noTls: true, sameOrigin: true } });
    await server.listen();
    const port = server.ports.websocket!.port;
    const url = `ws://127.0.0.1:${port}`;
    await assert.rejects(openWs(url, { origin: "http://localhost:3000" }), { status: 403 });
    const same = await openWs(url, { origin: `http://127.0.0.1:${port}` });
    await same.waitFor((s) => s.startsWith("INFO "));
    same.ws.close();
  });

  it("a raw ws client: INFO arrives in a binary frame, PING gets PONG in a binary frame", async () => {
    await using server = createServer({ websocket: { port: 0, noTls: true } });
    await server.listen();
    const ws = await openWs(`ws://127.0.0.1:${server.ports.websocket!.port}/nats`);
    await ws.waitFor((s) => s.endsWith("\r\n"));
    assert.match(ws.text(), /^INFO \{.*\} \r\n$/);
    const infoMessages = ws.messages.length;
    ws.send("CONNECT {\"verbose\":false,\"protocol\":1}\r\nPING\r\n");
    await ws.waitFor((s) => s.endsWith("PONG\r\n"));
    assert.equal(ws.text().slice(ws.text().indexOf("\r\n") + 2), "PONG\r\n");
    assert.ok(ws.messages.slice(infoMessages).every((m) => m.binary));
    // The same over a text frame, as nats-server accepts.
    ws.send("PING\r\n", false);
    await ws.waitFor((s) => s.endsWith("PONG\r\nPONG\r\n"));
    ws.ws.close();
  });

  it("a payload over max_payload gets -ERR and the connection closed, as over TCP", async () => {
    await using server = createServer({ maxPayload: 1024, websocket: { port: 0, noTls: true } });
    await server.listen();
    const ws = await openWs(`ws://127.0.0.1:${server.ports.websocket!.port}`);
    await ws.waitFor((s) => s.startsWith("INFO "));
    ws.send(`PUB big 2048\r\n${"x".repeat(2048)}\r\n`);
    await ws.closed;
    assert.match(ws.text(), /-ERR 'Maximum Payload Violation'\r\n$/);
  });

  it("garbage from a WebSocket client never throws into the host", async () => {
    await using server = createServer({ websocket: { port: 0, noTls: true } });
    await server.listen();
    const url = `ws://127.0.0.1:${server.ports.websocket!.port}`;
    const ws = await openWs(url);
    ws.send(randomBytes(4096));
    await ws.closed;
    // The server is still serving.
    const again = await openWs(url);
    again.send("PING\r\n");
    await again.waitFor((s) => s.endsWith("PONG\r\n"));
    again.ws.close();
  });

  it("WebSocket clients authenticate like every other client", async () => {
    await using server = createServer({ authorization: { user: "alice", password: "s3cret" }, websocket: { port: 0, noTls: true } });
    await server.listen();
    const url = `ws://127.0.0.1:${server.ports.websocket!.port}`;
    const opts = (pass: string) => ({ servers: url, user: "alice", pass, reconnect: false, wsFactory: wsFactory() }) as NatsWsOptions;
    const nc = await natsWsConnect(opts("s3cret"));
    assert.equal(nc.info?.auth_required, true);
    await nc.close();
    await assert.rejects(natsWsConnect(opts("wrong")), /authorization/i);
  });

  it("server.close() closes WebSocket clients and the port", async () => {
    const server = createServer({ websocket: { port: 0, noTls: true } });
    await server.listen();
    const url = `ws://127.0.0.1:${server.ports.websocket!.port}`;
    const nc = await coreWs(url, "closing");
    const closed = nc.closed();
    await server.close();
    await closed;
    await assert.rejects(openWs(url), { code: "ECONNREFUSED" });
  });
});

/**
 * The WebSocket listener on its own, with a stand-in for the server: what reaches the duplex,
 * what leaves it, how connections are refused and closed, and that nothing a client sends
 * throws into the host.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { listenWebSocket, wsMaxMessageSize, type WebSocketClientInfo } from "../../src/transport/websocket.ts";
import type { ResolvedWebSocketOptions } from "../../src/transport/websocket-options.ts";
import { InvalidOptionError } from "../../src/base/errors.ts";
import type { Listener } from "../../src/base/listener.ts";
import { openWs, rawExchange, sleep, upgradeRequest } from "./ws-helpers.ts";

function wsOptions(extra: Partial<ResolvedWebSocketOptions> = {}): ResolvedWebSocketOptions {
  return { port: 0, host: "127.0.0.1", noTls: true, tls: undefined, compression: false, sameOrigin: false, allowedOrigins: [], ...extra };
}

interface Accepted {
  stream: Duplex;
  info: WebSocketClientInfo;
  received: Buffer[];
}

/** A listener whose clients are recorded; `onAccept` can act on each. */
async function start(
  t: TestContext,
  extra: Partial<ResolvedWebSocketOptions> = {},
  onAccept: (client: Accepted) => void = () => {},
  maxPayload?: number,
): Promise<{ listener: Listener; url: string; clients: Accepted[] }> {
  const clients: Accepted[] = [];
  const listener = await listenWebSocket(
    wsOptions(extra),
    (stream, info) => {
      const client: Accepted = { stream, info, received: [] };
      clients.push(client);
      stream.on("data", (d: Buffer) => client.received.push(d));
      stream.on("error", () => {});
      onAccept(client);
    },
    maxPayload === undefined ? {} : { maxPayload },
  );
  t.after(() => {
    for (const c of clients) c.stream.destroy();
    return listener.close();
  });
  return { listener, url: `ws://127.0.0.1:${listener.port}`, clients };
}

async function until(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(5);
  }
}

test("binds a free port on port 0 and reports it", async (t) => {
  const { listener } = await start(t);
  assert.equal(listener.host, "127.0.0.1");
  assert.ok(listener.port > 0);
});

test("without tls, noTls false is refused at listen time, as nats-server refuses it at start", async () => {
  await assert.rejects(listenWebSocket(wsOptions({ noTls: false }), () => {}), (err: unknown) => {
    assert.ok(err instanceof InvalidOptionError);
    assert.equal(err.option, "websocket");
    assert.match(err.message, /websocket requires TLS configuration/);
    return true;
  });
});

test("an allowed origin that is not an absolute http(s) URL is refused at listen time", async () => {
  await assert.rejects(listenWebSocket(wsOptions({ allowedOrigins: ["example.com"] }), () => {}), InvalidOptionError);
});

test("a port in use rejects with the OS error", async (t) => {
  const { listener } = await start(t);
  await assert.rejects(listenWebSocket(wsOptions({ port: listener.port }), () => {}), { code: "EADDRINUSE" });
});

test("text and binary frames both reach the stream as bytes, unchecked UTF-8 included; replies are binary", async (t) => {
  const { url, clients } = await start(t, {}, (c) => c.stream.on("data", (d: Buffer) => c.stream.write(d)));
  const ws = await openWs(`${url}/any/path?x=1`);
  t.after(() => ws.ws.terminate());
  ws.send("PING\r\n", false);
  ws.send(Buffer.from([0x50, 0x55, 0x42, 0xff, 0xfe, 0x0d, 0x0a]), false); // not valid UTF-8, in a text frame
  ws.send(Buffer.from("SUB a 1\r\n"), true);
  await ws.waitFor((s) => s.includes("SUB a 1\r\n"));
  assert.equal(Buffer.concat(clients[0]!.received).toString("latin1"), "PING\r\nPUB\xff\xfe\r\nSUB a 1\r\n");
  assert.ok(ws.messages.every((m) => m.binary), "every server frame is binary");
  assert.equal(clients[0]!.info.remoteAddress, "127.0.0.1");
  assert.equal(typeof clients[0]!.info.remotePort, "number");
});

test("what the server writes in one corked turn leaves as one binary message", async (t) => {
  const { url, clients } = await start(t);
  const ws = await openWs(url);
  t.after(() => ws.ws.terminate());
  await until(() => clients.length === 1);
  const { stream } = clients[0]!;
  stream.cork();
  stream.write(Buffer.from("MSG a 1 1\r\nx\r\n"));
  stream.write(Buffer.from("MSG a 1 1\r\ny\r\n"));
  stream.write(Buffer.from("PONG\r\n"));
  stream.uncork();
  await ws.waitFor((s) => s.endsWith("PONG\r\n"));
  assert.equal(ws.messages.length, 1);
  assert.equal(ws.text(), "MSG a 1 1\r\nx\r\nMSG a 1 1\r\ny\r\nPONG\r\n");
});

test("a close reason given before end() becomes nats-server's close status, after the pending bytes", async (t) => {
  const { url, clients } = await start(t);
  const ws = await openWs(url);
  await until(() => clients.length === 1);
  const { stream, info } = clients[0]!;
  info.onClosing("Maximum Message Payload Exceeded");
  stream.write("-ERR 'Maximum Payload Violation'\r\n");
  stream.end();
  const closed = await ws.closed;
  assert.equal(ws.text(), "-ERR 'Maximum Payload Violation'\r\n");
  assert.deepEqual(closed, { code: 1009, reason: "Maximum Message Payload Exceeded" });
});

test("server shutdown closes with 1001, a client close with 1000", async (t) => {
  const { url, clients } = await start(t);
  const a = await openWs(url);
  await until(() => clients.length === 1);
  clients[0]!.info.onClosing("Server Shutdown");
  clients[0]!.stream.end();
  assert.deepEqual(await a.closed, { code: 1001, reason: "Server Shutdown" });

  // The client closes: the stream ends, and the client's close frame is echoed.
  const b = await openWs(url);
  await until(() => clients.length === 2);
  const ended = new Promise<void>((resolve) => clients[1]!.stream.on("end", resolve));
  b.ws.close(1000, "bye");
  await ended;
  clients[1]!.info.onClosing("Client Closed");
  clients[1]!.stream.end();
  assert.equal((await b.closed).code, 1000);
});

test("without a reason, end() still closes the WebSocket cleanly", async (t) => {
  const { url, clients } = await start(t);
  const ws = await openWs(url);
  await until(() => clients.length === 1);
  clients[0]!.stream.end("bye\r\n");
  const closed = await ws.closed;
  assert.equal(ws.text(), "bye\r\n");
  assert.equal(closed.code, 1005);
});

test("refused upgrades get nats-server's HTTP status and body", async (t) => {
  const { listener, clients } = await start(t, { allowedOrigins: ["http://app.example.com:8080"] });
  const port = listener.port;
  const cases: [string, string, number, string][] = [
    ["POST", upgradeRequest(port, { method: "POST" }), 405, "Method Not Allowed\n"],
    ["plain GET", `GET / HTTP/1.1\r\nHost: x\r\n\r\n`, 400, "Bad Request\n"],
    ["bad version", upgradeRequest(port, { headers: { "Sec-WebSocket-Version": "12" } }), 400, "Bad Request\n"],
    ["bad key", upgradeRequest(port, { headers: { "Sec-WebSocket-Key": "abc" } }), 400, "Bad Request\n"],
    ["mqtt", upgradeRequest(port, { path: "/mqtt" }), 404, "Not Found\n"],
    ["origin", upgradeRequest(port, { headers: { Origin: "http://evil.example.com" } }), 403, "Forbidden\n"],
  ];
  for (const [name, request, status, body] of cases) {
    const res = await rawExchange(port, request);
    assert.equal(res.status, status, name);
    assert.equal(res.body, body, name);
    assert.equal(res.headers["content-type"], "text/plain; charset=utf-8", name);
    assert.equal(res.headers["sec-websocket-version"], "13", name);
  }
  const ok = await rawExchange(port, upgradeRequest(port, { headers: { Origin: "http://app.example.com:8080" } }));
  assert.equal(ok.status, 101);
  assert.equal(ok.headers["sec-websocket-protocol"], undefined);
  await until(() => clients.length === 1);
});

test("a subprotocol request is not answered, as nats-server", async (t) => {
  const { listener } = await start(t);
  const res = await rawExchange(listener.port, upgradeRequest(listener.port, { headers: { "Sec-WebSocket-Protocol": "nats, mqtt" } }));
  assert.equal(res.status, 101);
  assert.equal(res.headers["sec-websocket-protocol"], undefined);
});

test("a /leafnode upgrade completes, then the connection is dropped (no leaf node support)", async (t) => {
  const { listener, clients } = await start(t);
  const res = await rawExchange(listener.port, upgradeRequest(listener.port, { path: "/leafnode" }), 2000);
  assert.equal(res.status, 101);
  assert.ok(res.closedByServer);
  assert.equal(clients.length, 0);
});

test("data sent before the handshake completes gets the connection dropped", async (t) => {
  const { listener, clients } = await start(t);
  const res = await rawExchange(listener.port, upgradeRequest(listener.port) + "\x81\x80abcd", 2000);
  assert.equal(res.text, "");
  assert.ok(res.closedByServer);
  assert.equal(clients.length, 0);
});

test("a message over the bound is refused with 1009 and the stream ends; the host does not throw", async (t) => {
  const maxPayload = 1024;
  assert.equal(wsMaxMessageSize(maxPayload), 8192);
  assert.equal(wsMaxMessageSize(1 << 30), 64 * 1024 * 1024);
  const { url, clients } = await start(t, {}, undefined, maxPayload);
  const ws = await openWs(url);
  await until(() => clients.length === 1);
  const closedStream = new Promise<void>((resolve) => clients[0]!.stream.on("close", resolve));
  ws.send(Buffer.alloc(8193, 0x41));
  assert.equal((await ws.closed).code, 1009);
  await closedStream;
  // A message exactly at the bound is fine.
  const ok = await openWs(url);
  t.after(() => ok.ws.terminate());
  ok.send(Buffer.alloc(8192, 0x41));
  await until(() => clients.length === 2 && Buffer.concat(clients[1]!.received).length === 8192);
});

test("protocol garbage (an unmasked frame) closes the connection with 1002 and does not throw", async (t) => {
  const { listener, clients } = await start(t);
  const socket = connect(listener.port, "127.0.0.1");
  const chunks: Buffer[] = [];
  socket.on("data", (d) => chunks.push(d));
  socket.on("error", () => {});
  await new Promise((r) => socket.once("connect", r));
  socket.write(upgradeRequest(listener.port));
  await until(() => Buffer.concat(chunks).includes("\r\n\r\n"));
  const closed = new Promise((r) => socket.once("close", r));
  socket.write(Buffer.from([0x82, 0x03, 0x61, 0x62, 0x63])); // binary "abc", mask bit missing
  await closed;
  const reply = Buffer.concat(chunks);
  const frame = reply.subarray(reply.indexOf("\r\n\r\n") + 4);
  assert.equal(frame[0], 0x88, "a close frame");
  assert.equal(frame.readUInt16BE(2), 1002);
  await until(() => clients[0]!.stream.destroyed);
});

test("compression: permessage-deflate is negotiated only when enabled, and round-trips", async (t) => {
  const plain = await start(t);
  const offPeer = await openWs(plain.url, { perMessageDeflate: true });
  t.after(() => offPeer.ws.terminate());
  assert.equal(offPeer.extensions, undefined);

  const { url, clients } = await start(t, { compression: true }, (c) => c.stream.on("data", (d: Buffer) => c.stream.write(d)));
  const ws = await openWs(url, { perMessageDeflate: true });
  t.after(() => ws.ws.terminate());
  assert.equal(ws.extensions, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  const big = `PUB a ${50_000}\r\n${"x".repeat(50_000)}\r\n`;
  ws.send(big);
  await ws.waitFor((s) => s.length === big.length);
  assert.equal(ws.text(), big);
  assert.equal(Buffer.concat(clients[0]!.received).toString(), big);
});

test("close() stops accepting at once, keeps open WebSockets, and resolves when they have ended", async (t) => {
  const { listener, url, clients } = await start(t);
  const ws = await openWs(url);
  await until(() => clients.length === 1);
  let closed = false;
  const closing = listener.close().then(() => {
    closed = true;
  });
  await assert.rejects(openWs(url), { code: "ECONNREFUSED" });
  // The existing client still works (lame duck mode relies on it).
  clients[0]!.stream.write("PONG\r\n");
  await ws.waitFor((s) => s === "PONG\r\n");
  assert.equal(closed, false);
  clients[0]!.info.onClosing("Server Shutdown");
  clients[0]!.stream.end();
  assert.equal((await ws.closed).code, 1001);
  await closing;
  assert.equal(closed, true);
  await listener.close(); // idempotent
});

test("a handler that throws does not take the host down", async (t) => {
  const listener = await listenWebSocket(wsOptions(), () => {
    throw new Error("boom");
  });
  t.after(() => listener.close());
  const ws = await openWs(`ws://127.0.0.1:${listener.port}`);
  assert.equal((await ws.closed).code, 1006);
});

test("malformed HTTP gets a 400 and the listener keeps serving", async (t) => {
  const { listener, url } = await start(t);
  const res = await rawExchange(listener.port, "NOT HTTP AT ALL\r\n\r\n");
  assert.equal(res.status, 400);
  const ws = await openWs(url);
  ws.ws.terminate();
});

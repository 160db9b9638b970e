/**
 * createServer(), listen(), close(), events and the handle() seam, as a host app uses them.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect as netConnect } from "node:net";
import { duplexPair } from "node:stream";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import {
  CloseReason,
  createServer,
  ErrorCode,
  InvalidOptionError,
  SERVER_VERSION,
  ServerClosedError,
  type ClientEventInfo,
} from "../../src/index.ts";
import { eventually } from "../helpers/broker.ts";

describe("server lifecycle", () => {
  it("listens on a free port with port 0 and reports port and url", async () => {
    const server = createServer({ port: 0 });
    assert.equal(server.port, undefined);
    assert.equal(server.url, undefined);
    const listening = once(server, "listening");
    await server.listen();
    const [address] = (await listening) as [{ host: string; port: number }];
    assert.ok(server.port! > 0);
    assert.equal(address.port, server.port);
    assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
    const nc = await connect({ servers: server.url! });
    assert.equal(nc.info?.version, SERVER_VERSION);
    assert.equal(nc.info?.server_id, server.id);
    assert.equal(nc.info?.headers, true);
    assert.equal(nc.info?.max_payload, 1024 * 1024);
    await nc.close();
    await server.close();
  });

  it("opens no port when none is configured", async () => {
    const server = createServer();
    await server.listen();
    assert.equal(server.port, undefined);
    await server.close();
  });

  it("close() ends every connection and releases the port, and can be called twice", async () => {
    const server = createServer({ port: 0 });
    await server.listen();
    const port = server.port!;
    const nc = await connect({ servers: server.url!, reconnect: false });
    const closed = nc.closed();
    const reasons: string[] = [];
    server.on("client:close", (_c, reason) => reasons.push(reason));
    await Promise.all([server.close(), server.close()]);
    await closed;
    assert.deepEqual(reasons, [CloseReason.ServerShutdown]);
    assert.equal(server.numClients, 0);
    // The port is free again: a new server can bind it.
    const again = createServer({ port });
    await again.listen();
    assert.equal(again.port, port);
    await again.close();
    await assert.rejects(server.listen(), ServerClosedError);
  });

  it("supports await using", async () => {
    let port = 0;
    {
      await using server = createServer({ port: 0 });
      await server.listen();
      port = server.port!;
    }
    // Disposed: connecting fails.
    const socket = netConnect(port, "127.0.0.1");
    const [err] = (await once(socket, "error")) as [NodeJS.ErrnoException];
    assert.equal(err.code, "ECONNREFUSED");
  });

  it("emits client:connect and client:close with the connection's details", async () => {
    const server = createServer({ port: 0 });
    await server.listen();
    const connects: ClientEventInfo[] = [];
    const closes: [ClientEventInfo, string][] = [];
    server.on("client:connect", (c) => connects.push(c));
    server.on("client:close", (c, reason) => closes.push([c, reason]));
    const nc = await connect({ servers: server.url!, name: "svc-a" });
    await nc.close();
    await eventually(() => closes.length === 1, "client:close");
    assert.equal(connects.length, 1);
    assert.equal(connects[0]!.transport, "tcp");
    assert.equal(connects[0]!.remoteAddress, "127.0.0.1");
    assert.equal(closes[0]![0].cid, connects[0]!.cid);
    assert.equal(closes[0]![0].name, "svc-a");
    assert.equal(closes[0]![1], CloseReason.ClientClosed);
    await server.close();
  });

  it("rejects listen() when the port is taken, with the error from the OS", async () => {
    const first = createServer({ port: 0 });
    await first.listen();
    const second = createServer({ port: first.port! });
    await assert.rejects(second.listen(), (err: NodeJS.ErrnoException) => err.code === "EADDRINUSE");
    await second.close();
    await first.close();
  });

  it("validates options at createServer()", () => {
    for (const bad of [{ port: -1 }, { port: 70000 }, { maxPayload: 0 }, { maxPayload: 1.5 }, { pingMax: -1 }, { host: "" }]) {
      assert.throws(
        () => createServer(bad),
        (err: unknown) => err instanceof InvalidOptionError && err.code === ErrorCode.InvalidOption,
        JSON.stringify(bad),
      );
    }
  });

  it("serves any duplex stream through handle(), on the same bus as TCP clients", async () => {
    const server = createServer({ port: 0 });
    await server.listen();
    const [clientEnd, serverEnd] = duplexPair();
    server.handle(serverEnd, { transport: "memory" });
    const received: Buffer[] = [];
    clientEnd.on("data", (b: Buffer) => received.push(b));
    clientEnd.write('CONNECT {"verbose":false}\r\nSUB greet 7\r\nPING\r\n');
    await eventually(() => Buffer.concat(received).toString().includes("PONG\r\n"), "PONG over the pipe");
    const info = Buffer.concat(received).toString();
    assert.match(info, /^INFO \{"server_id":"N[A-Z2-7]{55}",.*"client_id":\d+\} \r\n/);
    assert.doesNotMatch(info, /client_ip/, "a pipe has no address to report");
    const nc = await connect({ servers: server.url! });
    nc.publish("greet", "hello from tcp");
    await nc.flush();
    await eventually(() => Buffer.concat(received).toString().includes("MSG greet 7 14\r\nhello from tcp\r\n"), "MSG over the pipe");
    await nc.close();
    await server.close();
  });

  it("logs through an injected logger, silent by default", async () => {
    const lines: string[] = [];
    const log = (msg: string): void => void lines.push(msg);
    const server = createServer({ port: 0, logger: { error: log, warn: log, info: log, debug: log, trace: log } });
    await server.listen();
    await server.close();
    assert.ok(lines.some((l) => l.startsWith("Listening for client connections on 127.0.0.1:")));
  });
});

describe("protocol tracing", () => {
  it("with trace on, logs every op in and out as nats-server -V does, secrets redacted", async () => {
    const lines: string[] = [];
    const noop = (): void => {};
    const server = createServer({ trace: true, logger: { error: noop, warn: noop, info: noop, debug: noop, trace: (m) => void lines.push(m) } });
    const pipe = server.inProcessConn();
    let text = "";
    pipe.on("data", (b: Buffer) => (text += b.toString()));
    pipe.write('CONNECT {"verbose":false,"user":"u","pass":"hunter2"}\r\nSUB a 1\r\nPUB a 2\r\nhi\r\nPING\r\n');
    await eventually(() => text.includes("PONG"), "PONG");
    await server.close();
    const ops = lines.map((l) => l.replace(/^memory - cid:\d+ - /, ""));
    assert.deepEqual(ops, [
      '<<- [CONNECT {"verbose":false,"user":"u","pass":"[REDACTED]"}]',
      "<<- [SUB a 1]",
      "<<- [PUB a 2]",
      "->> [MSG a 1 2]",
      "<<- [PING]",
      "->> [PONG]",
    ]);
    assert.ok(!lines.join("\n").includes("hunter2"));
  });
});

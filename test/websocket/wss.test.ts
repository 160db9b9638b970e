/**
 * The WebSocket listener over TLS (`websocket { tls { } }`, wss://), as nats-server serves it:
 * the official WebSocket clients (nats-core's `wsconnect`, nats.ws) connect with the test CA,
 * INFO says `tls_required` and `tls_available` (client.go generateClientInfoJSON), mutual TLS
 * with `verify`, the origin check with the https scheme, and what a plain or silent peer on
 * the TLS port gets. Bad TLS options are refused at createServer(), never thrown later; the
 * same configuration is compared with Debian's nats-server 2.9.10.
 *
 * Node 20 has no global WebSocket: both clients take a `wsFactory`, given the `ws` one with
 * the test CA (a browser would trust it through its own store).
 */
import { after, before, describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import WebSocket from "ws";
import { wsconnect, type NatsConnection as CoreConnection } from "@nats-io/nats-core";
import { connect as natsWsConnect, type ConnectionOptions as NatsWsOptions, type NatsConnection as NatsWsConnection } from "nats.ws";
import { createServer, InvalidOptionError, type Server, type ServerOptions } from "../../src/index.ts";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { openWs, upgradeRequest } from "./ws-helpers.ts";

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

function wsFactory(options: WebSocket.ClientOptions) {
  return (url: string): Promise<{ socket: never; encrypted: boolean }> =>
    Promise.resolve({ socket: new WebSocket(url, options) as never, encrypted: url.startsWith("wss://") });
}

async function wssServer(t: TestContext, tls: NonNullable<ServerOptions["websocket"]>["tls"] = {}, extra: Partial<ServerOptions> = {}): Promise<{ server: Server; url: string; port: number }> {
  const { websocket, ...rest } = extra;
  const server = createServer({
    host: "127.0.0.1",
    port: 0,
    websocket: { port: 0, ...websocket, tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, ...tls } },
    ...rest,
  });
  await server.listen();
  t.after(() => server.close());
  const port = server.ports.websocket!.port;
  return { server, url: `wss://127.0.0.1:${port}`, port };
}

function coreWss(url: string, options: WebSocket.ClientOptions = { ca: certs.ca }): Promise<CoreConnection> {
  return wsconnect({ servers: url, reconnect: false, wsFactory: wsFactory(options) });
}

function natsWss(url: string, options: WebSocket.ClientOptions = { ca: certs.ca }): Promise<NatsWsConnection> {
  return natsWsConnect({ servers: url, reconnect: false, wsFactory: wsFactory(options) } as NatsWsOptions);
}

function encrypted(nc: unknown): boolean {
  return (nc as { protocol: { transport: { isEncrypted(): boolean } } }).protocol.transport.isEncrypted();
}

/** Resolves with what a raw TCP peer received before the server closed it (or the wait ran out). */
function rawPeer(port: number, send: string | undefined, waitMs: number): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = netConnect(port, "127.0.0.1", () => {
      if (send !== undefined) socket.write(send);
    });
    let text = "";
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on("data", (d) => (text += d.toString("latin1")));
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
  });
}

describe("wss: the WebSocket listener over TLS", () => {
  it("nats-core's wsconnect and nats.ws connect over wss, on the bus with TCP clients", async (t) => {
    const { server, url } = await wssServer(t);
    const core = await coreWss(url);
    const nws = await natsWss(url);
    t.after(() => Promise.all([core.close(), nws.close()]));
    assert.equal(encrypted(core), true);
    assert.equal(encrypted(nws), true);
    const sub = nws.subscribe("wss.x", { max: 2 });
    await nws.flush();
    core.publish("wss.x", "from wsconnect");
    server.publish("wss.x", "from the host");
    const got: string[] = [];
    for await (const m of sub) got.push(new TextDecoder().decode(m.data));
    assert.deepEqual(got.sort(), ["from the host", "from wsconnect"]);
    assert.equal(server.numClients, 2);
  });

  it("INFO says tls_required and tls_available, with the WebSocket listener's host and port", async (t) => {
    const { port, url } = await wssServer(t);
    const probe = await openWs(url, { ca: certs.ca });
    t.after(() => probe.ws.terminate());
    await new Promise<void>((resolve) => {
      const check = (): void => (probe.text().includes("\r\n") ? resolve() : void setTimeout(check, 5));
      check();
    });
    const line = probe.text().slice(0, probe.text().indexOf("\r\n"));
    assert.match(line, /"headers":true,"tls_required":true,"tls_available":true,"max_payload":/);
    const info = JSON.parse(line.slice(5)) as { host: string; port: number };
    assert.deepEqual([info.host, info.port], ["127.0.0.1", port]);
  });

  it("TCP clients keep their own INFO: no TLS flags when only the WebSocket listener has TLS", async (t) => {
    const { server } = await wssServer(t);
    const text = await rawPeer(server.port!, undefined, 300);
    assert.match(text.text, /^INFO /);
    assert.doesNotMatch(text.text, /tls_/);
  });

  it("verify: a client without a certificate is refused, one with a certificate the CA signed is served", async (t) => {
    const { url } = await wssServer(t, { caFile: certs.caFile, verify: true });
    await assert.rejects(coreWss(url));
    const nc = await coreWss(url, { ca: certs.ca, cert: readFileSync(certs.clientCertFile), key: readFileSync(certs.clientKeyFile) });
    t.after(() => nc.close());
    await nc.flush();
  });

  it("a client that does not trust the certificate cannot connect", async (t) => {
    const { url } = await wssServer(t);
    // The client reports any failed dial as "connection refused".
    await assert.rejects(coreWss(url, {}));
  });

  it("plain ws:// and plain HTTP on the TLS port get no answer and are closed; the server stays up", async (t) => {
    const { port, url } = await wssServer(t, { timeout: 300 });
    await assert.rejects(openWs(`ws://127.0.0.1:${port}`));
    const http = await rawPeer(port, upgradeRequest(port), 3000);
    assert.equal(http.closed, true);
    assert.doesNotMatch(http.text, /HTTP\/1\.1 101/);
    const nc = await coreWss(url);
    t.after(() => nc.close());
    await nc.flush();
  });

  it("a peer that never starts the handshake is cut after tls.timeout", async (t) => {
    const { port } = await wssServer(t, { timeout: 300 });
    const silent = await rawPeer(port, undefined, 5000);
    assert.equal(silent.closed, true);
    assert.ok(silent.ms < 3000, `closed after ${silent.ms} ms`);
  });

  it("close() does not wait for a peer still in its TLS handshake", async () => {
    const server = createServer({
      host: "127.0.0.1",
      websocket: { port: 0, tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, timeout: 5000 } },
    });
    await server.listen();
    const url = `wss://127.0.0.1:${server.ports.websocket!.port}`;
    const nc = await coreWss(url);
    const silent = netConnect(server.ports.websocket!.port, "127.0.0.1");
    silent.resume();
    silent.on("error", () => {});
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await server.close();
    silent.destroy();
    assert.ok(Date.now() - started < 1000, `close() took ${Date.now() - started} ms`);
    await nc.closed();
  });

  it("same_origin compares with the https scheme on a TLS listener (websocket.go checkOrigin)", async (t) => {
    const { port, url } = await wssServer(t, {}, { websocket: { port: 0, sameOrigin: true } });
    const ok = await openWs(url, { ca: certs.ca, headers: { Origin: `https://127.0.0.1:${port}` } });
    ok.ws.terminate();
    await assert.rejects(openWs(url, { ca: certs.ca, headers: { Origin: `http://127.0.0.1:${port}` } }), /HTTP 403/);
  });

  it("the monitoring /varz shows the listener, and the log says wss://", async (t) => {
    const lines: string[] = [];
    const logger = { info: (m: string) => void lines.push(m), warn: (m: string) => void lines.push(m), error: () => {}, debug: () => {}, trace: () => {} };
    const { server, port } = await wssServer(t, {}, { logger: logger as never });
    assert.ok(lines.includes(`Listening for websocket clients on wss://127.0.0.1:${port}`), lines.join("\n"));
    assert.ok(!lines.some((l) => l.includes("DO NOT USE IN PRODUCTION")));
    assert.equal(server.varz().websocket.port, port);
    assert.equal(server.varz().websocket.no_tls, undefined);
  });
});

describe("wss options: refused at createServer(), never thrown later", () => {
  const refused = (options: ServerOptions, option: RegExp, text: RegExp): void => {
    assert.throws(
      () => createServer(options),
      (err: unknown) => {
        assert.ok(err instanceof InvalidOptionError, String(err));
        assert.match(err.option, option);
        assert.match(err.message, text);
        return true;
      },
    );
  };

  it("no tls and no noTls: nats-server's 'websocket requires TLS configuration'", () => {
    refused({ websocket: { port: 0 } }, /^websocket$/, /websocket requires TLS configuration/);
  });

  it("a missing key file, a missing key, a key that is not the certificate's, verify without a CA", () => {
    refused({ websocket: { port: 0, tls: { certFile: certs.serverCertFile, keyFile: `${certs.dir}/missing.key` } } }, /^websocket\.tls\.keyFile$/, /cannot read .*missing\.key/);
    refused({ websocket: { port: 0, tls: { certFile: certs.serverCertFile } } }, /^websocket\.tls$/, /needs a certificate and its key/);
    refused({ websocket: { port: 0, tls: { certFile: certs.serverCertFile, keyFile: certs.clientKeyFile } } }, /^websocket\.tls$/, /certificate or key unusable/);
    refused({ websocket: { port: 0, tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, verify: true } } }, /^websocket\.tls$/, /verify needs the CA/);
  });

  it("verifyAndMap is refused rather than ignored", () => {
    refused(
      { websocket: { port: 0, tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile, verifyAndMap: true } } },
      /^websocket\.tls\.verifyAndMap$/,
      /not supported yet/,
    );
  });

  it("tls wins over noTls, as in nats-server", async (t) => {
    const { url } = await wssServer(t, {}, { websocket: { port: 0, noTls: true } });
    const nc = await coreWss(url);
    t.after(() => nc.close());
    assert.equal(encrypted(nc), true);
  });
});

describe("wss against nats-server 2.9.10", () => {
  it("the same websocket { tls { } } block: both serve the official client over wss, both refuse plain ws://", async (t) => {
    if (!hasNatsServer()) {
      assert.notEqual(process.env["CI"], "true", "nats-server is not installed");
      t.skip("nats-server not installed");
      return;
    }
    const block = `websocket {\n  host: 127.0.0.1\n  port: -1\n  tls {\n    cert_file: "${certs.serverCertFile}"\n    key_file: "${certs.serverKeyFile}"\n  }\n}\n`;
    const reference = await startNatsServer([], { config: block });
    t.after(() => reference.stop());
    const m = /Listening for websocket clients on wss:\/\/127\.0\.0\.1:(\d+)/.exec(reference.log());
    assert.ok(m !== null, reference.log());
    const ours = await wssServer(t);
    for (const port of [Number(m[1]), ours.port]) {
      const nc = await natsWss(`wss://127.0.0.1:${port}`);
      assert.equal(encrypted(nc), true);
      const sub = nc.subscribe("d", { max: 1 });
      nc.publish("d", "x");
      for await (const msg of sub) assert.equal(msg.subject, "d");
      await nc.close();
      await assert.rejects(openWs(`ws://127.0.0.1:${port}`), `plain ws:// on ${port}`);
    }
  });
});

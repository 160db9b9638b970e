/**
 * nats-server's `allow_non_tls`: with a `tls` block, clients that do not upgrade are accepted
 * too. INFO says `tls_available` instead of `tls_required`, and each client's first byte decides
 * (server.go createClient: a TLS handshake record, 0x16, or plain protocol). Driven through the
 * official client (nats.js's own test "tls - available connects with or without"), raw sockets
 * and raw node:tls, and compared with Debian's nats-server 2.9.10.
 */
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { after, before, describe, it, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createServer, type ServerOptions } from "../../src/index.ts";
import { startBroker } from "../helpers/broker.ts";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { RawClient } from "../helpers/raw-client.ts";

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

function optionalTlsServer(t: TestContext, extra: Partial<ServerOptions> = {}) {
  const { tls, ...rest } = extra;
  return startBroker(t, {
    allowNonTls: true,
    tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile, ...tls },
    ...rest,
  });
}

/** The INFO line a raw client reads first, parsed, with its raw text. */
async function firstInfo(port: number): Promise<{ raw: RawClient; text: string; info: Record<string, unknown> }> {
  const raw = await RawClient.connect(port);
  await raw.waitFor("\r\n");
  const text = raw.text().slice(0, raw.text().indexOf("\r\n"));
  return { raw, text, info: JSON.parse(text.slice(5)) as Record<string, unknown> };
}

/** Opens TLS on a socket that has read INFO in plain text, as a client upgrading would. */
function upgradeRaw(port: number, ca: string): Promise<{ secure: TLSSocket; text: () => string }> {
  return new Promise((resolve, reject) => {
    const plain = netConnect(port, "127.0.0.1");
    let info = "";
    plain.on("data", function onInfo(chunk: Buffer) {
      info += chunk.toString();
      if (!info.includes("\r\n")) return;
      plain.off("data", onInfo);
      const secure = tlsConnect({ socket: plain, ca, servername: "localhost" }, () => {
        let received = "";
        secure.on("data", (d: Buffer) => (received += d.toString()));
        resolve({ secure, text: () => received });
      });
      secure.once("error", reject);
    });
    plain.once("error", reject);
  });
}

async function until(predicate: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("allow_non_tls", () => {
  it("tls - available connects with or without (nats.js's test)", async (t) => {
    const server = await optionalTlsServer(t);
    // The client upgrades when TLS is available and it was not told `tls: null`: here it does
    // not trust the test CA, so the upgrade was attempted and fails.
    await assert.rejects(connect({ servers: server.url, reconnect: false }), /unable to verify the first certificate/);
    const conns: NatsConnection[] = await Promise.all([
      connect({ servers: server.url, reconnect: false, tls: { caFile: certs.caFile } }),
      connect({ servers: server.url, reconnect: false, tls: null }),
    ]);
    t.after(() => Promise.all(conns.map((nc) => nc.close())));
    await Promise.all(conns.map((nc) => nc.flush()));
    const [secure, plain] = conns as [NatsConnection, NatsConnection];
    const encrypted = (nc: NatsConnection): boolean =>
      (nc as unknown as { protocol: { transport: { isEncrypted(): boolean } } }).protocol.transport.isEncrypted();
    assert.equal(encrypted(secure), true);
    assert.equal(encrypted(plain), false);
    // Both on one bus.
    const sub = plain.subscribe("mixed", { max: 1 });
    await plain.flush();
    secure.publish("mixed", "from the TLS client");
    for await (const m of sub) assert.equal(m.string(), "from the TLS client");
  });

  it("INFO says tls_available, not tls_required, in nats-server's field order", async (t) => {
    const server = await optionalTlsServer(t);
    const { raw, text, info } = await firstInfo(server.port);
    t.after(() => raw.destroy());
    assert.equal(info["tls_required"], undefined);
    assert.equal(info["tls_available"], true);
    assert.match(text, /"headers":true,"tls_available":true,"max_payload":/);
    // /varz reports INFO's tls_required, which allow_non_tls clears (monitor.go).
    assert.equal(server.varz().tls_required, undefined);
  });

  it("with verify: tls_verify, then tls_available", async (t) => {
    const server = await optionalTlsServer(t, { tls: { verify: true } });
    const { raw, text } = await firstInfo(server.port);
    t.after(() => raw.destroy());
    assert.match(text, /"headers":true,"tls_verify":true,"tls_available":true,"max_payload":/);
  });

  it("a plain client speaks the protocol at once: no wait for a TLS timeout", async (t) => {
    const server = await optionalTlsServer(t, { tls: { timeout: 5000 } });
    const { raw } = await firstInfo(server.port);
    t.after(() => raw.destroy());
    const started = Date.now();
    raw.send("CONNECT {\"verbose\":false}\r\nPING\r\n");
    await raw.waitFor("PONG\r\n", 2000);
    assert.ok(Date.now() - started < 1000);
    assert.equal(server.numClients, 1);
  });

  it("a plain client sending one byte at a time is read whole", async (t) => {
    const server = await optionalTlsServer(t);
    const { raw } = await firstInfo(server.port);
    t.after(() => raw.destroy());
    await raw.sendBytewise("SUB a 1\r\nPUB a 2\r\nhi\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    assert.match(raw.text(), /MSG a 1 2\r\nhi\r\n/);
  });

  it("a raw node:tls client upgrades after the plain INFO and is served over TLS", async (t) => {
    const server = await optionalTlsServer(t);
    const { secure, text } = await upgradeRaw(server.port, certs.ca);
    t.after(() => void secure.destroy());
    secure.write("CONNECT {\"verbose\":false}\r\nPING\r\n");
    await until(() => text().includes("PONG\r\n"), "PONG over TLS");
    assert.equal(text(), "PONG\r\n", "no second INFO after the upgrade");
    assert.equal(server.numClients, 1);
  });

  it("a client silent past the TLS timeout is taken as plain, then held to the auth timer", async (t) => {
    const server = await optionalTlsServer(t, { tls: { timeout: 200 }, authorization: { token: "s3cret", timeout: 400 } });
    const { raw } = await firstInfo(server.port);
    t.after(() => raw.destroy());
    await new Promise((r) => setTimeout(r, 300));
    await raw.waitClosed(3000);
    assert.match(raw.text(), /-ERR 'Authentication Timeout'\r\n$/);
  });

  it("a client that hangs up before its first byte leaves nothing behind", async (t) => {
    const server = await optionalTlsServer(t);
    const { raw } = await firstInfo(server.port);
    raw.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.numClients, 0);
    // The server still serves the next client.
    const nc = await connect({ servers: server.url, reconnect: false, tls: null });
    t.after(() => nc.close());
    await nc.flush();
  });

  it("a broken handshake after a 0x16 byte closes that client only", async (t) => {
    const server = await optionalTlsServer(t);
    const { raw } = await firstInfo(server.port);
    t.after(() => raw.destroy());
    raw.send(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]));
    await raw.waitClosed(3000);
    assert.equal(server.numClients, 0);
  });

  it("handshake_first overrides it: TLS before INFO, which says both", async (t) => {
    const server = await optionalTlsServer(t, { tls: { handshakeFirst: true } });
    const nc = await connect({ servers: server.url, reconnect: false, tls: { caFile: certs.caFile, handshakeFirst: true } });
    t.after(() => nc.close());
    assert.equal(nc.info?.tls_required, true);
    assert.equal(nc.info?.tls_available, true);
  });

  it("without tls it changes nothing", async (t) => {
    const server = await startBroker(t, { allowNonTls: true });
    const { raw, info } = await firstInfo(server.port);
    t.after(() => raw.destroy());
    assert.equal(info["tls_available"], undefined);
    assert.equal(info["tls_required"], undefined);
  });

  it("close() does not wait for a client still deciding, or still in its TLS handshake", async () => {
    for (const allowNonTls of [true, false]) {
      const server = createServer({
        host: "127.0.0.1",
        port: 0,
        allowNonTls,
        tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, timeout: 5000 },
      });
      await server.listen();
      const silent = netConnect(server.port!, "127.0.0.1");
      silent.resume();
      silent.on("error", () => {});
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      await server.close();
      silent.destroy();
      assert.ok(Date.now() - started < 1000, `allowNonTls ${allowNonTls}: close() took ${Date.now() - started} ms`);
    }
  });

  it("the INFO matches nats-server 2.9.10's with allow_non_tls", async (t) => {
    if (!hasNatsServer()) {
      assert.notEqual(process.env["CI"], "true", "nats-server is not installed");
      t.skip("nats-server not installed");
      return;
    }
    const config = `allow_non_tls: true\ntls {\n  cert_file: "${certs.serverCertFile}"\n  key_file: "${certs.serverKeyFile}"\n}\n`;
    const reference = await startNatsServer([], { config });
    t.after(() => reference.stop());
    const ours = await optionalTlsServer(t);
    const keys = async (port: number): Promise<string[]> => {
      const { raw, info } = await firstInfo(port);
      raw.destroy();
      return Object.keys(info).filter((k) => k !== "go" && k !== "git_commit" && k !== "xkey");
    };
    assert.deepEqual(await keys(ours.port), await keys(reference.port));
    // And nats-server serves both kinds of client alike.
    for (const port of [reference.port, ours.port]) {
      const url = `nats://127.0.0.1:${port}`;
      const plain = await connect({ servers: url, reconnect: false, tls: null });
      const secure = await connect({ servers: url, reconnect: false, tls: { caFile: certs.caFile } });
      await Promise.all([plain.flush(), secure.flush()]);
      await Promise.all([plain.close(), secure.close()]);
    }
  });
});

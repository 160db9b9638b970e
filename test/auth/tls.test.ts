/**
 * TLS as nats-server: INFO in plain text with tls_required, then the upgrade; mutual TLS;
 * a client certificate mapped to a user; TLS first.
 */
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { ServerOptions } from "../../src/index.ts";
import { startBroker } from "../helpers/broker.ts";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";
import { RawClient } from "../helpers/raw-client.ts";

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

async function tlsServer(t: TestContext, extra: Partial<ServerOptions> & { verify?: boolean; verifyAndMap?: boolean; handshakeFirst?: boolean; timeout?: number } = {}) {
  const { verify, verifyAndMap, handshakeFirst, timeout, ...rest } = extra;
  return startBroker(t, {
    tls: {
      certFile: certs.serverCertFile,
      keyFile: certs.serverKeyFile,
      caFile: certs.caFile,
      ...(verify !== undefined && { verify }),
      ...(verifyAndMap !== undefined && { verifyAndMap }),
      ...(handshakeFirst !== undefined && { handshakeFirst }),
      ...(timeout !== undefined && { timeout }),
    },
    ...rest,
  });
}

async function tlsClient(t: TestContext, url: string, tls: Record<string, unknown>, opts: Record<string, unknown> = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false, tls, ...opts });
  t.after(() => nc.close());
  return nc;
}

describe("TLS", () => {
  it("says tls_required in plain INFO, then the official client upgrades and messaging works", async (t) => {
    const server = await tlsServer(t);
    const raw = await RawClient.connect(server.port);
    t.after(() => raw.destroy());
    await raw.waitFor("\r\n");
    assert.match(raw.text(), /"headers":true,"tls_required":true,"max_payload":/);
    const nc = await tlsClient(t, server.url, { caFile: certs.caFile });
    const sub = nc.subscribe("secure", { max: 1 });
    nc.publish("secure", "over tls");
    for await (const m of sub) assert.equal(m.string(), "over tls");
  });

  it("tells a client that never starts TLS 'Secure Connection - TLS Required' and closes", async (t) => {
    const server = await tlsServer(t, { timeout: 200 });
    const raw = await RawClient.connect(server.port);
    t.after(() => raw.destroy());
    await raw.waitFor("\r\n");
    const start = raw.received().length;
    await raw.waitClosed(3000);
    assert.equal(raw.received().subarray(start).toString(), "-ERR 'Secure Connection - TLS Required'\r\n");
  });

  it("closes a client that answers with plain text instead of a handshake", async (t) => {
    const server = await tlsServer(t);
    const raw = await RawClient.connect(server.port);
    t.after(() => raw.destroy());
    await raw.waitFor("\r\n");
    raw.send("CONNECT {}\r\nPING\r\n");
    await raw.waitClosed(3000);
    assert.doesNotMatch(raw.text(), /PONG/);
    assert.equal(server.numClients, 0);
  });

  it("mutual TLS: tls_verify in INFO, a client without a certificate is refused", async (t) => {
    const server = await tlsServer(t, { verify: true });
    await assert.rejects(tlsClient(t, server.url, { caFile: certs.caFile }));
    const nc = await tlsClient(t, server.url, { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile });
    assert.equal(nc.info?.tls_verify, true);
    await nc.flush();
  });

  it("verifyAndMap: the certificate names the user, whose permissions apply", async (t) => {
    const server = await tlsServer(t, {
      verifyAndMap: true,
      authorization: { users: [{ user: "alice@example.com", permissions: { publish: ["alice.>"], subscribe: ["alice.>"] } }] },
    });
    const nc = await tlsClient(t, server.url, { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile });
    const sub = nc.subscribe("alice.inbox", { max: 1 });
    nc.publish("alice.inbox", "mine");
    for await (const m of sub) assert.equal(m.string(), "mine");
    const errs: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === "error") errs.push(String(s.error));
    })();
    nc.publish("bob.inbox", "not mine");
    await nc.flush();
    await new Promise((r) => setTimeout(r, 50));
    assert.match(errs.join(), /Permissions Violation for Publish to "bob.inbox"/);
  });

  it("handshakeFirst: TLS before INFO", async (t) => {
    const server = await tlsServer(t, { handshakeFirst: true });
    const nc = await tlsClient(t, server.url, { caFile: certs.caFile, handshakeFirst: true });
    await nc.flush();
    assert.equal(nc.info?.tls_required, true);
  });
});

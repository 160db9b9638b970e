/**
 * TLS on our leaf node port (`leafnodes { tls { } }`), as nats-server's hub serves it
 * (leafnode.go: INFO in plain text with `tls_required`, then the spoke starts TLS): Debian's
 * nats-server 2.9.10 joins it as a spoke and verifies our certificate, mutual TLS with
 * `verify`, raw node:tls and plain peers on the port, the INFO next to nats-server's own, and
 * bad TLS options refused at createServer().
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { after, before, describe, it, type TestContext } from "node:test";
import { connect } from "@nats-io/transport-node";
import { createServer, InvalidOptionError, type Server } from "../../src/index.ts";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { eventually, linksUp, startHub, startLeafBroker } from "./helpers.ts";

const skip = hasNatsServer() ? false : "nats-server is not installed";

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

async function tlsHub(t: TestContext, tls: Record<string, unknown> = {}): Promise<Server & { url: string }> {
  const server = await startLeafBroker(t, {
    leafnodes: { port: 0, tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, ...tls } },
  });
  return server;
}

/** The first line a raw peer reads on `port`, and the socket (left open). */
function readInfo(port: number): Promise<{ socket: Socket; info: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, "127.0.0.1");
    let text = "";
    const onData = (d: Buffer): void => {
      text += d.toString();
      const end = text.indexOf("\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      resolve({ socket, info: JSON.parse(text.slice(5, end)) as Record<string, unknown> });
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

describe("leaf node port over TLS", { timeout: 60_000 }, () => {
  it("a nats-server 2.9.10 spoke joins it, verifying our certificate, and messages flow both ways", { skip }, async (t) => {
    const hub = await tlsHub(t);
    const spoke = await startNatsServer([], {
      config: `leafnodes {\n  remotes: [{\n    url: "nats-leaf://127.0.0.1:${hub.leafNodePort}"\n    tls { ca_file: "${certs.caFile}" }\n  }]\n}\n`,
    });
    t.after(() => spoke.stop());
    await linksUp(hub);
    const nc = await connect({ servers: `nats://127.0.0.1:${spoke.port}`, reconnect: false });
    t.after(() => nc.close());
    // Spoke → hub: a subscriber on our side, a publisher on the spoke.
    const got: string[] = [];
    hub.subscribe("over.tls", { callback: (_err, msg) => void got.push(msg.string()) });
    await eventually(() => {
      nc.publish("over.tls", "from the spoke");
      return got.length > 0;
    }, "the spoke's message on the hub", 10_000);
    assert.equal(got[0], "from the spoke");
    // Hub → spoke.
    const sub = nc.subscribe("back.tls", { max: 1 });
    await nc.flush();
    const received = (async () => {
      for await (const m of sub) return m.string();
      return undefined;
    })();
    await eventually(() => {
      hub.publish("back.tls", "from the hub");
      return sub.getReceived() > 0;
    }, "the hub's message on the spoke", 10_000);
    assert.equal(await received, "from the hub");
  });

  it("a spoke that does not trust the certificate never links", { skip }, async (t) => {
    const hub = await tlsHub(t);
    const spoke = await startNatsServer([], {
      config: `leafnodes {\n  remotes: [{ url: "nats-leaf://127.0.0.1:${hub.leafNodePort}", tls: {} }]\n}\n`,
    });
    t.after(() => spoke.stop());
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(hub.leafNodes.length, 0);
  });

  it("verify: a spoke without a client certificate is refused, one with it links", async (t) => {
    const hub = await tlsHub(t, { caFile: certs.caFile, verify: true });
    const url = `nats-leaf://127.0.0.1:${hub.leafNodePort}`;
    const without = await startLeafBroker(t, { leafnodes: { remotes: [{ urls: [url], tls: { caFile: certs.caFile }, reconnectDelay: 100 }] } });
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(hub.leafNodes.length, 0);
    assert.equal(without.leafNodes.length, 0);
    const withCert = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [url], tls: { caFile: certs.caFile, cert: readFileSync(certs.clientCertFile), key: readFileSync(certs.clientKeyFile) } }] },
    });
    await linksUp(withCert);
    await linksUp(hub);
  });

  it("INFO in plain text says tls_required, as nats-server 2.9.10's leaf port; raw node:tls then upgrades", async (t) => {
    const ours = await tlsHub(t);
    const ports = [ours.leafNodePort!];
    if (hasNatsServer()) {
      const hub = await startHub(t, { leafExtra: `tls { cert_file: "${certs.serverCertFile}", key_file: "${certs.serverKeyFile}" }` });
      ports.push(hub.leafPort);
    }
    for (const port of ports) {
      const { socket, info } = await readInfo(port);
      t.after(() => void socket.destroy());
      assert.equal(info["tls_required"], true, `port ${port}`);
      assert.ok(Array.isArray(info["leafnode_urls"]), `port ${port}`);
      const secure = await new Promise<ReturnType<typeof tlsConnect>>((resolve, reject) => {
        const s = tlsConnect({ socket, ca: certs.ca, servername: "localhost" }, () => resolve(s));
        s.once("error", reject);
      });
      assert.equal(secure.authorized, true);
      secure.destroy();
    }
  });

  it("a peer that never starts TLS is cut after tls.timeout; the port keeps serving", async (t) => {
    const hub = await tlsHub(t, { timeout: 300 });
    const { socket } = await readInfo(hub.leafNodePort!);
    const started = Date.now();
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.resume();
    await closed;
    assert.ok(Date.now() - started < 3000);
    const spoke = await startLeafBroker(t, { leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hub.leafNodePort}`], tls: { caFile: certs.caFile } }] } });
    await linksUp(spoke);
  });

  it("close() right after a spoke's handshake resolves at once, with the spoke still up", async (t) => {
    // The spoke counts the link up before the hub has read its last handshake message; a link
    // admitted after close() began was never closed, and close() waited for the spoke to go.
    const hub = await tlsHub(t);
    const spoke = await startLeafBroker(t, { leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hub.leafNodePort}`], tls: { caFile: certs.caFile } }] } });
    await linksUp(spoke);
    const started = Date.now();
    await hub.close();
    assert.ok(Date.now() - started < 1000, `close() took ${Date.now() - started} ms`);
  });

  it("close() does not wait for a peer still in its TLS handshake", async (t) => {
    const hub = await tlsHub(t, { timeout: 5000 });
    const { socket } = await readInfo(hub.leafNodePort!);
    socket.resume();
    socket.on("error", () => {});
    t.after(() => void socket.destroy());
    const started = Date.now();
    await hub.close();
    assert.ok(Date.now() - started < 1000, `close() took ${Date.now() - started} ms`);
  });

  it("bad TLS options are refused at createServer(), named leafnodes.tls", () => {
    const refused = (tls: Record<string, unknown>, option: string, text: RegExp): void =>
      assert.throws(
        () => createServer({ leafnodes: { port: 0, tls } }),
        (err: unknown) => err instanceof InvalidOptionError && err.option === option && text.test(err.message),
      );
    refused({ certFile: certs.serverCertFile, keyFile: `${certs.dir}/nope.key` }, "leafnodes.tls.keyFile", /cannot read/);
    refused({ certFile: certs.serverCertFile }, "leafnodes.tls", /needs a certificate and its key/);
    refused({ certFile: certs.serverCertFile, keyFile: certs.clientKeyFile }, "leafnodes.tls", /certificate or key unusable/);
  });
});

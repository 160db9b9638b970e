/**
 * TLS on the leaf link (to a nats-server hub, and between embedded brokers), and JetStream
 * across the link: clients on our broker use the hub's JetStream through its domain.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { createServer } from "../../src/index.ts";
import { makeTestCerts } from "../helpers/certs.ts";
import { hasNatsServer } from "../helpers/nats-server-process.ts";
import { eventually, hubSeesLeafInterest, linksUp, startHub, startLeafBroker } from "./helpers.ts";

const skip = hasNatsServer() ? false : "nats-server is not installed";

describe("leaf node TLS", { timeout: 60_000 }, () => {
  it("upgrades to TLS when the nats-server hub requires it, verifying the hub's certificate", { skip }, async (t) => {
    const certs = makeTestCerts();
    t.after(() => certs.cleanup());
    const hub = await startHub(t, {
      leafExtra: `tls { cert_file: "${certs.serverCertFile}", key_file: "${certs.serverKeyFile}" }`,
    });
    // Without trusting the hub's CA the handshake fails, and the link never comes up.
    const untrusting = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}`], reconnectDelay: 100 }] },
    });
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}`], tls: { caFile: certs.caFile } }] },
    });
    await linksUp(leaf);
    const sub = leaf.subscribe("secure.>");
    await hubSeesLeafInterest(hub, "secure.>");
    const nc = await connect({ servers: hub.url, reconnect: false });
    t.after(() => nc.close());
    nc.publish("secure.msg", "encrypted");
    for await (const m of sub) {
      assert.equal(m.string(), "encrypted");
      break;
    }
    assert.equal(untrusting.leafNodes.length, 0, "a hub we cannot verify is not joined");
  });

  it("serves its own leaf port over TLS to an embedded spoke", async (t) => {
    const certs = makeTestCerts();
    t.after(() => certs.cleanup());
    const hub = createServer({ leafnodes: { port: 0, tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile } } });
    t.after(() => hub.close());
    await hub.listen();
    const spoke = createServer({ leafnodes: { remotes: [{ urls: [`127.0.0.1:${hub.leafNodePort}`], tls: { ca: certs.ca } }] } });
    t.after(() => spoke.close());
    await spoke.listen();
    await linksUp(hub);
    spoke.subscribe("svc", { callback: (_e, m) => void m.respond("over tls") });
    await eventually(() => hub.leafNodes[0]!.remoteInterest >= 2, "the spoke's interest");
    const reply = await hub.request("svc", "", { timeout: 2000 });
    assert.equal(reply.string(), "over tls");
  });
});

describe("JetStream across the link", { skip, timeout: 60_000 }, () => {
  it("reaches the hub's JetStream through its domain: streams, publish acks, consumers and KV", async (t) => {
    const storeDir = mkdtempSync(join(tmpdir(), "leaf-js-"));
    t.after(() => rmSync(storeDir, { recursive: true, force: true }));
    const hub = await startHub(t, { extra: `jetstream { domain: hub, store_dir: "${storeDir}" }` });
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}`] }] },
    });
    await linksUp(leaf);
    // The hub maps $JS.hub.API.> to its JetStream API and announces it to the leaf.
    await eventually(() => leaf.leafNodes[0]!.remoteInterest >= 5, "the hub's JetStream interest");
    const nc = await leaf.connect();
    t.after(() => nc.close());
    const jsm = await jetstreamManager(nc, { domain: "hub" });
    await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
    const js = jetstream(nc, { domain: "hub" });
    await eventually(() => leaf.leafNodes[0]!.remoteInterest >= 6, "the stream's subjects");
    const ack = await js.publish("orders.1", "first");
    assert.equal(ack.stream, "ORDERS");
    assert.equal(ack.domain, "hub");
    assert.equal(ack.seq, 1);
    await jsm.consumers.add("ORDERS", { durable_name: "worker", ack_policy: AckPolicy.Explicit });
    const consumer = await js.consumers.get("ORDERS", "worker");
    const m = await consumer.next({ expires: 2000 });
    assert.equal(m?.string(), "first");
    await m?.ackAck();

    const kvm = new Kvm(js);
    const kv = await kvm.create("settings");
    await kv.put("color", "blue");
    assert.equal((await kv.get("color"))?.string(), "blue");

    // The same stream, seen from a client of the hub itself.
    const hubClient = await connect({ servers: hub.url, reconnect: false });
    t.after(() => hubClient.close());
    const info = await (await jetstreamManager(hubClient)).streams.info("ORDERS");
    assert.equal(info.state.messages, 1);
  });
});

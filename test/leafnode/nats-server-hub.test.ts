/**
 * Our broker as a leaf node of a real nats-server hub (Debian's 2.9.10), with the official
 * client on each side: pub/sub both ways, wildcards, queue groups spanning the link, request
 * and reply both ways, headers, credentials, and the hub's permissions.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, credsAuthenticator, headers, type NatsConnection } from "@nats-io/transport-node";
import { createUser } from "@nats-io/nkeys";
import { MsgHeaders } from "../../src/index.ts";
import { hasNatsServer } from "../helpers/nats-server-process.ts";
import { makeOperator } from "./jwt.ts";
import { eventually, freePort, hubSeesLeafInterest, linksUp, sleep, startHub, startLeafBroker } from "./helpers.ts";

const skip = hasNatsServer() ? false : "nats-server is not installed";

async function hubClient(t: { after(fn: () => unknown): void }, url: string, auth: { user?: string; pass?: string; token?: string } = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false, ...auth });
  t.after(() => nc.close());
  return nc;
}

describe("leaf node of a nats-server hub", { skip, timeout: 60_000 }, () => {
  it("carries pub/sub both ways, with wildcards, over user/password credentials", async (t) => {
    const hub = await startHub(t);
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hub.leafPort}`], user: "leaf", password: "s3cret" }] },
    });
    await linksUp(leaf);
    const onHub = await hubClient(t, hub.url);
    const onLeaf = await leaf.connect();
    t.after(() => onLeaf.close());

    // Hub → leaf: an official client on our broker subscribes with a wildcard.
    const leafSub = onLeaf.subscribe("orders.*.created");
    const direct = leaf.subscribe("orders.>");
    await onLeaf.flush();
    await hubSeesLeafInterest(hub, "orders.*.created");
    await hubSeesLeafInterest(hub, "orders.>");
    onHub.publish("orders.42.created", "o42");
    onHub.publish("orders.42.shipped", "s42");
    await onHub.flush();
    const got: string[] = [];
    for await (const m of leafSub) {
      got.push(`${m.subject}:${m.string()}`);
      break;
    }
    const directGot: string[] = [];
    for await (const m of direct) {
      directGot.push(m.subject);
      if (directGot.length === 2) break;
    }
    assert.deepEqual(got, ["orders.42.created:o42"]);
    assert.deepEqual(directGot.sort(), ["orders.42.created", "orders.42.shipped"]);

    // Leaf → hub: a hub client's wildcard, fed by an in-process publish and a client publish.
    const hubSub = onHub.subscribe("metrics.>");
    await onHub.flush();
    await eventually(() => leaf.leafNodes[0]!.remoteInterest >= 1 && leaf.numSubscriptions > 2, "the hub's interest");
    await eventually(() => leaf.publish("metrics.cpu", "probe") , "hub interest to reach the leaf");
    leaf.publish("metrics.mem", "m1");
    onLeaf.publish("metrics.disk", "d1");
    const hubGot: string[] = [];
    for await (const m of hubSub) {
      hubGot.push(`${m.subject}:${m.string()}`);
      if (hubGot.length === 3) break;
    }
    assert.deepEqual(hubGot, ["metrics.cpu:probe", "metrics.mem:m1", "metrics.disk:d1"]);
  });

  it("sends one copy when several hub subscriptions overlap, and none for subjects nobody wants", async (t) => {
    const hub = await startHub(t);
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}`] }] },
    });
    await linksUp(leaf);
    const onHub = await hubClient(t, hub.url);
    let wild = 0;
    let exact = 0;
    let full = 0;
    onHub.subscribe("a.*", { callback: () => void wild++ });
    onHub.subscribe("a.b", { callback: () => void exact++ });
    onHub.subscribe(">", { callback: () => void full++ });
    await onHub.flush();
    await eventually(() => leaf.publish("a.b", "x"), "hub interest to reach the leaf");
    await onHub.flush();
    const before = leaf.leafNodes[0]!.outMsgs;
    for (let i = 0; i < 10; i++) leaf.publish("a.b", String(i));
    await eventually(() => exact === 11, "ten more messages at the hub");
    await sleep(100);
    await onHub.flush();
    assert.equal(leaf.leafNodes[0]!.outMsgs - before, 10, "each message crossed once");
    assert.equal(wild, 11);
    assert.equal(full, 11);
  });

  it("serves a queue group spanning the link exactly once per message, preferring local members", async (t) => {
    const hub = await startHub(t);
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hub.leafPort}`], user: "leaf", password: "s3cret" }] },
    });
    await linksUp(leaf);
    const onHub = await hubClient(t, hub.url);
    const onLeaf = await leaf.connect();
    t.after(() => onLeaf.close());
    let hubMembers = 0;
    let leafMembers = 0;
    onHub.subscribe("work", { queue: "workers", callback: () => void hubMembers++ });
    onHub.subscribe("work", { queue: "workers", callback: () => void hubMembers++ });
    onLeaf.subscribe("work", { queue: "workers", callback: () => void leafMembers++ });
    leaf.subscribe("work", { queue: "workers", callback: () => void leafMembers++ });
    await onHub.flush();
    await onLeaf.flush();
    await hubSeesLeafInterest(hub, "work");
    await eventually(() => leaf.leafNodes[0]!.remoteInterest >= 5, "the hub's queue interest");

    // Published on the leaf: the local members take everything (nats-server prefers local).
    for (let i = 0; i < 50; i++) leaf.publish("work", String(i));
    await eventually(() => leafMembers === 50, "50 deliveries on the leaf");
    // Published on the hub: the hub's own members are local to it.
    for (let i = 0; i < 50; i++) onHub.publish("work", String(i));
    await onHub.flush();
    await eventually(() => hubMembers === 50, "50 deliveries on the hub");
    await sleep(200);
    assert.equal(leafMembers + hubMembers, 100, "each message was delivered exactly once");

    // With no member left on the hub, hub publishes cross to the leaf's members, once each.
    await onHub.close();
    const publisher = await hubClient(t, hub.url);
    await eventually(() => leaf.leafNodes[0]!.remoteInterest <= 4, "the hub's queue interest to go");
    for (let i = 0; i < 30; i++) publisher.publish("work", String(i));
    await publisher.flush();
    await eventually(() => leafMembers === 80, "30 more deliveries on the leaf");
    // And with no member left on the leaf, leaf publishes cross to a hub member.
    let remoteOnly = 0;
    publisher.subscribe("jobs", { queue: "q", callback: () => void remoteOnly++ });
    publisher.subscribe("jobs", { queue: "q", callback: () => void remoteOnly++ });
    await publisher.flush();
    await eventually(() => leaf.publish("jobs", "probe"), "the hub's jobs group");
    for (let i = 0; i < 20; i++) leaf.publish("jobs", String(i));
    await eventually(() => remoteOnly === 21, "21 deliveries on the hub");
    await sleep(200);
    assert.equal(remoteOnly, 21);
    assert.equal(leafMembers, 80);
  });

  it("answers requests both ways, with headers", async (t) => {
    const hub = await startHub(t);
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hub.leafPort}`], user: "leaf", password: "s3cret" }] },
    });
    await linksUp(leaf);
    const onHub = await hubClient(t, hub.url);
    const onLeaf = await leaf.connect();
    t.after(() => onLeaf.close());

    // A service on the leaf (in-process), a requester on the hub.
    leaf.subscribe("svc.leaf", {
      callback: (_err, m) => m.respond(`leaf:${m.string()}:${m.headers?.get("X-Trace") ?? "-"}`, { headers: MsgHeaders.from({ "X-Served-By": "leaf" }) }),
    });
    await hubSeesLeafInterest(hub, "svc.leaf");
    const h = headers();
    h.set("X-Trace", "t1");
    const r1 = await onHub.request("svc.leaf", "ping", { timeout: 3000, headers: h });
    assert.equal(r1.string(), "leaf:ping:t1");
    assert.equal(r1.headers?.get("X-Served-By"), "leaf");

    // A service on the hub, a requester on the leaf (official client) and in-process.
    onHub.subscribe("svc.hub", { callback: (_e, m) => void m.respond(`hub:${m.string()}:${m.headers?.get("X-Trace") ?? "-"}`) });
    await onHub.flush();
    await eventually(() => leaf.publish("svc.hub", "probe"), "the hub's service interest");
    const h2 = headers();
    h2.set("X-Trace", "t2");
    const r2 = await onLeaf.request("svc.hub", "pong", { timeout: 3000, headers: h2 });
    assert.equal(r2.string(), "hub:pong:t2");
    const r3 = await leaf.request("svc.hub", "direct", { timeout: 3000 });
    assert.equal(r3.string(), "hub:direct:-");
  });

  it("authenticates with a token and with an nkey seed", async (t) => {
    // nats-server 2.9 takes tokens and nkeys for leafs from the server-wide authorization.
    const tokenHub = await startHub(t, { leafAuth: "", extra: `authorization { token: "t0ken" }` });
    const tokenLeaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`127.0.0.1:${tokenHub.leafPort}`], token: "t0ken" }] },
    });
    await linksUp(tokenLeaf);

    const user = createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const nkeyHub = await startHub(t, {
      leafAuth: "",
      extra: `authorization { users: [ { nkey: ${user.getPublicKey()} }, { user: client, password: pw } ] }`,
    });
    const nkeyLeaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${nkeyHub.leafPort}`], nkeySeed: seed }] },
    });
    await linksUp(nkeyLeaf);
    const onHub = await hubClient(t, nkeyHub.url, { user: "client", pass: "pw" });
    const sub = nkeyLeaf.subscribe("nk.test");
    await hubSeesLeafInterest(nkeyHub, "nk.test");
    onHub.publish("nk.test", "signed");
    for await (const m of sub) {
      assert.equal(m.string(), "signed");
      break;
    }
  });

  it("tries the next URL when one is down, and refuses a client port", async (t) => {
    const hub = await startHub(t);
    const dead = await freePort();
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`127.0.0.1:${dead}`, `nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}`], reconnectDelay: 50 }] },
    });
    await linksUp(leaf);
    assert.equal(leaf.leafNodes[0]!.url, `nats-leaf://127.0.0.1:${hub.leafPort}`);
    // A client port answers with an INFO that has no leafnode_urls: not a hub, never a link.
    const wrong = await startLeafBroker(t, { leafnodes: { remotes: [{ urls: [`127.0.0.1:${hub.process.port}`], reconnectDelay: 50 }] } });
    let closes = 0;
    wrong.on("leafnode:close", () => closes++);
    await sleep(300);
    assert.equal(wrong.leafNodes.length, 0);
    assert.equal(closes, 0, "a link that never completed its handshake is not reported as closed");
  });

  it("carries large messages both ways", async (t) => {
    const hub = await startHub(t);
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}`] }] },
    });
    await linksUp(leaf);
    const onHub = await hubClient(t, hub.url);
    const big = Buffer.alloc(900 * 1024, 7);
    big[0] = 1;
    big[big.length - 1] = 2;
    const down = leaf.subscribe("big.down");
    await hubSeesLeafInterest(hub, "big.down");
    onHub.publish("big.down", big);
    for await (const m of down) {
      assert.equal(Buffer.compare(Buffer.from(m.data), big), 0);
      break;
    }
    const up = onHub.subscribe("big.up");
    await onHub.flush();
    await eventually(() => leaf.publish("big.up", "probe"), "the hub's interest");
    leaf.publish("big.up", big);
    let n = 0;
    for await (const m of up) {
      if (++n === 2) {
        assert.equal(Buffer.compare(Buffer.from(m.data), big), 0);
        break;
      }
    }
  });

  it("authenticates with a creds file (user JWT) against an operator-mode hub", async (t) => {
    const op = makeOperator();
    const hub = await startHub(t, { leafAuth: "", extra: op.serverConfig });
    const dir = mkdtempSync(join(tmpdir(), "leaf-creds-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const credsFile = join(dir, "leaf.creds");
    writeFileSync(credsFile, op.userCreds);
    const leaf = await startLeafBroker(t, { leafnodes: { remotes: [{ urls: [`127.0.0.1:${hub.leafPort}`], credentialsFile: credsFile }] } });
    await linksUp(leaf);
    const onHub = await connect({ servers: hub.url, reconnect: false, authenticator: credsAuthenticator(new TextEncoder().encode(op.userCreds)) });
    t.after(() => onHub.close());
    const sub = onHub.subscribe("jwt.up");
    await onHub.flush();
    await eventually(() => leaf.publish("jwt.up", "signed with a JWT"), "the account's interest");
    for await (const m of sub) {
      assert.equal(m.string(), "signed with a JWT");
      break;
    }
  });

  it("reports a refused login and keeps retrying", async (t) => {
    const hub = await startHub(t);
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hub.leafPort}`], user: "leaf", password: "wrong", reconnectDelay: 100 }] },
    });
    const errors: string[] = [];
    leaf.on("leafnode:error", (_l, text) => errors.push(text));
    await eventually(() => errors.length >= 2, "two refusals", 10_000);
    assert.match(errors[0]!, /Authorization Violation/);
    assert.equal(leaf.leafNodes.filter((l) => l.remoteInterest > 0).length, 0);
  });

  it("enforces the hub's permissions for the leaf locally", async (t) => {
    const hub = await startHub(t, {
      leafAuth: "",
      extra: `authorization { users: [
        { user: leaf, password: s3cret, permissions: { publish: { deny: ["secret.>"] }, subscribe: { deny: ["private.>"] } } },
        { user: client, password: pw }
      ] }`,
    });
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hub.leafPort}`], user: "leaf", password: "s3cret" }] },
    });
    await linksUp(leaf);
    const onHub = await hubClient(t, hub.url, { user: "client", pass: "pw" });
    let secret = 0;
    let open = 0;
    onHub.subscribe("secret.x", { callback: () => void secret++ });
    onHub.subscribe("open.x", { callback: () => void open++ });
    await onHub.flush();
    await eventually(() => leaf.publish("open.x", "probe"), "hub interest in open.x");
    for (let i = 0; i < 5; i++) {
      leaf.publish("secret.x", "no");
      leaf.publish("open.x", "yes");
    }
    await eventually(() => open === 6, "the allowed messages");
    await sleep(200);
    assert.equal(secret, 0, "nothing the hub denies crosses");
    assert.equal(leaf.leafNodes[0]!.outMsgs, 6, "denied messages were dropped here, not at the hub");
    // Nor is interest the hub would refuse announced, nor does it deliver.
    const priv = leaf.subscribe("private.x");
    const pub = leaf.subscribe("public.x");
    await hubSeesLeafInterest(hub, "public.x");
    const z = await hub.leafz();
    assert.ok(z.leafs !== null, "the hub lists the leaf");
    assert.ok(!z.leafs.some((l) => (l.subscriptions_list ?? []).includes("private.x")), "private.x was never announced");
    onHub.publish("private.x", "no");
    onHub.publish("public.x", "yes");
    for await (const m of pub) {
      assert.equal(m.string(), "yes");
      break;
    }
    assert.equal(priv.getReceived(), 0);
  });
});

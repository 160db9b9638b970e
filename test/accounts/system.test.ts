/**
 * The system account, through the official client: `nc.context()` ($SYS.REQ.USER.INFO) for any
 * client, and for the system account's users the monitoring requests and the connect and
 * disconnect events, as nats-server's events.go answers and sends them.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { startBroker } from "../helpers/broker.ts";

async function as(t: TestContext, url: string, user: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, user, pass: "pw", reconnect: false });
  t.after(() => nc.close());
  return nc;
}

/** What nats.js's `context()` resolves to (its Context type is not exported). */
interface Context {
  server: { id: string; time: Date };
  data: { user: string; account: string; permissions?: unknown };
}

/** nats.js has `context()` on its connection class, not on the NatsConnection interface. */
const context = (nc: NatsConnection): Promise<Context> => (nc as NatsConnection & { context(): Promise<Context> }).context();

const users = (...names: string[]) => names.map((user) => ({ user, password: "pw" }));

interface ApiResponse {
  server: { name: string; host: string; id: string; ver: string; jetstream: boolean; flags: number; seq: number; time: string };
  data?: Record<string, unknown>;
  error?: { code: number; description: string };
  statsz?: Record<string, unknown>;
}

async function ask(nc: NatsConnection, subject: string, body = ""): Promise<ApiResponse> {
  return (await nc.request(subject, body, { timeout: 1000 })).json<ApiResponse>();
}

const OPTIONS = {
  accounts: {
    A: { users: users("a") },
    SYS: { users: users("admin") },
  },
  authorization: { users: [{ user: "g", password: "pw", permissions: { publish: ["$SYS.REQ.USER.INFO", "x.>"], subscribe: ["_INBOX.>"] } }] },
  systemAccount: "SYS",
};

describe("the system account", () => {
  it("nc.context() tells any client its user, account and permissions", async (t) => {
    const server = await startBroker(t, OPTIONS);
    const a = await as(t, server.url, "a");
    const ctx = await context(a);
    assert.equal(ctx.data.user, "a");
    assert.equal(ctx.data.account, "A");
    assert.equal(ctx.data.permissions, undefined);
    assert.equal(ctx.server.id, server.id);
    assert.ok(ctx.server.time instanceof Date);
    const g = await context(await as(t, server.url, "g"));
    assert.deepEqual(g.data, {
      user: "g",
      account: "$G",
      permissions: { publish: { allow: ["$SYS.REQ.USER.INFO", "x.>"] }, subscribe: { allow: ["_INBOX.>"] } },
    });
  });

  it("answers the monitoring requests to its users, with the server block and a sequence", async (t) => {
    const server = await startBroker(t, { ...OPTIONS, serverName: "edge-1" });
    const admin = await as(t, server.url, "admin");
    await as(t, server.url, "a");
    const varz = await ask(admin, "$SYS.REQ.SERVER.PING.VARZ");
    assert.equal(varz.server.id, server.id);
    assert.equal(varz.server.name, "edge-1");
    assert.equal(varz.data?.["server_id"], server.id);
    const byId = await ask(admin, `$SYS.REQ.SERVER.${server.id}.CONNZ`);
    assert.equal(byId.data?.["num_connections"], 2);
    assert.ok(byId.server.seq > varz.server.seq);
    const accountConnz = await ask(admin, "$SYS.REQ.ACCOUNT.A.CONNZ");
    assert.equal(accountConnz.data?.["num_connections"], 1);
    const healthz = await ask(admin, "$SYS.REQ.SERVER.PING.HEALTHZ");
    assert.deepEqual(healthz.data, { status: "ok" });
    const ping = await ask(admin, "$SYS.REQ.SERVER.PING");
    assert.equal(ping.statsz?.["connections"], 2);
    assert.equal(typeof ping.statsz?.["mem"], "number");
    const idz = (await admin.request("$SYS.REQ.SERVER.PING.IDZ", "", { timeout: 1000 })).json<ApiResponse>();
    assert.deepEqual(idz.data, { name: "edge-1", host: "127.0.0.1", id: server.id });
    // A request body that is not JSON: nats-server's 400.
    const bad = await ask(admin, "$SYS.REQ.SERVER.PING.VARZ", "{nope");
    assert.equal(bad.error?.code, 400);
    // Filtered out (another server's name): no answer at all.
    await assert.rejects(admin.request("$SYS.REQ.SERVER.PING.VARZ", JSON.stringify({ server_name: "elsewhere", exact_match: true }), { timeout: 300 }));
  });

  it("is invisible to users of other accounts: their $SYS requests find no responders", async (t) => {
    const server = await startBroker(t, OPTIONS);
    const a = await as(t, server.url, "a");
    await assert.rejects(a.request("$SYS.REQ.SERVER.PING.VARZ", "", { timeout: 1000 }), /no responders|503/i);
  });

  it("publishes connect and disconnect events for every account, to its users only", async (t) => {
    const server = await startBroker(t, OPTIONS);
    const admin = await as(t, server.url, "admin");
    const events: { subject: string; body: Record<string, unknown> }[] = [];
    admin.subscribe("$SYS.ACCOUNT.*.*", { callback: (_err, msg) => void events.push({ subject: msg.subject, body: msg.json() }) });
    await admin.flush();
    const a = await connect({ servers: server.url, user: "a", pass: "pw", name: "orders-svc", reconnect: false });
    await a.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      events.map((e) => e.subject),
      ["$SYS.ACCOUNT.A.CONNECT", "$SYS.ACCOUNT.A.DISCONNECT"],
    );
    const [connected, disconnected] = events.map((e) => e.body) as [Record<string, unknown>, Record<string, unknown>];
    assert.equal(connected["type"], "io.nats.server.advisory.v1.client_connect");
    assert.equal(disconnected["type"], "io.nats.server.advisory.v1.client_disconnect");
    const client = connected["client"] as Record<string, unknown>;
    assert.equal(client["acc"], "A");
    assert.equal(client["user"], "a");
    assert.equal(client["name"], "orders-svc");
    assert.equal(disconnected["reason"], "Client Closed");
    assert.equal((disconnected["client"] as Record<string, unknown>)["stop"] !== undefined, true);
  });

  it("defaults to $SYS (created, with no users); systemAccount: false turns it all off", async (t) => {
    const plain = await startBroker(t);
    const nc = await connect({ servers: plain.url, reconnect: false });
    t.after(() => nc.close());
    assert.equal((await context(nc)).data.account, "$G");

    const none = await startBroker(t, { systemAccount: false });
    const nc2 = await connect({ servers: none.url, reconnect: false });
    t.after(() => nc2.close());
    await assert.rejects(context(nc2), /no responders|503/i);
    assert.throws(() => createServer({ systemAccount: "NOPE" }), /account "NOPE" does not exist/);
  });
});

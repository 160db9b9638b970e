/**
 * Authentication as nats-server does it, through the official client (and raw sockets for
 * what happens before CONNECT).
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { createUser } from "@nats-io/nkeys";
import bcrypt from "bcryptjs";
import { connect, errors, nkeyAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import type { AuthOptions, ServerOptions } from "../../src/index.ts";
import { eventually, startBroker } from "../helpers/broker.ts";
import { RawClient } from "../helpers/raw-client.ts";

async function serverWith(t: TestContext, authorization: AuthOptions, extra: ServerOptions = {}) {
  return startBroker(t, { authorization, ...extra });
}

async function tryConnect(t: TestContext, url: string, opts: Parameters<typeof connect>[0]): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false, ...opts });
  t.after(() => nc.close());
  return nc;
}

function isAuthError(err: unknown): boolean {
  return err instanceof errors.AuthorizationError || /authorization violation/i.test(String(err));
}

describe("authentication", () => {
  it("token: right token in, wrong or missing token refused with the client's AuthorizationError", async (t) => {
    const server = await serverWith(t, { token: "s3cret" });
    const nc = await tryConnect(t, server.url, { token: "s3cret" });
    assert.equal(nc.info?.auth_required, true);
    await assert.rejects(tryConnect(t, server.url, { token: "nope" }), isAuthError);
    await assert.rejects(tryConnect(t, server.url, {}), isAuthError);
  });

  it("single user and password", async (t) => {
    const server = await serverWith(t, { user: "alice", password: "pw" });
    await tryConnect(t, server.url, { user: "alice", pass: "pw" });
    await assert.rejects(tryConnect(t, server.url, { user: "alice", pass: "bad" }), isAuthError);
    await assert.rejects(tryConnect(t, server.url, { user: "bob", pass: "pw" }), isAuthError);
  });

  it("users with plain and bcrypt passwords", async (t) => {
    const hash = await bcrypt.hash("hashed-pw", 4);
    assert.match(hash, /^\$2[aby]\$04\$/);
    const server = await serverWith(t, {
      users: [
        { user: "plain", password: "p1" },
        { user: "hashed", password: hash },
      ],
    });
    await tryConnect(t, server.url, { user: "plain", pass: "p1" });
    await tryConnect(t, server.url, { user: "hashed", pass: "hashed-pw" });
    await assert.rejects(tryConnect(t, server.url, { user: "hashed", pass: hash }), isAuthError, "the hash itself is not the password");
    await assert.rejects(tryConnect(t, server.url, { user: "nobody", pass: "p1" }), isAuthError);
  });

  it("nkeys: INFO carries a 15-character nonce and the client signs it", async (t) => {
    const kp = createUser();
    const other = createUser();
    const server = await serverWith(t, { users: [{ nkey: kp.getPublicKey() }] });
    const raw = await RawClient.connect(server.port);
    t.after(() => raw.destroy());
    await raw.waitFor("\r\n");
    assert.match(raw.text(), /"auth_required":true,"max_payload":\d+,"client_id":\d+,"client_ip":"127\.0\.0\.1","nonce":"[A-Za-z0-9_-]{15}"\} \r\n$/);
    await tryConnect(t, server.url, { authenticator: nkeyAuthenticator(kp.getSeed()) });
    await assert.rejects(tryConnect(t, server.url, { authenticator: nkeyAuthenticator(other.getSeed()) }), isAuthError);
  });

  it("no_auth_user: clients without credentials connect as that user, INFO says no auth", async (t) => {
    const server = await serverWith(t, {
      users: [
        { user: "guest", password: "unused", permissions: { publish: ["public.>"], subscribe: ["public.>"] } },
        { user: "admin", password: "adminpw" },
      ],
      noAuthUser: "guest",
    });
    const guest = await tryConnect(t, server.url, {});
    assert.equal(guest.info?.auth_required, undefined);
    const errs: string[] = [];
    void (async () => {
      for await (const s of guest.status()) if (s.type === "error") errs.push(String(s.error));
    })();
    guest.publish("private.x", "");
    await guest.flush();
    await eventually(() => errs.length > 0, "a permissions violation for the guest");
    assert.match(errs[0]!, /Permissions Violation for Publish to "private.x"/i);
    await tryConnect(t, server.url, { user: "admin", pass: "adminpw" });
    await assert.rejects(tryConnect(t, server.url, { user: "admin", pass: "wrong" }), isAuthError);
    // Telnet style: no CONNECT at all, as the no_auth_user.
    const raw = await RawClient.connect(server.port);
    t.after(() => raw.destroy());
    raw.send("SUB public.a 1\r\nPUB public.a 2\r\nhi\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    assert.match(raw.text(), /MSG public\.a 1 2\r\nhi\r\n/);
  });

  it("nothing is reachable before CONNECT: SUB/PUB first is an Authorization Violation", async (t) => {
    const server = await serverWith(t, { token: "t" });
    const watcher = await tryConnect(t, server.url, { token: "t" });
    let leaked = 0;
    watcher.subscribe(">", { callback: () => void leaked++ });
    await watcher.flush();
    for (const first of ["SUB foo 1\r\n", "PUB foo 2\r\nhi\r\n", "PING\r\n"]) {
      const raw = await RawClient.connect(server.port);
      t.after(() => raw.destroy());
      await raw.waitFor("\r\n");
      const start = raw.received().length;
      raw.send(first);
      await raw.waitClosed();
      assert.equal(raw.received().subarray(start).toString(), "-ERR 'Authorization Violation'\r\n", first);
    }
    await watcher.flush();
    assert.equal(leaked, 0);
    assert.equal(server.numSubscriptions, 1);
  });

  it("closes a client that does not authenticate in time with 'Authentication Timeout'", async (t) => {
    const server = await serverWith(t, { token: "t", timeout: 150 });
    const raw = await RawClient.connect(server.port);
    t.after(() => raw.destroy());
    await raw.waitFor("\r\n");
    const start = raw.received().length;
    await raw.waitClosed(3000);
    assert.equal(raw.received().subarray(start).toString(), "-ERR 'Authentication Timeout'\r\n");
  });

  it("a host authenticate() hook, sync or async, sees the connection and grants permissions", async (t) => {
    const seen: string[] = [];
    const server = await serverWith(t, {
      authenticate: async (connect, ctx) => {
        seen.push(`${connect.user}@${ctx.remoteAddress}/${ctx.transport}`);
        await new Promise((r) => setTimeout(r, 10));
        if (connect.user === "svc" && connect.pass === "ok") return { user: "svc", permissions: { publish: ["svc.>"] } };
        return false;
      },
    });
    const nc = await tryConnect(t, server.url, { user: "svc", pass: "ok" });
    // Ops pipelined after CONNECT wait for the verdict, then run.
    const r = nc.subscribe("svc.echo", { max: 1 });
    nc.publish("svc.echo", "x");
    for await (const m of r) assert.equal(m.string(), "x");
    await assert.rejects(tryConnect(t, server.url, { user: "svc", pass: "no" }), isAuthError);
    assert.deepEqual(seen, ["svc@127.0.0.1/tcp", "svc@127.0.0.1/tcp"]);
  });

  it("setAuth() at runtime: a removed user is disconnected, a changed one loses what it may no longer do", async (t) => {
    const server = await serverWith(t, {
      users: [
        { user: "a", password: "a" },
        { user: "b", password: "b" },
      ],
    });
    const a = await tryConnect(t, server.url, { user: "a", pass: "a" });
    const b = await tryConnect(t, server.url, { user: "b", pass: "b" });
    a.subscribe("orders.>", { callback: () => {} });
    a.subscribe("metrics.cpu", { callback: () => {} });
    await a.flush();
    const aErrors: string[] = [];
    void (async () => {
      for await (const s of a.status()) if (s.type === "error") aErrors.push(String(s.error));
    })();
    server.setAuth({ users: [{ user: "a", password: "a", permissions: { subscribe: ["metrics.>"] } }] });
    await b.closed();
    await eventually(() => server.numSubscriptions === 1, "a's orders.> subscription to be dropped");
    await eventually(() => aErrors.length > 0, "a to be told");
    assert.match(aErrors[0]!, /Permissions Violation for Subscription to "orders.>"/);
    assert.equal(a.isClosed(), false);
    await assert.rejects(tryConnect(t, server.url, { user: "b", pass: "b" }), isAuthError);
  });
});

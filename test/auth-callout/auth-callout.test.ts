/**
 * Auth callout (nats-server 2.10+): a service written with the official client decides who
 * connects, as whom and in which account. Debian's nats-server is 2.9.10, which has no callout,
 * so there is no differential run here: the shapes follow nats-server's auth_callout.go and the
 * claim types of @nats-io/jwt.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { createCurve, createUser } from "@nats-io/nkeys";
import type { KeyPair } from "@nats-io/nkeys";
import type { AuthCalloutOptions } from "../../src/index.ts";
import { eventually, startBroker } from "../helpers/broker.ts";
import { isAuthError, newIssuer, startService, tryConnect, type Decision, type ServiceOptions } from "./helpers.ts";
import type { AuthorizationRequest, ClaimsData } from "@nats-io/jwt";

const SERVICE = { user: "auth", pass: "pw" };

/** A JWT with exactly these claims (plus `iss`), signed by `issuer` as nats JWTs are: over `header.body`. */
function signed(issuer: KeyPair, claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${part({ typ: "JWT", alg: "ed25519-nkey" })}.${part({ ...claims, iss: issuer.getPublicKey() })}`;
  return `${unsigned}.${Buffer.from(issuer.sign(new TextEncoder().encode(unsigned))).toString("base64url")}`;
}

/** The usual decisions, by the user name the client sent. */
function byUser(request: ClaimsData<AuthorizationRequest>): Decision {
  const user = request.nats.connect_opts?.user;
  switch (user) {
    case "alice":
      return { admit: { account: "A", name: "alice", user: { pub: { allow: ["a.>", "_INBOX.>"] }, sub: { allow: ["a.>", "_INBOX.>"] } } } };
    case "silent":
      return { silent: true };
    case "garbage":
      return { raw: "this is not a JWT" };
    case "wrong-sub":
      return { admit: { account: "A", sub: createUser().getPublicKey() } };
    case "wrong-issuer":
      return { admit: { account: "A", signer: newIssuer() } };
    case "no-such-account":
      return { admit: { account: "NOPE" } };
    case "global":
      return { admit: { account: "$G" } };
    case "expiring":
      return { admit: { account: "A", expSeconds: 1 } };
    default:
      return { error: `${String(user)} is not welcome` };
  }
}

async function withAccounts(t: TestContext, issuer: KeyPair, callout: Partial<AuthCalloutOptions> = {}, timeout = 2000) {
  return startBroker(t, {
    accounts: { A: {}, AUTH: { users: [{ user: SERVICE.user, password: SERVICE.pass }] } },
    authorization: { timeout, callout: { issuer: issuer.getPublicKey(), authUsers: [SERVICE.user], account: "AUTH", ...callout } },
  });
}

async function service(t: TestContext, url: string, issuer: KeyPair, extra: Partial<ServiceOptions> = {}) {
  return startService(t, { url, ...SERVICE, issuer, decide: byUser, ...extra });
}

describe("auth callout", () => {
  it("admits a user into the account its JWT names, with the JWT's permissions, isolated there", async (t) => {
    const issuer = newIssuer();
    const server = await withAccounts(t, issuer);
    const svc = await service(t, server.url, issuer);
    const alice = await tryConnect(t, server.url, { user: "alice", pass: "anything", name: "alice-app" });
    assert.equal(svc.requests.length, 1);
    const request = svc.requests[0]!;
    assert.equal(request.nats.type, "authorization_request");
    assert.equal(request.aud, "nats-authorization-request");
    assert.equal(request.sub, issuer.getPublicKey());
    assert.equal(request.iss, server.id, "signed by the server's nkey, which is its id");
    assert.equal(request.nats.server_id?.id, server.id);
    assert.equal(alice.info?.server_id, server.id);
    assert.match(request.nats.user_nkey ?? "", /^U[A-Z2-7]{55}$/);
    assert.equal(request.nats.connect_opts?.user, "alice");
    assert.equal(request.nats.connect_opts?.pass, "anything");
    assert.equal(request.nats.connect_opts?.name, "alice-app");
    assert.equal(request.nats.connect_opts?.lang, "nats.js");
    assert.equal(request.nats.client_info?.host, "127.0.0.1");
    assert.equal(request.nats.client_info?.kind, "Client");
    assert.equal(request.nats.client_info?.user, "alice");
    assert.ok(typeof request.exp === "number" && request.exp * 1000 > Date.now() - 1000, "the request expires with the auth timeout");

    // Isolation: a subscriber in AUTH (the service) does not hear what alice publishes in A.
    const heardInAuth: string[] = [];
    svc.nc.subscribe("a.>", { callback: (_e, m) => void heardInAuth.push(m.subject) });
    await svc.nc.flush();
    const inA = alice.subscribe("a.>", { max: 1 });
    alice.publish("a.one", "x");
    for await (const m of inA) assert.equal(m.subject, "a.one");
    await svc.nc.flush();
    assert.deepEqual(heardInAuth, []);

    // Permissions from the JWT: b.x is not allowed.
    const denied = (async () => {
      for await (const s of alice.status()) if (s.type === "error") return String(s.error);
      return "";
    })();
    alice.publish("b.x", "no");
    assert.match(await denied, /permissions violation for publish to "b.x"/i);
    const connz = server.connz({ auth: true });
    const entry = connz.connections.find((c) => c.name === "alice-app");
    assert.equal(entry?.authorized_user, "alice");
    assert.equal(entry?.account, "A");
  });

  it("a refusal, garbage, or a JWT for another user, issuer or account ends in Authorization Violation", async (t) => {
    const issuer = newIssuer();
    const server = await withAccounts(t, issuer);
    const svc = await service(t, server.url, issuer);
    for (const user of ["bob", "garbage", "wrong-sub", "wrong-issuer", "no-such-account"]) {
      await assert.rejects(tryConnect(t, server.url, { user, pass: "x" }), isAuthError, user);
    }
    assert.equal(svc.requests.length, 5);
    // The host is unharmed: the next client is still served.
    await tryConnect(t, server.url, { user: "alice", pass: "x" });
    assert.equal(server.numClients, 2);
  });

  it("odd answers signed by the issuer are refused, and never reach the host as an exception", async (t) => {
    const issuer = newIssuer();
    const server = await withAccounts(t, issuer);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on("uncaughtException", onUncaught);
    t.after(() => process.off("uncaughtException", onUncaught));
    // Each is a JWT the issuer really signed, with something wrong inside.
    const odd: ((r: ClaimsData<AuthorizationRequest>) => Record<string, unknown>)[] = [
      () => ({ sub: "x", nats: null }),
      (r) => ({ sub: r.nats.user_nkey, aud: r.nats.server_id?.id, nats: "text" }),
      (r) => ({ sub: r.nats.user_nkey, aud: r.nats.server_id?.id, nats: { type: "authorization_response", jwt: 42 } }),
      (r) => ({ sub: r.nats.user_nkey, aud: r.nats.server_id?.id, nats: { type: "authorization_response", jwt: "a.b.c" } }),
      (r) => ({ sub: r.nats.user_nkey, aud: r.nats.server_id?.id, exp: "soon", nats: { type: "authorization_response", jwt: "x" } }),
      (r) => ({ sub: r.nats.user_nkey, aud: [r.nats.server_id?.id], nats: { type: "authorization_response" } }),
      (r) => ({ sub: r.nats.user_nkey, aud: r.nats.server_id?.id, exp: 1, nats: { type: "authorization_response" } }),
    ];
    let next = 0;
    await service(t, server.url, issuer, { decide: (r) => ({ raw: signed(issuer, odd[next++ % odd.length]!(r)) }) });
    const start = Date.now();
    for (let i = 0; i < odd.length; i++) await assert.rejects(tryConnect(t, server.url, { user: "x", pass: "x" }), isAuthError, `answer ${i}`);
    assert.ok(Date.now() - start < 1500, "each was judged on arrival, none waited for the timeout");
    assert.deepEqual(uncaught, []);
    assert.equal(server.numClients, 1, "only the service");
  });

  it("no answer: refused within the auth timeout", async (t) => {
    const issuer = newIssuer();
    const server = await withAccounts(t, issuer, {}, 600);
    await service(t, server.url, issuer);
    const start = Date.now();
    await assert.rejects(tryConnect(t, server.url, { user: "silent", pass: "x" }), /authorization violation/i);
    const elapsed = Date.now() - start;
    assert.ok(elapsed < 600 + 300, `refused after ${elapsed} ms, auth timeout 600 ms`);
    assert.ok(elapsed >= 300, `waited for the service (${elapsed} ms)`);
  });

  it("no service at all: refused at once (no responders)", async (t) => {
    const issuer = newIssuer();
    const server = await withAccounts(t, issuer);
    await assert.rejects(tryConnect(t, server.url, { user: "alice", pass: "x" }), isAuthError);
  });

  it("auth users bypass the callout, and still need their password", async (t) => {
    const issuer = newIssuer();
    const server = await withAccounts(t, issuer);
    const svc = await service(t, server.url, issuer);
    await assert.rejects(tryConnect(t, server.url, { user: SERVICE.user, pass: "wrong" }), isAuthError);
    const again = await tryConnect(t, server.url, SERVICE);
    assert.equal(svc.requests.length, 0, "no request for an auth user");
    assert.equal(server.connz({ auth: true }).connections.filter((c) => c.account === "AUTH").length, 2);
    await again.close();
  });

  it("clients in the callout account may not publish authorization requests themselves", async (t) => {
    const issuer = newIssuer();
    const server = await withAccounts(t, issuer);
    const svc = await service(t, server.url, issuer);
    const denied = (async () => {
      for await (const s of svc.nc.status()) if (s.type === "error") return String(s.error);
      return "";
    })();
    svc.nc.publish("$SYS.REQ.USER.AUTH", "forged");
    assert.match(await denied, /permissions violation for publish to "\$SYS\.REQ\.USER\.AUTH"/i);
    assert.equal(svc.requests.length, 0);
  });

  it("allowed_accounts: users of other accounts keep the server's verdict, users of listed ones are delegated", async (t) => {
    const issuer = newIssuer();
    const server = await startBroker(t, {
      accounts: {
        A: { users: [{ user: "listed", password: "p" }] },
        B: { users: [{ user: "local", password: "p" }] },
        AUTH: { users: [{ user: SERVICE.user, password: SERVICE.pass }] },
      },
      authorization: { callout: { issuer: issuer.getPublicKey(), authUsers: [SERVICE.user], account: "AUTH", allowedAccounts: ["A"] } },
    });
    const svc = await service(t, server.url, issuer);
    await tryConnect(t, server.url, { user: "local", pass: "p", name: "local" });
    assert.equal(svc.requests.length, 0, "B is not delegated");
    await assert.rejects(tryConnect(t, server.url, { user: "local", pass: "wrong" }), isAuthError);
    await assert.rejects(tryConnect(t, server.url, { user: "listed", pass: "p" }), isAuthError, "A is delegated, and the service refuses 'listed'");
    assert.equal(svc.requests.filter((r) => r.nats.connect_opts?.user === "listed").length, 1);
    assert.equal(server.connz({ auth: true }).connections.find((c) => c.name === "local")?.account, "B");
  });

  it("with $G only: admitted users share $G with the service", async (t) => {
    const issuer = newIssuer();
    const server = await startBroker(t, {
      authorization: { users: [{ user: SERVICE.user, password: SERVICE.pass }], callout: { issuer: issuer.getPublicKey(), authUsers: [SERVICE.user] } },
    });
    const svc = await service(t, server.url, issuer);
    const nc = await tryConnect(t, server.url, { user: "global", pass: "x" });
    const sub = svc.nc.subscribe("hello", { max: 1 });
    await svc.nc.flush();
    nc.publish("hello", "from callout user");
    for await (const m of sub) assert.equal(m.string(), "from callout user");
    await assert.rejects(tryConnect(t, server.url, { user: "mallory", pass: "x" }), isAuthError);
  });

  it("the JWT's expiry closes the connection with User Authentication Expired", async (t) => {
    const issuer = newIssuer();
    const server = await withAccounts(t, issuer);
    await service(t, server.url, issuer);
    const nc = await tryConnect(t, server.url, { user: "expiring", pass: "x" });
    const closed = await nc.closed();
    assert.match(String(closed), /user authentication expired/i);
  });

  it("xkey: the request is sealed to the service's curve key, and a sealed answer is opened", async (t) => {
    const issuer = newIssuer();
    const curve = createCurve();
    const server = await withAccounts(t, issuer, { xkey: curve.getPublicKey() });
    const svc = await service(t, server.url, issuer, { curve });
    await tryConnect(t, server.url, { user: "alice", pass: "x" });
    assert.match(svc.lastXkeyHeader ?? "", /^X[A-Z2-7]{55}$/);
    assert.equal(svc.requests[0]?.nats.server_id?.xkey, svc.lastXkeyHeader);
    // A service without the curve key cannot read the request: nothing it says gets anyone in.
    const blind = await service(t, server.url, issuer, { decide: () => ({ admit: { account: "A" } }) });
    await svc.nc.close();
    await assert.rejects(tryConnect(t, server.url, { user: "alice", pass: "x" }), isAuthError);
    assert.equal(blind.requests.length, 0);
    assert.equal(blind.failures.length, 1, "the blind service could not decode the sealed request");
  });

  it("pending callouts are capped: a burst against a slow service stays bounded", async (t) => {
    const issuer = newIssuer();
    const server = await withAccounts(t, issuer, { maxPending: 4 }, 5000);
    // The service holds every answer until the burst has been dealt with.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const svc = await service(t, server.url, issuer, { decide: () => gate.then(() => ({ admit: { account: "A" } })) });
    const before = process.memoryUsage().heapUsed;
    let refused = 0;
    const attempts = Array.from({ length: 40 }, () =>
      tryConnect(t, server.url, { user: "x", pass: "x" }).then(
        () => "admitted",
        (err: unknown) => {
          if (isAuthError(err)) refused++;
          return "refused";
        },
      ),
    );
    await eventually(() => refused === 36, "36 refusals while 4 wait", 4000);
    assert.equal(svc.inFlight.now, 4, "exactly the cap is waiting on the service");
    assert.equal(svc.requests.length, 4, "the excess was refused without a request");
    assert.equal(server.numClients, 1 + 4, "the service and the 4 waiting: the refused are gone");
    const grown = process.memoryUsage().heapUsed - before;
    open();
    const results = await Promise.all(attempts);
    assert.equal(results.filter((r) => r === "admitted").length, 4);
    t.diagnostic(`40 clients at once, cap 4: 4 requests pending, 36 refused at once, heap +${Math.round(grown / 1024)} KiB meanwhile`);
    // Later clients get through once the burst is over.
    await tryConnect(t, server.url, { user: "x", pass: "x" });
  });

  it("connect latency with the callout (figure)", async (t) => {
    const issuer = newIssuer();
    const server = await withAccounts(t, issuer);
    const svc = await service(t, server.url, issuer, { decide: () => ({ admit: { account: "A" } }) });
    const plain = await startBroker(t, { authorization: { users: [{ user: "u", password: "p" }] } });
    const time = async (url: string, opts: { user: string; pass: string }): Promise<number> => {
      const n = 20;
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await (await tryConnect(t, url, opts)).close();
      return Number(process.hrtime.bigint() - start) / 1e6 / n;
    };
    await time(server.url, { user: "x", pass: "x" });
    const withCallout = await time(server.url, { user: "x", pass: "x" });
    const withoutCallout = await time(plain.url, { user: "u", pass: "p" });
    const serviceMs = svc.busyMs.slice(-20).reduce((a, b) => a + b, 0) / 20;
    t.diagnostic(
      `connect+close, mean of 20: ${withCallout.toFixed(2)} ms with the callout (of which ${serviceMs.toFixed(2)} ms in the service, signing with @nats-io/jwt), ${withoutCallout.toFixed(2)} ms with a plain user`,
    );
    assert.ok(withCallout < 600, "well within the auth timeout");
  });
});

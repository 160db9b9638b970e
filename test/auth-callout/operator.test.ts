/**
 * Auth callout in operator mode: an account JWT's `authorization` (`auth_users`,
 * `allowed_accounts`) sends that account's other users to its service, which places them in
 * itself or an allowed account with a user JWT that account issued.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { createAccount, createCurve, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";
import { credsAuthenticator } from "@nats-io/transport-node";
import { startBroker } from "../helpers/broker.ts";
import { isAuthError, startService, tryConnect } from "./helpers.ts";

const UNLIMITED = { limits: { conn: -1, subs: -1, data: -1, payload: -1, leaf: -1, imports: -1, exports: -1, wildcards: true } };

async function creds(account: KeyPair, claims: Parameters<typeof encodeUser>[3] = {}): Promise<Uint8Array> {
  const user = createUser();
  return fmtCreds(await encodeUser("u", user, account, claims), user);
}

async function setup(t: TestContext, curve?: KeyPair) {
  const operator = createOperator();
  const [auth, a, b, sys] = [createAccount(), createAccount(), createAccount(), createAccount()];
  const serviceUser = createUser();
  const accounts = {
    [auth.getPublicKey()]: await encodeAccount(
      "AUTH",
      auth,
      { ...UNLIMITED, authorization: { auth_users: [serviceUser.getPublicKey()], allowed_accounts: [a.getPublicKey()], xkey: curve?.getPublicKey() ?? "" } },
      { signer: operator },
    ),
    [a.getPublicKey()]: await encodeAccount("A", a, UNLIMITED, { signer: operator }),
    [b.getPublicKey()]: await encodeAccount("B", b, UNLIMITED, { signer: operator }),
    [sys.getPublicKey()]: await encodeAccount("SYS", sys, UNLIMITED, { signer: operator }),
  };
  const server = await startBroker(t, { authorization: undefined, operator: { operators: [await encodeOperator("OP", operator, { system_account: sys.getPublicKey() })], accounts } });
  const serviceCreds = fmtCreds(await encodeUser("svc", serviceUser, auth), serviceUser);
  const svc = await startService(t, {
    url: server.url,
    connect: { authenticator: credsAuthenticator(serviceCreds) },
    issuer: auth,
    ...(curve === undefined ? {} : { curve }),
    decide: (r) => {
      switch (r.nats.connect_opts?.name) {
        case "alice":
          return { admit: { account: "", signer: a, user: { pub: { allow: ["a.>"] } } } };
        case "outsider":
          return { admit: { account: "", signer: b } };
        default:
          return { error: "no" };
      }
    },
  });
  // The sentinel: a user of AUTH every client holds; it can do nothing by itself.
  const sentinel = await creds(auth, { pub: { deny: [">"] }, sub: { deny: [">"] } });
  return { server, svc, sentinel, a, auth };
}

describe("auth callout in operator mode", () => {
  it("refuses authorization.callout beside an operator: the account JWTs configure it", async () => {
    const operator = createOperator();
    const { createServer } = await import("../../src/index.ts");
    const operators = [await encodeOperator("OP", operator)];
    assert.throws(() => createServer({ operator: { operators }, authorization: { callout: { issuer: createAccount().getPublicKey(), authUsers: ["x"] } } }), /account JWT's authorization claim configures the callout/);
  });

  it("places a sentinel's client in an allowed account with the issued JWT's permissions; refuses others", async (t) => {
    const { server, svc, sentinel, a, auth } = await setup(t);
    const alice = await tryConnect(t, server.url, { authenticator: credsAuthenticator(sentinel), name: "alice" });
    const request = svc.requests.at(-1)!;
    assert.equal(request.sub, auth.getPublicKey(), "the request names the callout account");
    assert.ok(request.nats.connect_opts?.jwt, "the sentinel's JWT is passed on");
    const entry = server.connz({ auth: true }).connections.find((c) => c.name === "alice");
    assert.equal(entry?.account, a.getPublicKey());
    const denied = (async () => {
      for await (const s of alice.status()) if (s.type === "error") return String(s.error);
      return "";
    })();
    alice.publish("b.x");
    assert.match(await denied, /permissions violation for publish to "b.x"/i);
    await assert.rejects(tryConnect(t, server.url, { authenticator: credsAuthenticator(sentinel), name: "mallory" }), isAuthError);
    await assert.rejects(tryConnect(t, server.url, { authenticator: credsAuthenticator(sentinel), name: "outsider" }), isAuthError, "B is not an allowed account");
    assert.equal(svc.requests.length, 3);
  });

  it("users of accounts without authorization, and the auth users, never reach the service", async (t) => {
    const { server, svc, a } = await setup(t);
    await tryConnect(t, server.url, { authenticator: credsAuthenticator(await creds(a)), name: "plain" });
    assert.equal(svc.requests.length, 0);
    assert.equal(server.connz({ auth: true }).connections.find((c) => c.name === "plain")?.account, a.getPublicKey());
  });

  it("xkey from the account JWT: the request arrives sealed and a sealed answer is opened", async (t) => {
    const curve = createCurve();
    const { server, svc, sentinel, a } = await setup(t, curve);
    await tryConnect(t, server.url, { authenticator: credsAuthenticator(sentinel), name: "alice" });
    assert.match(svc.lastXkeyHeader ?? "", /^X[A-Z2-7]{55}$/);
    assert.equal(server.connz({ auth: true }).connections.find((c) => c.name === "alice")?.account, a.getPublicKey());
  });
});

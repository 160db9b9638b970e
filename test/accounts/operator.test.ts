/**
 * Operator mode (decentralized JWT authentication), through the official client's creds and
 * JWT authenticators: an operator signs accounts, accounts (or their signing keys) sign users,
 * and the server trusts only that chain, as nats-server with `resolver: MEMORY`.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";
import { connect, credsAuthenticator, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { createServer, type ServerOptions } from "../../src/index.ts";
import { startBroker } from "../helpers/broker.ts";
import { RawClient } from "../helpers/raw-client.ts";
import { UNLIMITED } from "./operator-fixture.ts";

interface Fixture {
  operatorJwt: string;
  accounts: Record<string, string>;
  orders: KeyPair;
  shop: KeyPair;
  sys: KeyPair;
  ordersSigner: KeyPair;
}


async function fixture(): Promise<Fixture> {
  const operator = createOperator();
  const orders = createAccount();
  const shop = createAccount();
  const sys = createAccount();
  const ordersSigner = createAccount();
  const operatorJwt = await encodeOperator("OP", operator, { system_account: sys.getPublicKey() });
  const accounts = {
    [orders.getPublicKey()]: await encodeAccount(
      "ORDERS",
      orders,
      { ...UNLIMITED, signing_keys: [ordersSigner.getPublicKey()], exports: [{ name: "orders", subject: "orders.>", type: "stream" }] },
      { signer: operator },
    ),
    [shop.getPublicKey()]: await encodeAccount(
      "SHOP",
      shop,
      { ...UNLIMITED, imports: [{ name: "orders", subject: "orders.>", account: orders.getPublicKey(), type: "stream", to: "feed" }] },
      { signer: operator },
    ),
    [sys.getPublicKey()]: await encodeAccount("SYS", sys, UNLIMITED, { signer: operator }),
  };
  return { operatorJwt, accounts, orders, shop, sys, ordersSigner };
}

const operatorOptions = (f: Fixture): ServerOptions => ({ operator: { operators: [f.operatorJwt], accounts: f.accounts } });

async function userCreds(account: KeyPair, user = createUser(), claims: Parameters<typeof encodeUser>[3] = {}, opts: Parameters<typeof encodeUser>[4] = {}, signer?: KeyPair) {
  const jwt = await encodeUser("u", user, signer ?? account, { ...(signer === undefined ? {} : { issuer_account: account.getPublicKey() }), ...claims }, opts);
  return { jwt, user, creds: fmtCreds(jwt, user) };
}

async function open(t: TestContext, url: string, authenticator: ReturnType<typeof credsAuthenticator>): Promise<NatsConnection> {
  const nc = await connect({ servers: url, authenticator, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

describe("operator mode", () => {
  it("a .creds user connects into its account; accounts stay apart but for the JWT's imports", async (t) => {
    const f = await fixture();
    const server = await startBroker(t, operatorOptions(f));
    const orders = await open(t, server.url, credsAuthenticator((await userCreds(f.orders)).creds));
    const shop = await open(t, server.url, credsAuthenticator((await userCreds(f.shop)).creds));
    assert.equal(orders.info?.auth_required, true);
    assert.equal(typeof orders.info?.nonce, "string");
    const got: string[] = [];
    shop.subscribe(">", { callback: (_err, msg) => void got.push(`${msg.subject} ${msg.string()}`) });
    await shop.flush();
    orders.publish("orders.created", "42");
    orders.publish("private", "no");
    await orders.flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(got, ["feed.orders.created 42"]);
    const connz = server.connz({ auth: true }).connections.map((c) => c.account).sort();
    assert.deepEqual(connz, [f.orders.getPublicKey(), f.shop.getPublicKey()].sort());
  });

  it("jwtAuthenticator with a seed, a signing key's user, and a bearer token without a signature", async (t) => {
    const f = await fixture();
    const server = await startBroker(t, operatorOptions(f));
    const plain = await userCreds(f.orders);
    await open(t, server.url, jwtAuthenticator(plain.jwt, plain.user.getSeed()));
    const signed = await userCreds(f.orders, createUser(), {}, {}, f.ordersSigner);
    await open(t, server.url, credsAuthenticator(signed.creds));
    const bearer = await userCreds(f.orders, createUser(), { bearer_token: true });
    await open(t, server.url, jwtAuthenticator(bearer.jwt));
    // Without bearer_token, a JWT alone (no signature of the nonce) is refused.
    await assert.rejects(open(t, server.url, jwtAuthenticator(plain.jwt)), /authorization violation/i);
  });

  it("refuses a user of an unknown account, of a key the account does not trust, or expired", async (t) => {
    const f = await fixture();
    const server = await startBroker(t, operatorOptions(f));
    const stranger = createAccount();
    await assert.rejects(open(t, server.url, credsAuthenticator((await userCreds(stranger)).creds)), /authorization violation/i);
    const rogue = await userCreds(f.orders, createUser(), {}, {}, createAccount());
    await assert.rejects(open(t, server.url, credsAuthenticator(rogue.creds)), /authorization violation/i);
    const expired = await userCreds(f.orders, createUser(), {}, { exp: Math.floor(Date.now() / 1000) - 10 });
    await assert.rejects(open(t, server.url, credsAuthenticator(expired.creds)), /authorization violation/i);
  });

  it("the JWT's permissions apply, and the client is told when its credentials expire", async (t) => {
    const f = await fixture();
    const server = await startBroker(t, operatorOptions(f));
    const limited = await userCreds(f.orders, createUser(), { pub: { allow: ["ok.>"] }, sub: { allow: ["_INBOX.>", "ok.>"] } });
    const raw = await RawClient.connect(server.port);
    t.after(() => raw.destroy());
    await raw.waitFor("\r\n");
    const info = JSON.parse(raw.text().split("\r\n")[0]!.slice(5)) as { nonce: string };
    const sig = Buffer.from(limited.user.sign(new TextEncoder().encode(info.nonce))).toString("base64url");
    raw.send(`CONNECT {"jwt":"${limited.jwt}","sig":"${sig}","verbose":false,"protocol":1}\r\nPUB not.ok 0\r\n\r\nPING\r\n`);
    await raw.waitFor("PONG\r\n");
    assert.match(raw.text(), /-ERR 'Permissions Violation for Publish to "not\.ok"'\r\nPONG\r\n$/);

    const soon = await userCreds(f.orders, createUser(), {}, { exp: Math.floor(Date.now() / 1000) + 2 });
    const nc = await connect({ servers: server.url, authenticator: credsAuthenticator(soon.creds), reconnect: false });
    const closed = await nc.closed();
    assert.match(String(closed), /user authentication expired/i);
  });

  it("the operator's system account sees the events; nc.context() names the account key", async (t) => {
    const f = await fixture();
    const server = await startBroker(t, operatorOptions(f));
    const sys = await open(t, server.url, credsAuthenticator((await userCreds(f.sys)).creds));
    const varz = (await sys.request("$SYS.REQ.SERVER.PING.VARZ", "", { timeout: 1000 })).json<{ data: { server_id: string } }>();
    assert.equal(varz.data.server_id, server.id);
    const orders = await open(t, server.url, credsAuthenticator((await userCreds(f.orders)).creds));
    const ctx = (await orders.request("$SYS.REQ.USER.INFO", "", { timeout: 1000 })).json<{ data: { account: string } }>();
    assert.equal(ctx.data.account, f.orders.getPublicKey());
  });

  it("refuses what nats-server refuses: an account JWT not signed by the operator, users beside it", async () => {
    const f = await fixture();
    const other = createOperator();
    const forged = createAccount();
    const accounts = { ...f.accounts, [forged.getPublicKey()]: await encodeAccount("X", forged, {}, { signer: other }) };
    assert.throws(() => createServer({ operator: { operators: [f.operatorJwt], accounts } }), /not signed by a trusted operator/);
    assert.throws(() => createServer({ ...operatorOptions(f), authorization: { users: [{ user: "a", password: "b" }] } }), /operator mode does not allow/);
    assert.throws(() => createServer({ operator: { operators: ["not.a.jwt"] } }), /invalid JWT/);
  });
});

describe("operator mode in a configuration file, against nats-server", () => {
  /** What a client scenario sees: deliveries across the JWT import, and who gets in. */
  async function scenario(url: string, f: Fixture): Promise<string[]> {
    const seen: string[] = [];
    const shop = await connect({ servers: url, authenticator: credsAuthenticator((await userCreds(f.shop)).creds), reconnect: false });
    const orders = await connect({ servers: url, authenticator: credsAuthenticator((await userCreds(f.orders)).creds), reconnect: false });
    try {
      shop.subscribe(">", { callback: (_err, msg) => void seen.push(`shop got ${msg.subject} ${msg.string()}`) });
      await shop.flush();
      orders.publish("orders.created", "1");
      orders.publish("orders.eu.updated", "2");
      orders.publish("private", "3");
      await orders.flush();
      await new Promise((resolve) => setTimeout(resolve, 150));
      for (const [name, account] of [["stranger", createAccount()], ["rogue signer", undefined]] as const) {
        const creds = account === undefined ? (await userCreds(f.orders, createUser(), {}, {}, createAccount())).creds : (await userCreds(account)).creds;
        try {
          const nc = await connect({ servers: url, authenticator: credsAuthenticator(creds), reconnect: false });
          seen.push(`${name} connected`);
          await nc.close();
        } catch (err) {
          seen.push(`${name} refused: ${/authorization violation/i.test(String(err)) ? "Authorization Violation" : String(err)}`);
        }
      }
    } finally {
      await shop.close();
      await orders.close();
    }
    return seen.sort();
  }

  it("the same file, the same clients: the same deliveries and refusals", { timeout: 60_000 }, async (t) => {
    const { hasNatsServer, startNatsServer } = await import("../helpers/nats-server-process.ts");
    if (!hasNatsServer()) {
      assert.notEqual(process.env["CI"], "true", "nats-server is not installed: .ci/run must apt-get install it");
      t.skip("nats-server binary not installed");
      return;
    }
    const f = await fixture();
    const preload = Object.entries(f.accounts)
      .map(([key, jwt]) => `  ${key}: "${jwt}"`)
      .join("\n");
    const config = `operator: "${f.operatorJwt}"\nsystem_account: ${f.sys.getPublicKey()}\nresolver: MEMORY\nresolver_preload {\n${preload}\n}\n`;
    const reference = await startNatsServer([], { config });
    let expected: string[];
    try {
      expected = await scenario(`nats://127.0.0.1:${reference.port}`, f);
    } finally {
      await reference.stop();
    }
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "operator-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "op.conf"), config);
    const ours = createServer({ configFile: join(dir, "op.conf"), host: "127.0.0.1", port: 0 });
    await ours.listen();
    let actual: string[];
    try {
      actual = await scenario(`nats://127.0.0.1:${ours.ports.nats!.port}`, f);
    } finally {
      await ours.close();
    }
    assert.ok(expected.includes("shop got feed.orders.created 1"), expected.join("\n"));
    assert.deepEqual(actual, expected);
  });
});

describe("operator mode: the account JWT's limits", () => {
  it("conn and subs are enforced as nats-server does, and a JWT without limits admits no one", async (t) => {
    const operator = createOperator();
    const small = createAccount();
    const bare = createAccount();
    const accounts = {
      [small.getPublicKey()]: await encodeAccount("SMALL", small, { limits: { conn: 1, subs: 2, data: -1, payload: -1 } }, { signer: operator }),
      [bare.getPublicKey()]: await encodeAccount("BARE", bare, {}, { signer: operator }),
    };
    const server = await startBroker(t, { operator: { operators: [await encodeOperator("OP", operator)], accounts } });
    // Raw, to see each -ERR: the third SUB is over the account's two per connection.
    const first = await userCreds(small);
    const raw = await RawClient.connect(server.port);
    t.after(() => raw.destroy());
    await raw.waitFor("\r\n");
    const info = JSON.parse(raw.text().split("\r\n")[0]!.slice(5)) as { nonce: string };
    const sig = Buffer.from(first.user.sign(new TextEncoder().encode(info.nonce))).toString("base64url");
    raw.send(`CONNECT {"jwt":"${first.jwt}","sig":"${sig}","verbose":false,"protocol":1}\r\nSUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPING\r\n`);
    await raw.waitFor("PONG\r\n");
    assert.match(raw.text(), /\r\n-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n$/);
    await assert.rejects(open(t, server.url, credsAuthenticator((await userCreds(small)).creds)), /maximum account active connections exceeded/i);
    // The first one leaving frees its place.
    raw.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await open(t, server.url, credsAuthenticator((await userCreds(small)).creds));
    await assert.rejects(open(t, server.url, credsAuthenticator((await userCreds(bare)).creds)), /maximum account active connections exceeded/i);
  });
});

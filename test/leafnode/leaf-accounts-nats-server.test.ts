/**
 * Leaf nodes bound to accounts against Debian's nats-server 2.9.10, each way: our broker as a
 * leaf whose remotes bind local accounts A and B to a nats-server hub whose leaf users are in
 * X and Y; nats-server as a leaf with `remotes [{ url, account }]` dialing our hub; and `.creds`
 * remotes against operator-mode hubs (theirs and ours). Traffic must go A↔X and B↔Y only.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { createAccount, createOperator, createUser } from "@nats-io/nkeys";
import { credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { eventually, freePort, linksUp, sleep, startHub, startLeafBroker } from "./helpers.ts";
import { client, listen, publishUntilReceived, settle, type Inbox } from "./leaf-accounts-helpers.ts";

const skip = hasNatsServer() ? false : "nats-server is not installed";

/** A directory removed when the test ends. */
function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "leaf-accounts-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The four clients of a two-account test: A and B on the leaf, X and Y on the hub. */
interface Sides {
  a: NatsConnection;
  b: NatsConnection;
  x: NatsConnection;
  y: NatsConnection;
}

/**
 * Each side subscribes to `t.>`; A's and B's publishes must reach X and Y respectively, X's and
 * Y's reach A and B, and nothing reaches the other account.
 */
async function assertIsolated(s: Sides): Promise<void> {
  const inbox: Record<keyof Sides, Inbox> = {
    a: await listen(s.a, "t.>"),
    b: await listen(s.b, "t.>"),
    x: await listen(s.x, "t.>"),
    y: await listen(s.y, "t.>"),
  };
  await publishUntilReceived(s.a, "t.fromA", "a", inbox.x);
  await publishUntilReceived(s.b, "t.fromB", "b", inbox.y);
  await publishUntilReceived(s.x, "t.fromX", "x", inbox.a);
  await publishUntilReceived(s.y, "t.fromY", "y", inbox.b);
  await settle(s.a, s.b, s.x, s.y);
  const subjects = (got: string[]): string[] => [...new Set(got.map((m) => m.split(":")[0]))].sort();
  assert.deepEqual(subjects(inbox.x.got), ["t.fromA", "t.fromX"]);
  assert.deepEqual(subjects(inbox.y.got), ["t.fromB", "t.fromY"]);
  assert.deepEqual(subjects(inbox.a.got), ["t.fromA", "t.fromX"]);
  assert.deepEqual(subjects(inbox.b.got), ["t.fromB", "t.fromY"]);
}

/** nats-server's `/leafz` accounts, sorted. */
async function leafzAccounts(httpPort: number): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/leafz`);
  const z = (await res.json()) as { leafs: { account: string }[] | null };
  return (z.leafs ?? []).map((l) => l.account).sort();
}

/**
 * Polls `accountsOf` until it lists as many links as `want`, then asserts it equals `want`: a
 * side that dialed counts its link up once its CONNECT is sent, before the other side lists it.
 */
async function accountsBecome(accountsOf: () => Promise<string[]>, want: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  let got = await accountsOf();
  while (got.length < want.length && Date.now() < deadline) {
    await sleep(50);
    got = await accountsOf();
  }
  assert.deepEqual(got, want);
}

const NATS_ACCOUNTS_XY = `accounts { X { users [{user: cx, password: cx}] }, Y { users [{user: cy, password: cy}] } }`;
const NATS_ACCOUNTS_AB = `accounts { A { users [{user: ca, password: ca}] }, B { users [{user: cb, password: cb}] } }`;
const pair = (name: string): { user: string; password: string }[] => [{ user: name, password: name }];

/** An operator with accounts P and Q (JWTs), and a user's `.creds` in each. */
async function operatorFixture(): Promise<{ operatorJwt: string; accounts: Record<string, string>; p: string; q: string; pCreds: string; qCreds: string }> {
  const operator = createOperator();
  const p = createAccount();
  const q = createAccount();
  const unlimited = { limits: { conn: -1, subs: -1, data: -1, payload: -1, leaf: -1, imports: -1, exports: -1, wildcards: true } };
  const operatorJwt = await encodeOperator("OP", operator);
  const accounts = {
    [p.getPublicKey()]: await encodeAccount("P", p, unlimited, { signer: operator }),
    [q.getPublicKey()]: await encodeAccount("Q", q, unlimited, { signer: operator }),
  };
  const creds = async (account: typeof p, name: string): Promise<string> => {
    const user = createUser();
    const jwt = await encodeUser(name, user, account);
    return new TextDecoder().decode(fmtCreds(jwt, user));
  };
  return { operatorJwt, accounts, p: p.getPublicKey(), q: q.getPublicKey(), pCreds: await creds(p, "up"), qCreds: await creds(q, "uq") };
}

const credsOf = (text: string): { authenticator: ReturnType<typeof credsAuthenticator> } => ({ authenticator: credsAuthenticator(new TextEncoder().encode(text)) });

describe("leaf nodes bound to accounts, with nats-server 2.9.10", { skip, timeout: 90_000 }, () => {
  it("our leaf binds A and B to a nats-server hub's leaf users in X and Y", async (t) => {
    const hub = await startHub(t, {
      leafAuth: `authorization { users [ {user: lx, password: lx, account: X}, {user: ly, password: ly, account: Y} ] }`,
      extra: NATS_ACCOUNTS_XY,
    });
    const leaf = await startLeafBroker(t, {
      accounts: { A: { users: pair("ca") }, B: { users: pair("cb") } },
      leafnodes: {
        remotes: [
          { urls: [`nats-leaf://127.0.0.1:${hub.leafPort}`], user: "lx", password: "lx", account: "A" },
          { urls: [`nats-leaf://127.0.0.1:${hub.leafPort}`], user: "ly", password: "ly", account: "B" },
        ],
      },
    });
    await linksUp(leaf, 2);
    await accountsBecome(() => leafzAccounts(hub.httpPort), ["X", "Y"]);
    assert.deepEqual(leaf.leafNodes.map((l) => l.account).sort(), ["A", "B"]);
    await assertIsolated({
      a: await client(t, leaf.url, { user: "ca", pass: "ca" }),
      b: await client(t, leaf.url, { user: "cb", pass: "cb" }),
      x: await client(t, hub.url, { user: "cx", pass: "cx" }),
      y: await client(t, hub.url, { user: "cy", pass: "cy" }),
    });
  });

  it("a nats-server leaf with remotes [{ url, account }] binds A and B to our hub's users in X and Y", async (t) => {
    const hub = await startLeafBroker(t, {
      accounts: { X: { users: pair("cx") }, Y: { users: pair("cy") } },
      leafnodes: {
        port: 0,
        authorization: {
          users: [
            { user: "lx", password: "lx", account: "X" },
            { user: "ly", password: "ly", account: "Y" },
          ],
        },
      },
    });
    const httpPort = await freePort();
    const port = hub.leafNodePort!;
    const spoke = await startNatsServer(
      [],
      `server_name: spoke\nhttp: 127.0.0.1:${httpPort}\n${NATS_ACCOUNTS_AB}\nleafnodes { remotes [ {url: "nats-leaf://lx:lx@127.0.0.1:${port}", account: A}, {url: "nats-leaf://ly:ly@127.0.0.1:${port}", account: B} ] }\n`,
    );
    t.after(() => spoke.stop());
    await linksUp(hub, 2);
    assert.deepEqual(hub.leafNodes.map((l) => l.account).sort(), ["X", "Y"]);
    await accountsBecome(() => leafzAccounts(httpPort), ["A", "B"]);
    const spokeUrl = `nats://127.0.0.1:${spoke.port}`;
    await assertIsolated({
      a: await client(t, spokeUrl, { user: "ca", pass: "ca" }),
      b: await client(t, spokeUrl, { user: "cb", pass: "cb" }),
      x: await client(t, hub.url, { user: "cx", pass: "cx" }),
      y: await client(t, hub.url, { user: "cy", pass: "cy" }),
    });
  });

  it("our leaf's .creds remotes bind A and B to the JWTs' accounts of an operator-mode nats-server hub", async (t) => {
    const f = await operatorFixture();
    const preload = Object.entries(f.accounts).map(([key, jwt]) => `${key}: ${jwt}`).join("\n  ");
    const hub = await startHub(t, { leafAuth: "", extra: `operator: ${f.operatorJwt}\nresolver: MEMORY\nresolver_preload: {\n  ${preload}\n}\n` });
    const dir = scratch(t);
    writeFileSync(join(dir, "p.creds"), f.pCreds);
    writeFileSync(join(dir, "q.creds"), f.qCreds);
    const leaf = await startLeafBroker(t, {
      accounts: { A: { users: pair("ca") }, B: { users: pair("cb") } },
      leafnodes: {
        remotes: [
          { urls: [`nats-leaf://127.0.0.1:${hub.leafPort}`], credentialsFile: join(dir, "p.creds"), account: "A" },
          { urls: [`nats-leaf://127.0.0.1:${hub.leafPort}`], credentialsFile: join(dir, "q.creds"), account: "B" },
        ],
      },
    });
    await linksUp(leaf, 2);
    await accountsBecome(() => leafzAccounts(hub.httpPort), [f.p, f.q].sort());
    await assertIsolated({
      a: await client(t, leaf.url, { user: "ca", pass: "ca" }),
      b: await client(t, leaf.url, { user: "cb", pass: "cb" }),
      x: await client(t, hub.url, credsOf(f.pCreds)),
      y: await client(t, hub.url, credsOf(f.qCreds)),
    });
  });

  it("a nats-server leaf's .creds remotes bind A and B to the JWTs' accounts of our operator-mode hub", async (t) => {
    const f = await operatorFixture();
    const hub = await startLeafBroker(t, { operator: { operators: [f.operatorJwt], accounts: f.accounts }, leafnodes: { port: 0 } });
    const dir = scratch(t);
    writeFileSync(join(dir, "p.creds"), f.pCreds);
    writeFileSync(join(dir, "q.creds"), f.qCreds);
    const port = hub.leafNodePort!;
    const spoke = await startNatsServer(
      [],
      `server_name: spoke\n${NATS_ACCOUNTS_AB}\nleafnodes { remotes [ {url: "nats-leaf://127.0.0.1:${port}", credentials: "${join(dir, "p.creds")}", account: A}, {url: "nats-leaf://127.0.0.1:${port}", credentials: "${join(dir, "q.creds")}", account: B} ] }\n`,
    );
    t.after(() => spoke.stop());
    await linksUp(hub, 2);
    assert.deepEqual(hub.leafNodes.map((l) => l.account).sort(), [f.p, f.q].sort());
    const spokeUrl = `nats://127.0.0.1:${spoke.port}`;
    await assertIsolated({
      a: await client(t, spokeUrl, { user: "ca", pass: "ca" }),
      b: await client(t, spokeUrl, { user: "cb", pass: "cb" }),
      x: await client(t, hub.url, credsOf(f.pCreds)),
      y: await client(t, hub.url, credsOf(f.qCreds)),
    });
  });

  it("without leaf authorization, both hubs check a spoke as a client: no_auth_user's account, or its user's", async (t) => {
    // One spoke after the other, so that each account seen is known to be that spoke's.
    // Our side counts a link up once its CONNECT is sent: the hub's list is polled.
    const expected = async (accountsOf: () => Promise<string[]>, hubLeafPort: number): Promise<void> => {
      const sees = (want: string[]): Promise<void> => accountsBecome(accountsOf, want);
      await startLeafBroker(t, { leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hubLeafPort}`] }] } });
      await sees(["Y"]);
      await startLeafBroker(t, { leafnodes: { remotes: [{ urls: [`nats-leaf://cx:cx@127.0.0.1:${hubLeafPort}`] }] } });
      await sees(["X", "Y"]);
    };
    // nats-server: users in accounts, no_auth_user in Y, a leaf port with no authorization.
    const natsHub = await startHub(t, { leafAuth: "", extra: `${NATS_ACCOUNTS_XY}\nno_auth_user: cy\n` });
    await expected(() => leafzAccounts(natsHub.httpPort), natsHub.leafPort);
    // Ours, from the same settings.
    const ourHub = await startLeafBroker(t, { accounts: { X: { users: pair("cx") }, Y: { users: pair("cy") } }, authorization: { noAuthUser: "cy" }, leafnodes: { port: 0 } });
    await expected(async () => ourHub.leafNodes.map((l) => l.account).sort(), ourHub.leafNodePort!);
  });

  it("a wrong leaf password gets nats-server's Authorization Violation from both hubs", async (t) => {
    // Theirs, refusing our leaf.
    const natsHub = await startHub(t, {
      leafAuth: `authorization { users [ {user: lx, password: lx, account: X} ] }`,
      extra: NATS_ACCOUNTS_XY,
    });
    const leaf = await startLeafBroker(t, {
      accounts: { A: {} },
      leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${natsHub.leafPort}`], user: "lx", password: "nope", account: "A", reconnectDelay: 60_000 }] },
    });
    const errors: string[] = [];
    leaf.on("leafnode:error", (_l, text) => errors.push(text));
    await eventually(() => errors.length > 0, "nats-server's -ERR", 10_000);
    assert.deepEqual(errors, ["Authorization Violation"]);
    assert.equal(leaf.leafNodes.length, 0);

    // Ours, refusing a nats-server leaf: it logs the same error text it would get from itself.
    const ourHub = await startLeafBroker(t, {
      accounts: { X: {} },
      leafnodes: { port: 0, authorization: { users: [{ user: "lx", password: "lx", account: "X" }] } },
    });
    const spoke = await startNatsServer([], `server_name: spoke\n${NATS_ACCOUNTS_AB}\nleafnodes { remotes [ {url: "nats-leaf://lx:nope@127.0.0.1:${ourHub.leafNodePort!}", account: A} ] }\n`);
    t.after(() => spoke.stop());
    await eventually(() => /Authorization Violation/.test(spoke.log()), "the nats-server leaf to log our refusal", 10_000);
    assert.equal(ourHub.leafNodes.length, 0);
  });
});

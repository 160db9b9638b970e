/**
 * Operator mode's resolvers: the directory resolver reads account JWTs from its directory and
 * takes claim updates pushed in the system account (what `nsc push` sends), lookups and lists;
 * the MEMORY resolver takes updates for the accounts it has. Updates apply at once: new
 * accounts, limits, exports and imports, revocations. Through the official client.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { encodeAccount, encodeOperator, encodeUser } from "@nats-io/jwt";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";
import { connect, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { parseConfig } from "../../src/config/parser.ts";

const UNLIMITED = { conn: -1, subs: -1, data: -1, payload: -1, leaf: -1, imports: -1, exports: -1, wildcards: true };

interface World {
  operator: KeyPair;
  operatorJwt: string;
  sys: KeyPair;
  a: KeyPair;
  b: KeyPair;
  dir: string;
}

async function world(t: TestContext): Promise<World> {
  const operator = createOperator();
  const [sys, a, b] = [createAccount(), createAccount(), createAccount()];
  const dir = mkdtempSync(join(tmpdir(), "resolver-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const operatorJwt = await encodeOperator("O", operator, { system_account: sys.getPublicKey() });
  writeFileSync(join(dir, `${sys.getPublicKey()}.jwt`), await encodeAccount("SYS", sys, { limits: UNLIMITED }, { signer: operator }));
  writeFileSync(join(dir, `${a.getPublicKey()}.jwt`), await encodeAccount("A", a, { limits: UNLIMITED }, { signer: operator }));
  return { operator, operatorJwt, sys, a, b, dir };
}

async function start(t: TestContext, options: ServerOptions): Promise<Server> {
  const server = createServer({ host: "127.0.0.1", port: 0, ...options });
  await server.listen();
  t.after(() => server.close());
  return server;
}

async function login(t: TestContext, server: Server, account: KeyPair, user = createUser()): Promise<NatsConnection> {
  const jwt = await encodeUser("U", user, account, { bearer_token: true });
  const nc = await connect({ servers: `127.0.0.1:${server.ports.nats!.port}`, authenticator: jwtAuthenticator(jwt), reconnect: false });
  t.after(() => nc.close());
  return nc;
}

async function refused(server: Server, account: KeyPair, why = /Authorization Violation/i): Promise<boolean> {
  const jwt = await encodeUser("U", createUser(), account, { bearer_token: true });
  try {
    const nc = await connect({ servers: `127.0.0.1:${server.ports.nats!.port}`, authenticator: jwtAuthenticator(jwt), reconnect: false });
    await nc.close();
    return false;
  } catch (err) {
    return why.test(String(err));
  }
}

const TOO_MANY = /maximum account active connections exceeded/i;

type UpdateAnswer = { data?: { account: string; code: number; message: string }; error?: { account: string; code: number; description: string } };

async function push(sys: NatsConnection, subject: string, jwt: string): Promise<UpdateAnswer> {
  return (await sys.request(subject, jwt, { timeout: 2000 })).json<UpdateAnswer>();
}

test("the directory resolver: accounts from files, a pushed account, lookups and the list", async (t) => {
  const w = await world(t);
  const server = await start(t, { operator: { operators: [w.operatorJwt], resolver: { dir: w.dir } } });
  await login(t, server, w.a);
  assert.equal(await refused(server, w.b), true, "B is not known yet");
  const sys = await login(t, server, w.sys);
  const bJwt = await encodeAccount("B", w.b, { limits: UNLIMITED }, { signer: w.operator });
  const answer = await push(sys, "$SYS.REQ.CLAIMS.UPDATE", bJwt);
  assert.deepEqual(answer.data, { account: w.b.getPublicKey(), code: 200, message: "jwt updated" });
  assert.equal(readFileSync(join(w.dir, `${w.b.getPublicKey()}.jwt`), "utf8"), bJwt);
  await login(t, server, w.b);
  const lookup = await sys.request(`$SYS.REQ.ACCOUNT.${w.b.getPublicKey()}.CLAIMS.LOOKUP`, "", { timeout: 2000 });
  assert.equal(lookup.string(), bJwt);
  const missing = await sys.request(`$SYS.REQ.ACCOUNT.${createAccount().getPublicKey()}.CLAIMS.LOOKUP`, "", { timeout: 2000 });
  assert.equal(missing.data.length, 0);
  const list = (await sys.request("$SYS.REQ.CLAIMS.LIST", "", { timeout: 2000 })).json<{ data: string[] }>();
  assert.deepEqual(list.data.sort(), [w.sys.getPublicKey(), w.a.getPublicKey(), w.b.getPublicKey()].sort());
  // Only the system account's users reach these subjects.
  const a = await login(t, server, w.a);
  await assert.rejects(a.request("$SYS.REQ.CLAIMS.LIST", "", { timeout: 500 }), /no responders|timeout/i);

  // A restart reads the pushed account back from the directory.
  await server.close();
  const again = await start(t, { operator: { operators: [w.operatorJwt], resolver: { dir: w.dir } } });
  await login(t, again, w.b);
});

test("an update applies at once: limits, exports and imports, revocations", async (t) => {
  const w = await world(t);
  const bJwt = await encodeAccount("B", w.b, { limits: UNLIMITED }, { signer: w.operator });
  writeFileSync(join(w.dir, `${w.b.getPublicKey()}.jwt`), bJwt);
  const server = await start(t, { operator: { operators: [w.operatorJwt], resolver: { dir: w.dir } } });
  const sys = await login(t, server, w.sys);
  const revoked = createUser();
  const a1 = await login(t, server, w.a, revoked);
  const b = await login(t, server, w.b);

  // A exports a stream, B imports it: messages cross once both updates are in.
  const later = (s: number) => new Promise((resolve) => setTimeout(resolve, s));
  await later(1100); // JWT iat has one-second resolution: a newer JWT must carry a later second.
  const aJwt = await encodeAccount("A", w.a, { limits: UNLIMITED, exports: [{ name: "feed", subject: "feed.>", type: "stream" }], revocations: { [revoked.getPublicKey()]: Math.floor(Date.now() / 1000) } }, { signer: w.operator });
  const bImports = await encodeAccount("B", w.b, { limits: { ...UNLIMITED, conn: 2 }, imports: [{ name: "feed", subject: "feed.>", account: w.a.getPublicKey(), type: "stream" }] }, { signer: w.operator });
  const closed = a1.closed();
  assert.deepEqual((await push(sys, `$SYS.REQ.ACCOUNT.${w.a.getPublicKey()}.CLAIMS.UPDATE`, aJwt)).data?.message, "jwt updated");
  // The revoked user is cut; a user not revoked connects.
  const why = await Promise.race([closed, later(2000).then(() => "still open")]);
  assert.notEqual(why, "still open");
  const a2 = await login(t, server, w.a);
  assert.deepEqual((await push(sys, "$SYS.REQ.CLAIMS.UPDATE", bImports)).data?.message, "jwt updated");
  const got: string[] = [];
  b.subscribe("feed.>", { callback: (_err, msg) => void got.push(msg.string()) });
  await b.flush();
  a2.publish("feed.x", "crossed");
  await a2.flush();
  await later(100);
  assert.deepEqual(got, ["crossed"]);
  // B's new connection limit (2: b is one) admits one more and refuses the next.
  await login(t, server, w.b);
  assert.equal(await refused(server, w.b, TOO_MANY), true);

  // An older JWT is kept out, and the answer still says updated (nats-server's store).
  assert.deepEqual((await push(sys, "$SYS.REQ.CLAIMS.UPDATE", bJwt)).data?.message, "jwt updated");
  assert.equal(readFileSync(join(w.dir, `${w.b.getPublicKey()}.jwt`), "utf8"), bImports);
});

test("updates nats-server refuses are answered with an error and change nothing", async (t) => {
  const w = await world(t);
  const server = await start(t, { operator: { operators: [w.operatorJwt], resolver: { dir: w.dir } } });
  const sys = await login(t, server, w.sys);
  const garbage = await push(sys, "$SYS.REQ.CLAIMS.UPDATE", "not a jwt");
  assert.equal(garbage.error?.code, 500);
  assert.match(garbage.error!.description, /^jwt update resulted in error - /);
  const stranger = createOperator();
  const foreign = await push(sys, "$SYS.REQ.CLAIMS.UPDATE", await encodeAccount("B", w.b, { limits: UNLIMITED }, { signer: stranger }));
  assert.match(foreign.error!.description, /not signed by a trusted operator/);
  const mismatch = await push(sys, `$SYS.REQ.ACCOUNT.${w.a.getPublicKey()}.CLAIMS.UPDATE`, await encodeAccount("B", w.b, { limits: UNLIMITED }, { signer: w.operator }));
  assert.equal(mismatch.error?.code, 500);
  const empty = await push(sys, `$SYS.REQ.ACCOUNT.${w.a.getPublicKey()}.CLAIMS.UPDATE`, "");
  assert.equal(empty.error?.description, "jwt update error - request body is empty");
  assert.equal(existsSync(join(w.dir, `${w.b.getPublicKey()}.jwt`)), false);
  assert.equal(await refused(server, w.b), true);
});

test("the MEMORY resolver takes updates for the accounts it has, and skips the others", async (t) => {
  const w = await world(t);
  const accounts = {
    [w.sys.getPublicKey()]: readFileSync(join(w.dir, `${w.sys.getPublicKey()}.jwt`), "utf8"),
    [w.a.getPublicKey()]: readFileSync(join(w.dir, `${w.a.getPublicKey()}.jwt`), "utf8"),
  };
  const server = await start(t, { operator: { operators: [w.operatorJwt], accounts } });
  const sys = await login(t, server, w.sys);
  const skipped = await push(sys, `$SYS.REQ.ACCOUNT.${w.b.getPublicKey()}.CLAIMS.UPDATE`, await encodeAccount("B", w.b, { limits: UNLIMITED }, { signer: w.operator }));
  assert.deepEqual(skipped.data, { account: w.b.getPublicKey(), code: 200, message: "jwt update skipped" });
  assert.equal(await refused(server, w.b), true);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const limited = await encodeAccount("A", w.a, { limits: { ...UNLIMITED, conn: 1 } }, { signer: w.operator });
  assert.deepEqual((await push(sys, `$SYS.REQ.ACCOUNT.${w.a.getPublicKey()}.CLAIMS.UPDATE`, limited)).data?.message, "jwt updated");
  await login(t, server, w.a);
  assert.equal(await refused(server, w.a, TOO_MANY), true);
  // The directory-only subjects are not served.
  await assert.rejects(sys.request("$SYS.REQ.CLAIMS.LIST", "", { timeout: 500 }), /no responders|timeout/i);
});

test("resolver { type: full, dir } in a configuration file", () => {
  const file = "/conf/op.conf";
  const jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.c2ln";
  const { options, warnings } = optionsFromConfig(parseConfig(`operator: ${jwt}\nresolver { type: full, dir: "./jwt", allow_delete: false }`, { file, env: {} }), { file });
  assert.deepEqual(options.operator, { operators: [jwt], accounts: {}, resolver: { dir: "./jwt" } });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /resolver "allow_delete" is not supported yet/);
  assert.throws(() => optionsFromConfig(parseConfig(`operator: ${jwt}\nresolver: URL(http://x)`, { file, env: {} }), { file }), /a URL resolver is not/);
  assert.throws(() => optionsFromConfig(parseConfig(`operator: ${jwt}\nresolver { type: full }`, { file, env: {} }), { file }), /needs a dir/);
});

test("a claim update turns an account's JetStream on, changes its limits, and turns it off", async (t) => {
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const w = await world(t);
  const store = mkdtempSync(join(tmpdir(), "resolver-js-"));
  t.after(() => rmSync(store, { recursive: true, force: true }));
  const server = await start(t, { operator: { operators: [w.operatorJwt], resolver: { dir: w.dir } }, jetstream: { storeDir: store } });
  const sys = await login(t, server, w.sys);
  // Updates within the same second are taken: only an older `iat` is kept out.
  const withJs = (streams: number) => encodeAccount("B", w.b, { limits: { ...UNLIMITED, mem_storage: -1, disk_storage: -1, streams, consumer: -1 } } as never, { signer: w.operator });
  assert.equal((await push(sys, "$SYS.REQ.CLAIMS.UPDATE", await withJs(-1))).data?.message, "jwt updated");
  const jsm = await jetstreamManager(await login(t, server, w.b));
  await jsm.streams.add({ name: "ONE", subjects: ["one"] });
  await jsm.streams.add({ name: "TWO", subjects: ["two"] });
  // Now at most two streams: a third is refused at once.
  assert.equal((await push(sys, "$SYS.REQ.CLAIMS.UPDATE", await withJs(2))).data?.message, "jwt updated");
  await assert.rejects(jsm.streams.add({ name: "THREE", subjects: ["three"] }), /maximum number of streams reached/);
  // Without JetStream limits the account loses JetStream; its streams stay on disk.
  const without = await encodeAccount("B", w.b, { limits: UNLIMITED }, { signer: w.operator });
  assert.equal((await push(sys, "$SYS.REQ.CLAIMS.UPDATE", without)).data?.message, "jwt updated");
  await new Promise((resolve) => setTimeout(resolve, 100));
  await assert.rejects(jetstreamManager(await login(t, server, w.b)), (err: Error) => err.name === "JetStreamNotEnabled");
});

test("in a cluster, one push reaches every member and the new account's messages cross routes", async (t) => {
  const { startNode, routesUp, routeUrl, eventually } = await import("../cluster/helpers.ts");
  const w = await world(t);
  const second = mkdtempSync(join(tmpdir(), "resolver-2-"));
  t.after(() => rmSync(second, { recursive: true, force: true }));
  for (const file of [w.sys, w.a].map((k) => `${k.getPublicKey()}.jwt`)) writeFileSync(join(second, file), readFileSync(join(w.dir, file)));
  const one = await startNode(t, { host: "127.0.0.1", operator: { operators: [w.operatorJwt], resolver: { dir: w.dir } } });
  const two = await startNode(t, { host: "127.0.0.1", operator: { operators: [w.operatorJwt], resolver: { dir: second } } }, { routes: [routeUrl(one)] });
  await routesUp(one);
  await routesUp(two);
  const sys = await login(t, one, w.sys);
  await new Promise((resolve) => setTimeout(resolve, 200)); // the system account's interest crosses first
  const bJwt = await encodeAccount("B", w.b, { limits: UNLIMITED }, { signer: w.operator });
  assert.equal((await push(sys, "$SYS.REQ.CLAIMS.UPDATE", bJwt)).data?.message, "jwt updated");
  await eventually(() => existsSync(join(second, `${w.b.getPublicKey()}.jwt`)), "the push stored on the second member");
  const onTwo = await login(t, two, w.b);
  const onOne = await login(t, one, w.b);
  const got: string[] = [];
  onTwo.subscribe("hello", { callback: (_err, msg) => void got.push(msg.string()) });
  await onTwo.flush();
  // Until the subscription's interest has crossed the route, a publish there reaches no one.
  for (let i = 0; i < 50 && got.length === 0; i++) {
    onOne.publish("hello", "across");
    await onOne.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(got[0], "across");
});

/**
 * Leaf nodes bound to accounts, two of our brokers in one process: remotes that bind local
 * accounts, a leaf port whose users are in accounts, isolation between accounts across the
 * link, imports applied to leaf traffic, `/leafz` and the CONNECT-side INFO, and bad input.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { createAccount, createOperator, createUser } from "@nats-io/nkeys";
import { parseConfig } from "../../src/config/parser.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { ConfigError, createServer, InvalidOptionError, type ServerOptions } from "../../src/index.ts";
import { RawClient } from "../helpers/raw-client.ts";
import { traces } from "../trace/helpers.ts";
import { newIssuer, startService } from "../auth-callout/helpers.ts";
import { routesUp, routeUrl, startNode } from "../cluster/helpers.ts";
import { eventually, freePort, linksUp, sleep, startLeafBroker } from "./helpers.ts";
import { client, listen, publishUntilReceived, settle } from "./leaf-accounts-helpers.ts";
import { UNLIMITED, UNLIMITED_USER } from "../accounts/operator-fixture.ts";

const users = (name: string): { user: string; password: string }[] => [{ user: name, password: name }];

/** A hub with accounts X and Y, and leaf users `lx` (in X) and `ly` (in Y). */
const hubOptions = (extra: Partial<ServerOptions> = {}): ServerOptions => ({
  accounts: { X: { users: users("cx") }, Y: { users: users("cy") } },
  leafnodes: {
    port: 0,
    authorization: {
      users: [
        { user: "lx", password: "lx", account: "X" },
        { user: "ly", password: "ly", account: "Y" },
      ],
    },
  },
  ...extra,
});

/** A leaf with accounts A and B, A dialing the hub as `lx`, B as `ly`. */
const leafOptions = (hubLeafPort: number): ServerOptions => ({
  accounts: { A: { users: users("ca") }, B: { users: users("cb") } },
  leafnodes: {
    remotes: [
      { urls: [`nats-leaf://127.0.0.1:${hubLeafPort}`], user: "lx", password: "lx", account: "A" },
      { urls: [`nats-leaf://127.0.0.1:${hubLeafPort}`], user: "ly", password: "ly", account: "B" },
    ],
  },
});

describe("leaf nodes bound to accounts (our broker on both sides)", { timeout: 60_000 }, () => {
  it("carries A↔X and B↔Y, and nothing across accounts, both ways", async (t) => {
    const hub = await startLeafBroker(t, hubOptions());
    const leaf = await startLeafBroker(t, leafOptions(hub.leafNodePort!));
    await linksUp(leaf, 2);
    await linksUp(hub, 2);

    const ca = await client(t, leaf.url, { user: "ca", pass: "ca" });
    const cb = await client(t, leaf.url, { user: "cb", pass: "cb" });
    const cx = await client(t, hub.url, { user: "cx", pass: "cx" });
    const cy = await client(t, hub.url, { user: "cy", pass: "cy" });
    const inA = await listen(ca, "t.>");
    const inB = await listen(cb, "t.>");
    const inX = await listen(cx, "t.>");
    const inY = await listen(cy, "t.>");

    // Leaf → hub.
    await publishUntilReceived(ca, "t.fromA", "a", inX);
    await publishUntilReceived(cb, "t.fromB", "b", inY);
    // Hub → leaf.
    await publishUntilReceived(cx, "t.fromX", "x", inA);
    await publishUntilReceived(cy, "t.fromY", "y", inB);
    await settle(ca, cb, cx, cy);

    const subjects = (got: string[]): string[] => [...new Set(got.map((s) => s.split(":")[0]))].sort();
    assert.deepEqual(subjects(inX.got), ["t.fromA", "t.fromX"]);
    assert.deepEqual(subjects(inY.got), ["t.fromB", "t.fromY"]);
    assert.deepEqual(subjects(inA.got), ["t.fromA", "t.fromX"]);
    assert.deepEqual(subjects(inB.got), ["t.fromB", "t.fromY"]);

    // Each side reports the account of each link.
    assert.deepEqual(leaf.leafNodes.map((l) => l.account).sort(), ["A", "B"]);
    assert.deepEqual(hub.leafNodes.map((l) => l.account).sort(), ["X", "Y"]);
    assert.deepEqual(hub.leafz().leafs.map((l) => l.account).sort(), ["X", "Y"]);
    assert.deepEqual(hub.leafz({ account: "X" }).leafs.map((l) => l.account), ["X"]);
    assert.equal(hub.leafz({ account: "$G" }).leafnodes, 0);
    assert.deepEqual(
      leaf.varz().leaf.remotes?.map((r) => r.local_account),
      ["A", "B"],
    );
    // /accountz and /accstatz count each account's leaf links.
    const detail = hub.accountz({ account: "X" })["account_detail"] as { leafnode_connections: number };
    assert.equal(detail.leafnode_connections, 1);
    const statz = (hub.accstatz({ accounts: ["X", "Y", "$G"] })["account_statz"] as { acc: string; conns: number; leafnodes: number; total_conns: number }[]).map((r) => [r.acc, r.conns, r.leafnodes, r.total_conns]);
    assert.deepEqual(statz, [
      ["X", 1, 1, 2],
      ["Y", 1, 1, 2],
    ]);
    // The hub only hears of the interest of the link's own account.
    const xLink = hub.leafz({ account: "X", subs: true }).leafs[0]!;
    assert.ok(xLink.subscriptions_list?.includes("t.>"), JSON.stringify(xLink));
  });

  it("applies the hub's imports and exports to what leaves in those accounts send and want", async (t) => {
    const hub = await startLeafBroker(
      t,
      hubOptions({
        accounts: {
          X: { users: users("cx"), imports: [{ stream: { account: "Y", subject: "events.>" } }], exports: [{ stream: "up.>" }] },
          Y: { users: users("cy"), exports: [{ stream: "events.>" }], imports: [{ stream: { account: "X", subject: "up.>" }, prefix: "fromX" }] },
        },
      }),
    );
    const leaf = await startLeafBroker(t, leafOptions(hub.leafNodePort!));
    await linksUp(leaf, 2);
    const ca = await client(t, leaf.url, { user: "ca", pass: "ca" });
    const cb = await client(t, leaf.url, { user: "cb", pass: "cb" });
    const cy = await client(t, hub.url, { user: "cy", pass: "cy" });
    const inA = await listen(ca, "events.>");
    const inB = await listen(cb, "events.>");
    // Y's stream reaches A's subscriber (its link lives in X) through X's import; B's link
    // lives in Y itself, so B gets it directly.
    await publishUntilReceived(cy, "events.1", "e1", inA);
    await eventually(() => inB.got.includes("events.1:e1"), "B (bound to Y) to get Y's message");
    // A publish from the leaf in A (bound to X) flows through X's export into Y.
    const inY = await listen(cy, "fromX.up.>");
    await publishUntilReceived(ca, "up.1", "u1", inY, "fromX.up.1");
    await settle(ca, cb, cy);
    assert.ok(inY.got.every((m) => m === "fromX.up.1:u1"), JSON.stringify(inY.got));
  });

  it("carries a leaf's account across the hub's cluster routes, and only that account", async (t) => {
    const accounts = { X: { users: users("cx") }, Y: { users: users("cy") } };
    const n1 = await startNode(t, { host: "127.0.0.1", ...hubOptions() });
    const n2 = await startNode(t, { host: "127.0.0.1", accounts }, { routes: [routeUrl(n1)] });
    await routesUp(n1);
    const leaf = await startLeafBroker(t, leafOptions(n1.leafNodePort!));
    await linksUp(leaf, 2);
    const ca = await client(t, leaf.url, { user: "ca", pass: "ca" });
    const cb = await client(t, leaf.url, { user: "cb", pass: "cb" });
    const cx = await client(t, n2.url, { user: "cx", pass: "cx" });
    const cy = await client(t, n2.url, { user: "cy", pass: "cy" });
    const inA = await listen(ca, "r.>");
    const inB = await listen(cb, "r.>");
    const inY = await listen(cy, "r.>");
    // X on the other node of the cluster reaches A through the route then the leaf link...
    await publishUntilReceived(cx, "r.fromX", "x", inA);
    // ...and A reaches Y's node only in X: Y's subscriber there must not see it.
    const inX = await listen(cx, "r.>");
    await publishUntilReceived(ca, "r.fromA", "a", inX);
    await settle(ca, cb, cx, cy);
    assert.deepEqual(inB.got, []);
    assert.deepEqual(inY.got, []);
  });

  it("binds the single leaf user to its `account`", async (t) => {
    const hub = await startLeafBroker(t, {
      accounts: { X: { users: users("cx") } },
      leafnodes: { port: 0, authorization: { user: "leaf", password: "pw", account: "X" } },
    });
    const leaf = await startLeafBroker(t, {
      leafnodes: { remotes: [{ urls: [`nats-leaf://leaf:pw@127.0.0.1:${hub.leafNodePort!}`] }] },
    });
    await linksUp(hub);
    assert.equal(hub.leafNodes[0]!.account, "X");
    assert.equal(leaf.leafNodes[0]!.account, "$G");
    const onLeaf = await client(t, leaf.url);
    const cx = await client(t, hub.url, { user: "cx", pass: "cx" });
    const inLeaf = await listen(onLeaf, "q");
    await publishUntilReceived(cx, "q", "1", inLeaf);
  });

  it("with no leaf authorization, checks a spoke as a client: no_auth_user's account, or the user's", async (t) => {
    const hub = await startLeafBroker(t, {
      accounts: { X: { users: users("cx") }, Y: { users: users("cy") } },
      authorization: { noAuthUser: "cy" },
      leafnodes: { port: 0 },
    });
    const anonymous = await startLeafBroker(t, { leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hub.leafNodePort!}`] }] } });
    const asX = await startLeafBroker(t, { leafnodes: { remotes: [{ urls: [`nats-leaf://cx:cx@127.0.0.1:${hub.leafNodePort!}`] }] } });
    await linksUp(hub, 2);
    await linksUp(anonymous);
    await linksUp(asX);
    const byPeer = new Map(hub.leafNodes.map((l) => [l.serverId, l.account]));
    assert.equal(byPeer.get(anonymous.id), "Y");
    assert.equal(byPeer.get(asX.id), "X");
  });

  it("with no leaf authorization, an auth callout decides a spoke's account, told it is a Leafnode", async (t) => {
    const issuer = newIssuer();
    const hub = await startLeafBroker(t, {
      accounts: { X: { users: users("cx") }, AUTH: { users: [{ user: "auth", password: "auth" }] } },
      authorization: { callout: { issuer: issuer.getPublicKey(), authUsers: ["auth"], account: "AUTH" } },
      leafnodes: { port: 0 },
    });
    const svc = await startService(t, { url: hub.url, user: "auth", pass: "auth", issuer, decide: () => ({ admit: { account: "X" } }) });
    const leaf = await startLeafBroker(t, { leafnodes: { remotes: [{ urls: [`nats-leaf://spoke:pw@127.0.0.1:${hub.leafNodePort!}`] }] } });
    await linksUp(hub);
    assert.equal(hub.leafNodes[0]!.account, "X");
    const info = svc.requests[0]!.nats.client_info as { kind?: string; type?: string; user?: string };
    assert.deepEqual([info.kind, info.type, info.user], ["Leafnode", undefined, "spoke"]);
    const onLeaf = await client(t, leaf.url);
    const cx = await client(t, hub.url, { user: "cx", pass: "cx" });
    const inLeaf = await listen(onLeaf, "cb");
    await publishUntilReceived(cx, "cb", "1", inLeaf);
  });

  it("holds what a spoke sends after CONNECT until an asynchronous authentication admits it, then replays it", async (t) => {
    const hub = await startLeafBroker(t, {
      accounts: { X: { users: users("cx") } },
      leafnodes: { port: 0, authorization: { authenticate: () => new Promise((resolve) => setTimeout(() => resolve({ user: "slow", account: "X" }), 200)) } },
    });
    const cx = await client(t, hub.url, { user: "cx", pass: "cx" });
    const inX = await listen(cx, "held.>");
    const raw = await RawClient.connect(hub.leafNodePort!);
    t.after(() => raw.destroy());
    await raw.waitFor("INFO ");
    // One write: CONNECT, an interest, a message and a PING, all before the verdict.
    raw.send(`CONNECT {"server_id":"NRAW","name":"raw","headers":true}\r\nLS+ held.sub\r\nLMSG held.pub 5\r\nhello\r\nPING\r\n`);
    await raw.waitFor("PONG\r\n");
    assert.match(raw.text(), /"connect_info":true[^\r]*"remote_account":"X"/);
    await eventually(() => inX.got.includes("held.pub:hello"), "the held LMSG delivered in X");
    assert.equal(hub.leafNodes[0]!.account, "X");
    assert.deepEqual(hub.leafz({ subs: true }).leafs[0]!.subscriptions_list?.filter((s) => s.startsWith("held")), ["held.sub"]);
    assert.equal(raw.closed, false);
  });

  it("tells the spoke its account in the INFO that accepts its CONNECT (remote_account)", async (t) => {
    const hub = await startLeafBroker(t, hubOptions());
    const raw = await RawClient.connect(hub.leafNodePort!);
    t.after(() => raw.destroy());
    await raw.waitFor("INFO ");
    raw.send(`CONNECT {"server_id":"NRAW","name":"raw","user":"ly","pass":"ly","headers":true,"remote_account":"B"}\r\nPING\r\n`);
    await raw.waitFor(/"connect_info":true[^\r]*\r\n/);
    const second = raw.text().split("\r\n").find((line) => line.includes('"connect_info":true'));
    assert.match(second ?? "", /"remote_account":"Y"/);
  });

  it("traces a leaf-borne message in the link's account on each side", async (t) => {
    const hub = await startLeafBroker(t, hubOptions());
    const leaf = await startLeafBroker(t, leafOptions(hub.leafNodePort!));
    await linksUp(leaf, 2);
    const ca = await client(t, leaf.url, { user: "ca", pass: "ca" });
    const cx = await client(t, hub.url, { user: "cx", pass: "cx" });
    const inX = await listen(cx, "tr.x");
    await publishUntilReceived(ca, "tr.x", "probe", inX);
    const wait = await traces(ca, "tr.events");
    // The hub's events come back to A through X's link: wait until it wants them.
    await eventually(() => hub.leafz({ account: "X", subs: true }).leafs[0]!.subscriptions_list?.includes("tr.events") === true, "A's trace interest at the hub");
    ca.publish("tr.x", "traced", { traceDestination: "tr.events" });
    const events = await wait(2);
    const ingress = (name: string) => events.find((e) => e.server.name === name)?.events[0];
    assert.deepEqual([ingress(hub.options.serverName ?? hub.id)?.kind, ingress(hub.options.serverName ?? hub.id)?.acc], [4, "X"]);
    assert.deepEqual([ingress(leaf.options.serverName ?? leaf.id)?.kind, ingress(leaf.options.serverName ?? leaf.id)?.acc], [0, "A"]);
  });

  it("names the bound account when two brokers dial each other in a loop", async (t) => {
    const [portA, portB] = [await freePort(), await freePort()];
    const side = (port: number, peer: number): ServerOptions => ({
      accounts: { L: {} },
      leafnodes: {
        port,
        authorization: { user: "loop", password: "pw", account: "L" },
        remotes: [{ urls: [`nats-leaf://loop:pw@127.0.0.1:${peer}`], account: "L", reconnectDelay: 50 }],
      },
    });
    // Both sides may detect the loop at once and close before the other's -ERR arrives: what
    // each logs is read, beside what each is told.
    const errors: string[] = [];
    const logger = { error: (m: string) => void errors.push(m), warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };
    const a = createServer({ serverName: "A", host: "127.0.0.1", port: 0, logger, ...side(portA, portB) });
    const b = createServer({ serverName: "B", host: "127.0.0.1", port: 0, logger, ...side(portB, portA) });
    t.after(() => Promise.all([a.close(), b.close()]));
    a.on("leafnode:error", (_l, text) => errors.push(text));
    b.on("leafnode:error", (_l, text) => errors.push(text));
    await Promise.all([a.listen(), b.listen()]);
    await eventually(() => errors.some((e) => e.includes("Loop detected")), "a loop report", 10_000);
    await sleep(100);
    const loops = errors.filter((e) => e.includes("Loop detected"));
    assert.ok(loops.every((e) => e.includes('Loop detected for leafnode account="L"')), JSON.stringify(loops));
  });

  it("reads remotes' `account` (alias `local`) and leaf users' `account` from a config file", () => {
    const text = `accounts { A {}, B {}, X {}, Y {} }
leafnodes {
  port: -1
  authorization { users [ { user: lx, password: lx, account: X }, { user: lg, password: lg } ] }
  remotes [ { url: "nats-leaf://h:1", account: A }, { url: "nats-leaf://h:2", local: B }, { url: "nats-leaf://h:3" } ]
}
`;
    const { options, warnings } = optionsFromConfig(parseConfig(text, { file: "leaf.conf", env: {} }), { file: "leaf.conf" });
    assert.deepEqual(options.leafnodes?.remotes?.map((r) => r.account), ["A", "B", undefined]);
    assert.deepEqual(options.leafnodes?.authorization?.users, [
      { user: "lx", password: "lx", account: "X" },
      { user: "lg", password: "lg" },
    ]);
    assert.deepEqual(warnings, []);
    const single = optionsFromConfig(parseConfig(`accounts { X {} }\nleafnodes { port: -1, authorization { user: l, password: p, account: X } }\n`, { file: "s.conf", env: {} }), { file: "s.conf" });
    assert.deepEqual(single.options.leafnodes?.authorization, { user: "l", password: "p", account: "X" });
    assert.throws(
      () => optionsFromConfig(parseConfig(`leafnodes { port: -1, authorization { user: l, password: p, account: Z } }\n`, { file: "z.conf", env: {} }), { file: "z.conf" }),
      (err: unknown) => err instanceof ConfigError && /z\.conf:1:61: cannot find local account "Z" specified in leafnode authorization/.test(err.message),
    );
  });

  it("refuses a wrong leaf password with Authorization Violation, and no link", async (t) => {
    const hub = await startLeafBroker(t, hubOptions());
    const leaf = await startLeafBroker(t, {
      accounts: { A: {} },
      leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hub.leafNodePort!}`], user: "lx", password: "wrong", account: "A", reconnectDelay: 60_000 }] },
    });
    const errors: string[] = [];
    leaf.on("leafnode:error", (_l, text) => errors.push(text));
    await eventually(() => errors.length > 0, "the hub's -ERR");
    assert.deepEqual(errors, ["Authorization Violation"]);
    assert.equal(hub.leafNodes.length, 0);
    assert.equal(leaf.leafNodes.length, 0);
  });

  it("refuses to start with an account that does not exist (options and config file)", async (t) => {
    const operatorJwt = await encodeOperator("OP", createOperator());
    assert.throws(
      () => createServer({ leafnodes: { remotes: [{ urls: ["nats-leaf://127.0.0.1:1"], account: "NOPE" }] } }),
      (err: unknown) => err instanceof InvalidOptionError && /cannot find local account "NOPE" specified in leafnode remote/.test(err.message),
    );
    assert.throws(
      () => createServer({ leafnodes: { port: 0, authorization: { users: [{ user: "u", password: "p", account: "NOPE" }] } } }),
      (err: unknown) => err instanceof InvalidOptionError && /cannot find local account "NOPE" specified in leafnode authorization/.test(err.message),
    );
    // Operator mode: a remote names its local account by public key; the leaf port has no users.
    const operator = { operators: [operatorJwt], accounts: {} };
    assert.throws(
      () => createServer({ operator, leafnodes: { remotes: [{ urls: ["nats-leaf://127.0.0.1:1"], account: "A" }] } }),
      (err: unknown) => err instanceof InvalidOptionError && /operator mode requires account nkeys in remotes/.test(err.message),
    );
    assert.throws(
      () => createServer({ operator, leafnodes: { port: 0, authorization: { users: [{ user: "u", password: "p" }] } } }),
      (err: unknown) => err instanceof InvalidOptionError && /operator mode does not allow specifying users in leafnode config/.test(err.message),
    );
    const dir = mkdtempSync(join(tmpdir(), "leaf-accounts-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "leaf.conf");
    writeFileSync(file, 'accounts { A {} }\nleafnodes {\n  remotes [ { url: "nats-leaf://127.0.0.1:1", account: C } ]\n}\n');
    assert.throws(
      () => createServer({ configFile: file }),
      (err: unknown) => err instanceof ConfigError && err.message.includes(`${file}:3:`) && /cannot find local account "C" specified in leafnode remote/.test(err.message),
    );
  });
});

describe("an account's leaf node limit", { timeout: 60_000 }, () => {
  it("max_leafnodes bounds the links an account has, on the accepting and on the dialing side", async (t) => {
    // Accepting: X takes one leaf link; the second login as a user of X is refused.
    const hub = await startLeafBroker(t, hubOptions({ accounts: { X: { users: users("cx"), limits: { leafNodes: 1 } }, Y: { users: users("cy") } } }));
    const twoIntoX: ServerOptions = {
      accounts: { A: { users: users("ca") }, B: { users: users("cb") } },
      leafnodes: {
        remotes: [
          { urls: [`nats-leaf://127.0.0.1:${hub.leafNodePort!}`], user: "lx", password: "lx", account: "A" },
          { urls: [`nats-leaf://127.0.0.1:${hub.leafNodePort!}`], user: "lx", password: "lx", account: "B" },
        ],
      },
    };
    const leaf = await startLeafBroker(t, twoIntoX);
    await linksUp(hub, 1);
    await sleep(500);
    assert.deepEqual(hub.leafNodes.map((l) => l.account), ["X"]);
    assert.equal(leaf.leafNodes.length, 1);

    // Dialing: A may have one link, so of two remotes binding A only one is made.
    const hub2 = await startLeafBroker(t, hubOptions());
    const leaf2 = await startLeafBroker(t, {
      accounts: { A: { users: users("ca"), limits: { leafNodes: 1 } } },
      leafnodes: {
        remotes: [
          { urls: [`nats-leaf://127.0.0.1:${hub2.leafNodePort!}`], user: "lx", password: "lx", account: "A" },
          { urls: [`nats-leaf://127.0.0.1:${hub2.leafNodePort!}`], user: "ly", password: "ly", account: "A" },
        ],
      },
    });
    await linksUp(leaf2, 1);
    await sleep(500);
    assert.deepEqual(leaf2.leafNodes.map((l) => l.account), ["A"]);
    assert.equal(hub2.leafNodes.length, 1);
  });
});

describe("a spoke's user JWT limits on an operator-mode hub", { timeout: 60_000 }, () => {
  it("checks `src` against the spoke's address, as for a client", async (t) => {
    const operator = createOperator();
    const account = createAccount();
    const operatorJwt = await encodeOperator("OP", operator);
    const accounts = { [account.getPublicKey()]: await encodeAccount("P", account, UNLIMITED, { signer: operator }) };
    const hub = await startLeafBroker(t, { operator: { operators: [operatorJwt], accounts }, leafnodes: { port: 0 } });
    const dir = mkdtempSync(join(tmpdir(), "leaf-src-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const spoke = async (name: string, src: string[]): Promise<Awaited<ReturnType<typeof startLeafBroker>>> => {
      const user = createUser();
      const file = join(dir, `${name}.creds`);
      writeFileSync(file, fmtCreds(await encodeUser(name, user, account, { ...UNLIMITED_USER, src }), user));
      return startLeafBroker(t, { leafnodes: { remotes: [{ urls: [`nats-leaf://127.0.0.1:${hub.leafNodePort!}`], credentialsFile: file }] } });
    };
    const outside = await spoke("outside", ["10.0.0.0/8"]);
    const inside = await spoke("inside", ["127.0.0.0/8"]);
    await linksUp(inside, 1);
    await sleep(500);
    assert.equal(hub.leafNodes.length, 1, "only the spoke from an allowed network is in");
    assert.deepEqual(hub.leafNodes.map((l) => l.account), [account.getPublicKey()]);
    assert.equal(outside.leafNodes.length, 0);
  });
});

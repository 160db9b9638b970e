/**
 * Accounts as nats-server has them, through the official client over TCP: each account an
 * isolated subject space, joined only by stream and service exports and imports.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { connect, errors, type NatsConnection } from "@nats-io/transport-node";
import { createServer, type ServerOptions } from "../../src/index.ts";
import { startBroker } from "../helpers/broker.ts";

async function as(t: TestContext, url: string, user: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, user, pass: "pw", reconnect: false });
  t.after(() => nc.close());
  return nc;
}

/** Messages `nc` gets on `subject` within `ms` (subscribed before `publish` runs). */
async function received(nc: NatsConnection, subject: string, publish: () => Promise<void> | void, ms = 150): Promise<string[]> {
  const got: string[] = [];
  const sub = nc.subscribe(subject, { callback: (_err, msg) => void got.push(`${msg.subject}:${msg.string()}`) });
  await nc.flush();
  await publish();
  await new Promise((resolve) => setTimeout(resolve, ms));
  sub.unsubscribe();
  return got;
}

const users = (...names: string[]) => names.map((user) => ({ user, password: "pw" }));

describe("accounts", () => {
  it("the same subject in two accounts never crosses; users of one account share it", async (t) => {
    const server = await startBroker(t, {
      accounts: { A: { users: users("a1", "a2") }, B: { users: users("b1") } },
    });
    const [a1, a2, b1] = [await as(t, server.url, "a1"), await as(t, server.url, "a2"), await as(t, server.url, "b1")];
    const publishBoth = async (): Promise<void> => {
      a2.publish("orders.created", "from A");
      b1.publish("orders.created", "from B");
      await a2.flush();
      await b1.flush();
    };
    assert.deepEqual(await received(a1, "orders.>", publishBoth), ["orders.created:from A"]);
    assert.deepEqual(await received(b1, "orders.>", publishBoth), ["orders.created:from B"]);
  });

  it("a request finds no responder in another account: the client gets no-responders", async (t) => {
    const server = await startBroker(t, { accounts: { A: { users: users("a") }, B: { users: users("b") } } });
    const [a, b] = [await as(t, server.url, "a"), await as(t, server.url, "b")];
    a.subscribe("svc", { callback: (_err, msg) => void msg.respond("A answers") });
    await a.flush();
    assert.equal((await a.request("svc", "", { timeout: 1000 })).string(), "A answers");
    await assert.rejects(b.request("svc", "", { timeout: 1000 }), (err: unknown) => err instanceof errors.NoRespondersError || /no responders/i.test(String(err)));
  });

  it("users in authorization and clients of no_auth_user are in $G, apart from the accounts", async (t) => {
    const server = await startBroker(t, {
      authorization: { users: users("g"), noAuthUser: "g" },
      accounts: { A: { users: users("a") } },
    });
    const anonymous = await connect({ servers: server.url, reconnect: false });
    t.after(() => anonymous.close());
    const [g, a] = [await as(t, server.url, "g"), await as(t, server.url, "a")];
    const publish = async (): Promise<void> => {
      a.publish("x", "A");
      g.publish("x", "G");
      await a.flush();
      await g.flush();
    };
    assert.deepEqual(await received(anonymous, "x", publish), ["x:G"]);
    // As nats-server's /connz?auth=1: the account, unless it is $G.
    const byUser = Object.fromEntries(server.connz({ auth: true }).connections.map((c) => [c.authorized_user, c.account]));
    assert.deepEqual(byUser, { a: "A", g: undefined });
  });

  it("no_auth_user may name a user of an account: anonymous clients join that account", async (t) => {
    const server = await startBroker(t, { accounts: { A: { users: users("a") } }, authorization: { noAuthUser: "a" } });
    const anonymous = await connect({ servers: server.url, reconnect: false });
    t.after(() => anonymous.close());
    const a = await as(t, server.url, "a");
    assert.deepEqual(
      await received(a, "x", async () => {
        anonymous.publish("x", "anon");
        await anonymous.flush();
      }),
      ["x:anon"],
    );
  });

  it("a stream export reaches an importer, under a prefix or a `to` subject, and only one way", async (t) => {
    const server = await startBroker(t, {
      accounts: {
        A: { users: users("a"), exports: [{ stream: "orders.>" }] },
        B: { users: users("b"), imports: [{ stream: { account: "A", subject: "orders.>" }, prefix: "fromA" }] },
        C: { users: users("c"), imports: [{ stream: { account: "A", subject: "orders.*" }, to: "incoming.*" }] },
      },
    });
    const [a, b, c] = [await as(t, server.url, "a"), await as(t, server.url, "b"), await as(t, server.url, "c")];
    const fromA = async (): Promise<void> => {
      a.publish("orders.created", "1");
      a.publish("orders.eu.created", "2");
      await a.flush();
    };
    assert.deepEqual(await received(b, ">", fromA), ["fromA.orders.created:1", "fromA.orders.eu.created:2"]);
    assert.deepEqual(await received(c, ">", fromA), ["incoming.created:1"]);
    // Nothing goes back: B publishing on A's subject stays in B.
    assert.deepEqual(
      await received(a, ">", async () => {
        b.publish("orders.created", "from B");
        await b.flush();
      }),
      [],
    );
  });

  it("a service export answers an importer's requests, the responses mapped back to its inbox", async (t) => {
    const server = await startBroker(t, {
      accounts: {
        A: { users: users("a"), exports: [{ service: "time.>" }] },
        B: { users: users("b"), imports: [{ service: { account: "A", subject: "time.now" }, to: "clock" }] },
      },
    });
    const [a, b] = [await as(t, server.url, "a"), await as(t, server.url, "b")];
    const seen: string[] = [];
    a.subscribe("time.>", {
      callback: (_err, msg) => {
        seen.push(`${msg.subject} reply=${msg.reply?.startsWith("_R_.") ? "_R_" : msg.reply}`);
        msg.respond(`now:${msg.string()}`);
      },
    });
    await a.flush();
    const reply = await b.request("clock", "utc", { timeout: 1000 });
    assert.equal(reply.string(), "now:utc");
    assert.deepEqual(seen, ["time.now reply=_R_"]);
    // The exporter's own subject is not B's: B has no responder on time.now.
    await assert.rejects(b.request("time.now", "", { timeout: 500 }), /no responders|503|timeout/i);
  });

  it("a singleton service gets one response through; a stream service gets them all", async (t) => {
    const server = await startBroker(t, {
      accounts: {
        A: { users: users("a"), exports: [{ service: "one" }, { service: "many", responseType: "stream" }] },
        B: { users: users("b"), imports: [{ service: { account: "A", subject: "one" } }, { service: { account: "A", subject: "many" } }] },
      },
    });
    const [a, b] = [await as(t, server.url, "a"), await as(t, server.url, "b")];
    for (const subject of ["one", "many"]) {
      a.subscribe(subject, {
        callback: (_err, msg) => {
          for (let i = 0; i < 3; i++) msg.respond(`${i}`);
        },
      });
    }
    await a.flush();
    const count = async (subject: string): Promise<number> => {
      const inbox = `_INBOX.${subject}`;
      let n = 0;
      const sub = b.subscribe(inbox, { callback: () => void n++ });
      b.publish(subject, "", { reply: inbox });
      await b.flush();
      await new Promise((resolve) => setTimeout(resolve, 150));
      sub.unsubscribe();
      return n;
    };
    assert.equal(await count("one"), 1);
    assert.equal(await count("many"), 3);
  });

  it("the host's authenticate hook places a user in an account; an unknown account is refused", async (t) => {
    const server = await startBroker(t, {
      accounts: { A: {} },
      authorization: { authenticate: (connect) => (connect.user === "lost" ? { user: "lost", account: "NOPE" } : { user: connect.user, account: "A" }) },
    });
    const nc = await connect({ servers: server.url, user: "hooked", pass: "x", reconnect: false });
    t.after(() => nc.close());
    const got = await received(nc, "x", () => void server.account("A").publish("x", "in A"));
    assert.deepEqual(got, ["x:in A"]);
    await assert.rejects(connect({ servers: server.url, user: "lost", pass: "x", reconnect: false }), /authorization violation/i);
  });

  it("refuses at creation what nats-server refuses at load", () => {
    const refused = (accounts: ServerOptions["accounts"], pattern: RegExp): void => {
      assert.throws(() => createServer({ accounts }), pattern);
    };
    refused({ B: { imports: [{ stream: { account: "A", subject: "x" } }] } }, /account "A" does not exist/);
    refused({ A: {}, B: { imports: [{ stream: { account: "A", subject: "x" } }] } }, /stream import not authorized/);
    refused(
      { A: { exports: [{ service: "x", accounts: ["C"] }] }, B: { imports: [{ service: { account: "A", subject: "x" } }] }, C: {} },
      /service import not authorized: A exports x only to C/,
    );
    refused(
      {
        A: { exports: [{ stream: "s.>" }], imports: [{ stream: { account: "B", subject: "s.>" } }] },
        B: { exports: [{ stream: "s.>" }], imports: [{ stream: { account: "A", subject: "s.>" } }] },
      },
      /forms a cycle/,
    );
    refused({ A: { users: users("u") }, B: { users: users("u") } }, /duplicate user "u"/);
    refused({ A: { exports: [{ stream: "a.*" }] }, B: { imports: [{ stream: { account: "A", subject: "a.*" }, to: "b.>" }] } }, /must have the wildcards/);
  });

  it("a user moved to another account by setAuth is disconnected rather than moved under its subscriptions", async (t) => {
    const server = await startBroker(t, { accounts: { A: {}, B: {} }, authorization: { users: [{ user: "u", password: "pw", account: "A" }] } });
    const u = await as(t, server.url, "u");
    u.subscribe("x");
    await u.flush();
    const closed = u.closed();
    server.setAuth({ users: [{ user: "u", password: "pw", account: "B" }] });
    assert.ok((await closed) instanceof Error);
  });
});

describe("the in-process API in an account", () => {
  it("server.account(name) publishes and subscribes inside that account; server.as(user) acts in the user's", async (t) => {
    const server = await startBroker(t, {
      accounts: {
        A: { users: users("a"), exports: [{ service: "svc.>" }] },
        B: { users: users("b"), imports: [{ service: { account: "A", subject: "svc.>" } }] },
      },
    });
    const inA = server.account("A");
    const seenInA: string[] = [];
    inA.subscribe("orders.*", { callback: (_err, msg) => void seenInA.push(msg.string()) });
    inA.subscribe("svc.echo", { callback: (_err, msg) => void msg.respond(`A:${msg.string()}`) });
    const [a, b] = [await as(t, server.url, "a"), await as(t, server.url, "b")];
    a.publish("orders.created", "from a");
    b.publish("orders.created", "from b");
    await a.flush();
    await b.flush();
    assert.deepEqual(seenInA, ["from a"]);
    // The in-process responder in A answers B's client through B's import.
    assert.equal((await b.request("svc.echo", "hi", { timeout: 1000 })).string(), "A:hi");
    // And B's in-process API reaches it the same way; $G's does not.
    assert.equal((await server.as("b").request("svc.echo", "in-process")).string(), "A:in-process");
    await assert.rejects(server.request("svc.echo", "x"), /no responders/i);
    assert.throws(() => server.account("NOPE"), /"NOPE" is not a configured account/);
  });
});

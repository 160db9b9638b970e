/**
 * JetStream per account, through the official clients: which accounts have it, that their
 * streams never meet, each account's limits, JetStream reached across accounts through imports
 * (the nats.js "cross account" tests' configuration), and a restart that brings every account's
 * file streams back to its own account.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, AckPolicy, JetStreamApiError } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { encodeAccount, encodeOperator, encodeUser } from "@nats-io/jwt";
import { createAccount, createOperator, createUser } from "@nats-io/nkeys";
import { jwtAuthenticator } from "@nats-io/transport-node";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";

function storeDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "accounts-js-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(t: TestContext, options: ServerOptions): Promise<Server> {
  const server = createServer({ host: "127.0.0.1", port: 0, ...options });
  await server.listen();
  t.after(() => server.close());
  return server;
}

async function as(t: TestContext, server: Server, user?: string): Promise<NatsConnection> {
  const nc = await connect({ servers: `127.0.0.1:${server.ports.nats!.port}`, ...(user === undefined ? {} : { user, pass: "pw" }), reconnect: false });
  t.after(() => nc.close());
  return nc;
}

async function apiError(promise: Promise<unknown>): Promise<{ code: number; err_code: number; description: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof JetStreamApiError, `expected a JetStream API error, got ${String(err)}`);
    const { code, err_code, description } = err.apiError();
    return { code, err_code, description };
  }
  assert.fail("expected the request to be refused");
}

test("an account without JetStream is told so; the one with it works (jsm - account not enabled)", async (t) => {
  const server = await start(t, {
    jetstream: { storeDir: storeDir(t) },
    accounts: {
      A: { jetstream: true, users: [{ user: "a", password: "pw" }] },
      B: { users: [{ user: "b" }] },
    },
    authorization: { noAuthUser: "b" },
  });
  const b = await as(t, server);
  await assert.rejects(jetstreamManager(b), (err: Error) => err.name === "JetStreamNotEnabled" && /not enabled for account/.test(err.message));
  // The raw answer is nats-server's: 503 10039, in the request's response type.
  const raw = (await b.request("$JS.API.STREAM.NAMES", "", { timeout: 2000 })).json<Record<string, unknown>>();
  assert.deepEqual(raw, {
    type: "io.nats.jetstream.api.v1.stream_names_response",
    error: { code: 503, err_code: 10039, description: "JetStream not enabled for account" },
    total: 0,
    offset: 0,
    limit: 0,
    streams: null,
  });
  // A pull request is not an API request: nobody takes it.
  await assert.rejects(b.request("$JS.API.CONSUMER.MSG.NEXT.S.C", "", { timeout: 2000 }), /no responders/i);

  const a = await as(t, server, "a");
  const jsm = await jetstreamManager(a);
  const info = await jsm.getAccountInfo();
  assert.equal(info.limits.max_streams, -1);
});

test("without accounts other than the system account, $G keeps JetStream", async (t) => {
  const server = await start(t, { jetstream: { storeDir: storeDir(t) }, accounts: { SYS: {} }, systemAccount: "SYS" });
  const nc = await as(t, server);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "S", subjects: ["s.>"] });
  assert.deepEqual(await jsm.streams.names().next(), ["S"]);
});

test("two accounts' streams of the same name and subjects never meet", async (t) => {
  const server = await start(t, {
    jetstream: { storeDir: storeDir(t) },
    accounts: {
      A: { jetstream: true, users: [{ user: "a", password: "pw" }] },
      C: { jetstream: true, users: [{ user: "c", password: "pw" }] },
    },
  });
  const a = await as(t, server, "a");
  const c = await as(t, server, "c");
  const jsmA = await jetstreamManager(a);
  const jsmC = await jetstreamManager(c);
  await jsmA.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
  await jsmC.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: "memory" as never });
  await jetstream(a).publish("orders.1", "from a");
  await jetstream(a).publish("orders.2", "from a");
  await jetstream(c).publish("orders.1", "from c");
  assert.equal((await jsmA.streams.info("ORDERS")).state.messages, 2);
  assert.equal((await jsmC.streams.info("ORDERS")).state.messages, 1);
  assert.equal((await jsmC.streams.info("ORDERS")).config.storage, "memory");
  assert.equal((await jsmC.streams.getMessage("ORDERS", { seq: 1 }))?.string(), "from c");
  await jsmA.consumers.add("ORDERS", { durable_name: "only-a", ack_policy: AckPolicy.Explicit });
  assert.deepEqual(await jsmC.consumers.list("ORDERS").next(), []);
  assert.equal((await jsmA.getAccountInfo()).consumers, 1);

  // /jsz: totals over both accounts, a detail for each, `acc` for one.
  const jsz = server.jsz({ accounts: true });
  assert.equal(jsz.streams, 2);
  assert.equal(jsz.messages, 3);
  assert.equal(jsz.accounts, 2);
  assert.deepEqual(
    jsz.account_details?.map((d) => [d.name, d.memory > 0, d.storage > 0]),
    [
      ["A", false, true],
      ["C", true, false],
    ],
  );
  const onlyC = server.jsz({ account: "C", streams: true });
  assert.deepEqual(
    onlyC.account_details?.map((d) => [d.name, d.stream_detail?.map((s) => s.state.messages)]),
    [["C", [1]]],
  );
});

test("each account's limits: streams, consumers, bytes", async (t) => {
  const server = await start(t, {
    jetstream: { storeDir: storeDir(t) },
    accounts: {
      L: { jetstream: { maxStreams: 2, maxConsumers: 1, maxMemory: 4096, storeMaxStreamBytes: 10_000 }, users: [{ user: "l", password: "pw" }] },
      R: { jetstream: { maxBytesRequired: true }, users: [{ user: "r", password: "pw" }] },
    },
  });
  const l = await as(t, server, "l");
  const jsm = await jetstreamManager(l);
  const info = await jsm.getAccountInfo();
  assert.deepEqual(
    { ...info.limits },
    { max_memory: 4096, max_storage: -1, max_streams: 2, max_consumers: 1, max_ack_pending: -1, memory_max_stream_bytes: -1, storage_max_stream_bytes: 10_000, max_bytes_required: false },
  );
  assert.deepEqual(await apiError(jsm.streams.add({ name: "BIG", subjects: ["big"], max_bytes: 20_000 })), { code: 400, err_code: 10122, description: "stream max bytes exceeds account limit max stream bytes" });
  assert.deepEqual(await apiError(jsm.streams.add({ name: "MEM", subjects: ["mem"], storage: "memory" as never, max_bytes: 8192 })), {
    code: 500,
    err_code: 10028,
    description: "insufficient memory resources available",
  });
  await jsm.streams.add({ name: "ONE", subjects: ["one"] });
  await jsm.streams.add({ name: "TWO", subjects: ["two"], storage: "memory" as never });
  assert.deepEqual(await apiError(jsm.streams.add({ name: "THREE", subjects: ["three"] })), { code: 400, err_code: 10027, description: "maximum number of streams reached" });
  // Updating an existing stream is not a new one.
  await jsm.streams.update("ONE", { subjects: ["one", "uno"] });
  await jsm.consumers.add("ONE", { durable_name: "first", ack_policy: AckPolicy.Explicit });
  assert.deepEqual(await apiError(jsm.consumers.add("TWO", { durable_name: "second", ack_policy: AckPolicy.Explicit })), { code: 400, err_code: 10026, description: "maximum consumers limit reached" });
  // Memory usage beyond the account's limit refuses publishes, as the server-wide limit does.
  const js = jetstream(l);
  await assert.rejects(async () => {
    for (let i = 0; i < 10; i++) await js.publish("two", new Uint8Array(1024));
  }, /insufficient resources/);

  const r = await as(t, server, "r");
  const jsmR = await jetstreamManager(r);
  assert.deepEqual(await apiError(jsmR.streams.add({ name: "X", subjects: ["x"] })), { code: 400, err_code: 10113, description: "account requires a stream config to have max bytes set" });
  await jsmR.streams.add({ name: "X", subjects: ["x"], max_bytes: 1024 });
});

test("the server-wide memory limit bounds every account's streams together", async (t) => {
  const server = await start(t, {
    jetstream: { storeDir: storeDir(t), maxMemory: 10_000 },
    accounts: {
      A: { jetstream: true, users: [{ user: "a", password: "pw" }] },
      C: { jetstream: true, users: [{ user: "c", password: "pw" }] },
    },
  });
  const jsmA = await jetstreamManager(await as(t, server, "a"));
  const jsmC = await jetstreamManager(await as(t, server, "c"));
  await jsmA.streams.add({ name: "S", subjects: ["s"], storage: "memory" as never, max_bytes: 6000 });
  assert.deepEqual(await apiError(jsmC.streams.add({ name: "S", subjects: ["s"], storage: "memory" as never, max_bytes: 6000 })), {
    code: 500,
    err_code: 10028,
    description: "insufficient memory resources available",
  });
  await jsmC.streams.add({ name: "S", subjects: ["s"], storage: "memory" as never, max_bytes: 4000 });
});

/** nats.js's `jetstreamExportServerConf`: account JS exports its API, A imports it under IPA. */
const EXPORTED_JETSTREAM: ServerOptions["accounts"] = {
  JS: {
    jetstream: true,
    users: [{ user: "js", password: "pw" }],
    exports: [
      { service: "$JS.API.>", responseType: "stream" },
      { service: "$JS.ACK.>", responseType: "stream" },
      { stream: "A.>", accounts: ["A"] },
    ],
  },
  A: {
    users: [{ user: "a", password: "pw" }],
    imports: [
      { service: { account: "JS", subject: "$JS.API.>" }, to: "IPA.>" },
      { service: { account: "JS", subject: "$JS.ACK.>" } },
      { stream: { account: "JS", subject: "A.>" } },
    ],
  },
};

test("JetStream reached across accounts through an imported API (jsm - cross account streams, jetstream - cross account pull)", async (t) => {
  const server = await start(t, { jetstream: { storeDir: storeDir(t) }, accounts: EXPORTED_JETSTREAM });
  const a = await as(t, server, "a");
  const admin = await as(t, server, "js");
  const jsm = await jetstreamManager(a, { apiPrefix: "IPA" });
  assert.deepEqual(await jsm.streams.list().next(), []);
  await jsm.streams.add({ name: "S", subjects: ["A.s"] });
  // The stream lives in the JS account: its own user sees it, and publishes into it.
  assert.deepEqual(await (await jetstreamManager(admin)).streams.names().next(), ["S"]);
  admin.publish("A.s", "one");
  admin.publish("A.s", "two");
  await admin.flush();
  await waitFor(async () => (await jsm.streams.info("S")).state.messages === 2);
  assert.equal((await jsm.streams.getMessage("S", { seq: 1 }))?.string(), "one");
  await jsm.consumers.add("S", { durable_name: "me", ack_policy: AckPolicy.Explicit });
  const js = jetstream(a, { apiPrefix: "IPA" });
  const consumer = await js.consumers.get("S", "me");
  const batch = await consumer.fetch({ max_messages: 2, expires: 2000 });
  const seen: string[] = [];
  for await (const m of batch) {
    seen.push(m.string());
    // The ack goes to $JS.ACK in A and crosses to JS through the import.
    await m.ackAck();
  }
  assert.deepEqual(seen, ["one", "two"]);
  assert.equal((await jsm.consumers.info("S", "me")).num_ack_pending, 0);
  assert.equal(await jsm.streams.delete("S"), true);
  assert.deepEqual(await jsm.streams.list().next(), []);
});

test("KV across accounts (kv - cross account)", async (t) => {
  const server = await start(t, { jetstream: { storeDir: storeDir(t) }, accounts: EXPORTED_JETSTREAM });
  const admin = await as(t, server, "js");
  const kv = await new Kvm(admin).create("cfg", { history: 3 });
  await kv.put("a", "1");
  await kv.put("a", "2");
  const a = await as(t, server, "a");
  const jsm = await jetstreamManager(a, { apiPrefix: "IPA" });
  const history = await jsm.streams.getMessage("KV_cfg", { last_by_subj: "$KV.cfg.a" });
  assert.equal(history?.string(), "2");
  assert.equal(history?.seq, 2);
});

test("KV history and watch across accounts, push deliveries through a stream import (kv - cross account history / watch)", async (t) => {
  const server = await start(t, {
    jetstream: { storeDir: storeDir(t) },
    accounts: {
      A: { jetstream: true, users: [{ user: "a", password: "pw" }], exports: [{ service: "$JS.API.>" }, { service: "$KV.>" }, { stream: "forb.>" }] },
      B: {
        users: [{ user: "b", password: "pw" }],
        imports: [
          { service: { subject: "$KV.>", account: "A" }, to: "froma.$KV.>" },
          { service: { subject: "$JS.API.>", account: "A" }, to: "froma.>" },
          { stream: { subject: "forb.>", account: "A" } },
        ],
      },
    },
  });
  const port = server.ports.nats!.port;
  const a = await connect({ servers: `127.0.0.1:${port}`, user: "a", pass: "pw", reconnect: false });
  const b = await connect({ servers: `127.0.0.1:${port}`, user: "b", pass: "pw", inboxPrefix: "forb", reconnect: false });
  t.after(() => Promise.all([a.close(), b.close()]));
  const kva = await new Kvm(jetstream(a)).create("a");
  const kvb = await new Kvm(jetstream(b, { apiPrefix: "froma" })).create("a");
  await kva.put("A", "A");
  await kva.put("B", "B");
  await kva.delete("B");
  await kvb.put("C", "C");
  for (const kv of [kva, kvb]) {
    const seen: string[] = [];
    const history = await kv.history();
    for await (const entry of history) {
      seen.push(`${entry.key}:${entry.operation}`);
      if (seen.length === 3) history.stop();
    }
    // The bucket keeps one revision a key: B's put is gone under its delete.
    assert.deepEqual(seen, ["A:PUT", "B:DEL", "C:PUT"]);
  }
  // A watch in B sees what A writes afterwards.
  const watch = await kvb.watch({ key: "D" });
  await kva.put("D", "from a");
  for await (const entry of watch) {
    assert.equal(entry.string(), "from a");
    assert.equal(entry.key, "D");
    watch.stop();
  }
  assert.equal((await kvb.get("D"))?.string(), "from a");
});

test("each account's file streams come back to that account after a restart", async (t) => {
  const dir = storeDir(t);
  const options: ServerOptions = {
    jetstream: { storeDir: dir },
    accounts: {
      A: { jetstream: true, users: [{ user: "a", password: "pw" }] },
      C: { jetstream: true, users: [{ user: "c", password: "pw" }] },
    },
  };
  const first = createServer({ host: "127.0.0.1", port: 0, ...options });
  await first.listen();
  const a1 = await connect({ servers: `127.0.0.1:${first.ports.nats!.port}`, user: "a", pass: "pw", reconnect: false });
  const c1 = await connect({ servers: `127.0.0.1:${first.ports.nats!.port}`, user: "c", pass: "pw", reconnect: false });
  await (await jetstreamManager(a1)).streams.add({ name: "S", subjects: ["s"] });
  await (await jetstreamManager(c1)).streams.add({ name: "S", subjects: ["s"] });
  await (await jetstreamManager(c1)).streams.add({ name: "ONLY_C", subjects: ["c"] });
  await jetstream(a1).publish("s", "a's");
  await jetstream(c1).publish("s", "c's");
  await jetstream(c1).publish("s", "c's again");
  await a1.close();
  await c1.close();
  await first.close();

  const second = await start(t, options);
  const jsmA = await jetstreamManager(await as(t, second, "a"));
  const jsmC = await jetstreamManager(await as(t, second, "c"));
  assert.deepEqual(await jsmA.streams.names().next(), ["S"]);
  assert.deepEqual((await jsmC.streams.names().next()).sort(), ["ONLY_C", "S"]);
  assert.equal((await jsmA.streams.info("S")).state.messages, 1);
  assert.equal((await jsmC.streams.info("S")).state.messages, 2);
});

test("operator mode: an account JWT's JetStream limits, flat or tiered (jsm - account limits)", async (t) => {
  const operator = createOperator();
  const [sys, tiered, flat, none] = [createAccount(), createAccount(), createAccount(), createAccount()];
  const base = { conn: -1, subs: -1 };
  const accounts = {
    [sys.getPublicKey()]: await encodeAccount("SYS", sys, { limits: base }, { signer: operator }),
    [tiered.getPublicKey()]: await encodeAccount("T", tiered, { limits: { ...base, tiered_limits: { R1: { disk_storage: 1024 * 1024, consumer: -1, streams: -1 } } } } as never, { signer: operator }),
    [flat.getPublicKey()]: await encodeAccount("F", flat, { limits: { ...base, mem_storage: -1, disk_storage: -1, streams: 1, consumer: -1 } } as never, { signer: operator }),
    [none.getPublicKey()]: await encodeAccount("N", none, { limits: base }, { signer: operator }),
  };
  const server = await start(t, {
    jetstream: { storeDir: storeDir(t) },
    operator: { operators: [await encodeOperator("O", operator, { system_account: sys.getPublicKey() })], accounts },
  });
  const login = async (account: ReturnType<typeof createAccount>): Promise<NatsConnection> => {
    const jwt = await encodeUser("U", createUser(), account, { bearer_token: true });
    const nc = await connect({ servers: `127.0.0.1:${server.ports.nats!.port}`, authenticator: jwtAuthenticator(jwt), reconnect: false });
    t.after(() => nc.close());
    return nc;
  };
  const info = await (await jetstreamManager(await login(tiered))).getAccountInfo();
  assert.equal(info.tiers?.["R1"]?.limits.max_storage, 1024 * 1024);
  assert.equal(info.tiers?.["R1"]?.limits.max_consumers, -1);
  assert.equal(info.tiers?.["R1"]?.limits.max_streams, -1);
  assert.equal(info.tiers?.["R1"]?.limits.max_ack_pending, -1);
  // A tier of 1 MB of disk and no memory: a memory stream has no room.
  const jsmT = await jetstreamManager(await login(tiered));
  assert.equal((await apiError(jsmT.streams.add({ name: "M", subjects: ["m"], storage: "memory" as never }))).err_code, 10028);
  await jsmT.streams.add({ name: "F", subjects: ["f"], max_bytes: 1024 });

  const jsmF = await jetstreamManager(await login(flat));
  assert.equal((await jsmF.getAccountInfo()).limits.max_streams, 1);
  await jsmF.streams.add({ name: "S", subjects: ["s"] });
  assert.equal((await apiError(jsmF.streams.add({ name: "S2", subjects: ["s2"] }))).err_code, 10027);

  await assert.rejects(jetstreamManager(await login(none)), (err: Error) => err.name === "JetStreamNotEnabled");
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail("condition not reached in 2 s");
}

/**
 * `accounts { }` in a nats-server configuration file: read as nats-server reads it, and the
 * server it configures behaves as the same options passed to createServer().
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { ConfigError, createServer } from "../../src/index.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { parseConfig } from "../../src/config/parser.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { RawClient } from "../helpers/raw-client.ts";

const FILE = "/etc/nats/accounts.conf";
const mapped = (text: string) => optionsFromConfig(parseConfig(text, { file: FILE, env: {} }), { file: FILE });

const CONFIG = `
accounts {
  ORDERS: {
    users: [ { user: orders, password: pw } ]
    exports: [
      { stream: "orders.>" }
      { service: "orders.lookup", accounts: [SHOP], response_type: stream, response_threshold: "5s" }
    ]
  }
  SHOP: {
    users: [ { user: shop, password: pw } ]
    imports: [
      { stream: { account: ORDERS, subject: "orders.>" }, prefix: feed }
      { service: { account: ORDERS, subject: "orders.lookup" }, to: lookup }
    ]
    jetstream: enabled
  }
}
no_auth_user: shop
`;

describe("accounts in a configuration file", () => {
  it("maps users, exports and imports onto the accounts option, and no_auth_user onto a user of an account", () => {
    const { options, warnings } = mapped(CONFIG);
    assert.deepEqual(options.accounts, {
      ORDERS: {
        users: [{ user: "orders", password: "pw" }],
        exports: [{ stream: "orders.>" }, { service: "orders.lookup", accounts: ["SHOP"], responseType: "stream", responseThreshold: 5000 }],
      },
      SHOP: {
        users: [{ user: "shop", password: "pw" }],
        imports: [
          { stream: { account: "ORDERS", subject: "orders.>" }, prefix: "feed" },
          { service: { account: "ORDERS", subject: "orders.lookup" }, to: "lookup" },
        ],
        jetstream: true,
      },
    });
    assert.equal(options.authorization?.noAuthUser, "shop");
    assert.deepEqual(warnings, []);
  });

  it("message tracing keys: an account's msg_trace, allow_trace on service exports and stream imports", () => {
    const { options, warnings } = mapped(`
accounts {
  A: { msg_trace: { dest: "trace.a", sampling: "25%" }, exports: [ { service: "svc", allow_trace: true } ] }
  B: { msg_trace: "trace.b", imports: [ { stream: { account: C, subject: "feed" }, allow_trace: true } ] }
  C: { exports: [ { stream: "feed" } ] }
}`);
    assert.deepEqual(warnings, []);
    assert.deepEqual(options.accounts?.["A"]?.msgTrace, { dest: "trace.a", sampling: 25 });
    assert.equal(options.accounts?.["A"]?.exports?.[0]?.allowTrace, true);
    assert.equal(options.accounts?.["B"]?.msgTrace, "trace.b");
    assert.equal(options.accounts?.["B"]?.imports?.[0]?.allowTrace, true);
    assert.throws(() => createServer({ ...mapped(`accounts { A: { msg_trace: { dest: "x", sampling: 120 } } }`).options }), /sampling value 120 is invalid/);
  });

  it("an account's jetstream: enabled, disabled, or limits under nats-server's names", () => {
    const { options, warnings } = mapped(`
accounts {
  A: { jetstream: { max_mem: 1M, max_file: 2G, max_streams: 10, consumers: 100, max_bytes_required: true, memory_max_stream_bytes: 1K, store_max_stream_bytes: -1, max_ack_pending: 5 } }
  B: { jetstream: disabled }
  C: { js: true }
}`);
    assert.deepEqual(options.accounts?.["A"]?.jetstream, {
      // The configuration lexer's suffixes: K, M, G are powers of 1000 (KB, MB, GB of 1024).
      maxMemory: 1_000_000,
      maxStore: 2_000_000_000,
      maxStreams: 10,
      maxConsumers: 100,
      maxBytesRequired: true,
      memoryMaxStreamBytes: 1000,
      storeMaxStreamBytes: -1,
    });
    assert.equal(options.accounts?.["B"]?.jetstream, false);
    assert.equal(options.accounts?.["C"]?.jetstream, true);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /account JetStream "max_ack_pending" is not supported yet; ignored/);
    assert.throws(() => mapped(`accounts { A: { jetstream: maybe } }`), /Expected 'enabled' or 'disabled' for string value, got 'maybe'/);
    assert.throws(() => mapped(`accounts { A: { jetstream: { max_memroy: 1 } } }`), /unknown field "max_memroy"/);
  });

  it("a server from that file: the importer gets the stream under its prefix and answers come back", async (t) => {
    const server = createServer({ ...mapped(CONFIG).options, port: 0, host: "127.0.0.1" });
    await server.listen();
    t.after(() => server.close());
    const url = `nats://127.0.0.1:${server.ports.nats!.port}`;
    const orders = await connect({ servers: url, user: "orders", pass: "pw" });
    const shop = await connect({ servers: url }); // no credentials: no_auth_user, in SHOP
    t.after(() => Promise.all([orders.close(), shop.close()]));
    orders.subscribe("orders.lookup", { callback: (_err, msg) => void msg.respond(`order ${msg.string()}`) });
    await orders.flush();
    assert.equal((await shop.request("lookup", "42", { timeout: 1000 })).string(), "order 42");
    const feed = shop.subscribe("feed.orders.*", { max: 1 });
    await shop.flush();
    orders.publish("orders.created", "7");
    for await (const msg of feed) assert.equal(`${msg.subject} ${msg.string()}`, "feed.orders.created 7");
  });

  it("refuses what nats-server refuses: a user in two accounts, a malformed import, an unknown field", () => {
    const refused = (text: string, pattern: RegExp): void => {
      assert.throws(() => mapped(text), (err: unknown) => err instanceof ConfigError && pattern.test(err.message));
    };
    refused("accounts { A { users: [{user: u, password: p}] }, B { users: [{user: u, password: p}] } }", /duplicate user "u" detected/);
    refused("accounts { A { imports: [ { stream: { account: B } } ] } }", /an import needs an account and a subject/);
    refused("accounts { A { exports: [ { stream: x, service: y } ] } }", /an export names one stream or one service/);
    refused("accounts { A { colour: blue } }", /unknown field "colour"/);
    refused("accounts { A { users: [{user: a, password: p}] } }\nno_auth_user: b", /no_auth_user: "b" not present as user in authorization block or account configuration/);
  });
});

describe("account limits in a configuration file", () => {
  it("max_connections, max_subscriptions, max_payload and max_leafnodes are read and enforced as nats-server does", async (t) => {
    const { options, warnings } = mapped(`
accounts {
  A: {
    users: [ { user: a, password: pw } ]
    limits: { max_connections: 1, max_subs: 1, max_payload: 1024, max_leafnodes: 2 }
  }
}
`);
    assert.deepEqual(options.accounts?.["A"]?.limits, { connections: 1, subscriptions: 1, payload: 1024, leafNodes: 2 });
    assert.deepEqual(warnings, []);
    const server = createServer({ ...options, port: 0, host: "127.0.0.1" });
    await server.listen();
    t.after(() => server.close());
    const url = `nats://127.0.0.1:${server.ports.nats!.port}`;
    const first = await connect({ servers: url, user: "a", pass: "pw", reconnect: false });
    t.after(() => first.close());
    await assert.rejects(connect({ servers: url, user: "a", pass: "pw", reconnect: false }), /maximum account active connections exceeded/i);
    assert.throws(() => mapped("accounts { A { limits: { max_colour: 1 } } }"), /Unknown field "max_colour" parsing account limits/);
  });

  it("an account's max_payload: the client is told its limit and cut past it, as by nats-server 2.9.10", { skip: !hasNatsServer() && "nats-server not installed" }, async (t) => {
    const config = "accounts {\n  A: {\n    users: [ { user: a, password: pw } ]\n    limits: { max_payload: 16 }\n  }\n}\n";
    const reference = await startNatsServer([], { config });
    t.after(() => reference.stop());
    const server = createServer({ ...mapped(config).options, port: 0, host: "127.0.0.1" });
    await server.listen();
    t.after(() => server.close());
    const seen: string[][] = [];
    for (const port of [server.ports.nats!.port, reference.port]) {
      const nc = await connect({ servers: `nats://127.0.0.1:${port}`, user: "a", pass: "pw", reconnect: false });
      const told = String(nc.info?.max_payload);
      await nc.close();
      const raw = await RawClient.connect(port);
      t.after(() => raw.destroy());
      raw.send('CONNECT {"user":"a","pass":"pw","verbose":false,"protocol":1}\r\nPUB x 16\r\n0123456789abcdef\r\nPING\r\n');
      await raw.waitFor("PONG\r\n");
      raw.send("PUB x 17\r\n0123456789abcdefg\r\n");
      await raw.waitClosed();
      const frames = raw.text().split("\r\n").filter((line) => line !== "" && !line.startsWith("INFO "));
      seen.push([told, ...frames]);
    }
    assert.deepEqual(seen[0], ["16", "PONG", "-ERR 'Maximum Payload Violation'"]);
    assert.deepEqual(seen[0], seen[1]);
  });

  it("an account's default_permissions apply to its users without their own, as in nats-server 2.9.10", async (t) => {
    const config = `accounts {
  A: {
    default_permissions: { publish: "ok.>", subscribe: ">" }
    users: [ { user: a, password: pw }, { user: b, password: pw, permissions: { publish: ">", subscribe: ">" } } ]
  }
}
`;
    const { options } = mapped(config);
    assert.deepEqual(
      options.accounts?.["A"]?.users?.map((u) => [u.user, u.permissions]),
      [
        ["a", { publish: { allow: ["ok.>"] }, subscribe: { allow: [">"] } }],
        ["b", { publish: { allow: [">"] }, subscribe: { allow: [">"] } }],
      ],
    );
    const server = createServer({ ...options, port: 0, host: "127.0.0.1" });
    await server.listen();
    t.after(() => server.close());
    const ports = [server.ports.nats!.port];
    if (hasNatsServer()) {
      const reference = await startNatsServer([], { config });
      t.after(() => reference.stop());
      ports.push(reference.port);
    }
    const seen: string[][] = [];
    for (const port of ports) {
      const lines: string[] = [];
      for (const user of ["a", "b"]) {
        const raw = await RawClient.connect(port);
        t.after(() => raw.destroy());
        raw.send(`CONNECT {"user":"${user}","pass":"pw","verbose":false,"protocol":1}\r\nPUB ok.1 0\r\n\r\nPUB no.1 0\r\n\r\nPING\r\n`);
        await raw.waitFor("PONG\r\n");
        lines.push(`${user}: ${raw.text().split("\r\n").filter((l) => l !== "" && !l.startsWith("INFO ")).join(" | ")}`);
      }
      seen.push(lines);
    }
    assert.deepEqual(seen[0], ["a: -ERR 'Permissions Violation for Publish to \"no.1\"' | PONG", "b: PONG"]);
    if (seen.length > 1) assert.deepEqual(seen[0], seen[1]);
  });
});

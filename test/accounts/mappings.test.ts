/**
 * Subject mappings (nats-server's `mappings { }`), through the official client and the
 * in-process API: what subscribers see, weights, accounts, permissions, refusals, and the same
 * configuration file against Debian's nats-server 2.9.10.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { parseConfig } from "../../src/config/parser.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";

async function start(t: TestContext, options: ServerOptions): Promise<Server> {
  const server = createServer({ host: "127.0.0.1", port: 0, ...options });
  await server.listen();
  t.after(() => server.close());
  return server;
}

async function client(t: TestContext, port: number, user?: string): Promise<NatsConnection> {
  const nc = await connect({ servers: `127.0.0.1:${port}`, ...(user === undefined ? {} : { user, pass: "pw" }), reconnect: false });
  t.after(() => nc.close());
  return nc;
}

/** Subscribes to `>`, publishes each subject once, and returns `<subject seen> <payload>` in order. */
async function deliveries(subscriber: NatsConnection, publisher: NatsConnection, subjects: readonly string[]): Promise<string[]> {
  const seen: string[] = [];
  const sub = subscriber.subscribe(">", { callback: (_err, msg) => void seen.push(`${msg.subject} ${msg.string()}`) });
  await subscriber.flush();
  for (const subject of subjects) publisher.publish(subject, subject);
  await publisher.flush();
  await subscriber.flush();
  await new Promise((resolve) => setTimeout(resolve, 50));
  sub.unsubscribe();
  return seen.sort();
}

const MAPPINGS = {
  "orders.new": "orders.created",
  "legacy.*.*": "modern.$2.$1",
  "region.*.>": "by-region.{{wildcard(1)}}.>",
  "part.*": "part.{{partition(4,1)}}.{{wildcard(1)}}",
};

test("a published subject is delivered under its mapping, to network and in-process subscribers", async (t) => {
  const server = await start(t, { mappings: MAPPINGS });
  const port = server.ports.nats!.port;
  const [sub, pub] = [await client(t, port), await client(t, port)];
  const seen = await deliveries(sub, pub, ["orders.new", "legacy.a.b", "region.eu.x.y", "part.key-1", "untouched"]);
  assert.equal(seen.length, 5);
  assert.deepEqual(seen.slice(0, 4), ["by-region.eu.x.y region.eu.x.y", "modern.b.a legacy.a.b", "orders.created orders.new", seen[3]]);
  assert.match(seen[3]!, /^part\.[0-3]\.key-1 part\.key-1$/);
  assert.equal(seen[4], "untouched untouched");
  // The in-process API publishes through the same mappings.
  const inProcess: string[] = [];
  server.subscribe("orders.created", { callback: (_err, msg) => void inProcess.push(msg.subject) });
  server.publish("orders.new", "x");
  assert.deepEqual(inProcess, ["orders.created"]);
  // The partition is stable for a key.
  const again = await deliveries(sub, pub, ["part.key-1"]);
  assert.equal(again[0], seen[3]);
});

test("weights split messages by percent, and what they leave stays on the source", async (t) => {
  const server = await start(t, { mappings: { canary: [{ destination: "v2", weight: 20 }, { destination: "v1", weight: 80 }], split: [{ destination: "elsewhere", weight: 30 }] } });
  const counts = new Map<string, number>();
  for (const subject of ["v1", "v2", "split", "elsewhere"]) server.subscribe(subject, { callback: () => void counts.set(subject, (counts.get(subject) ?? 0) + 1) });
  const n = 10_000;
  for (let i = 0; i < n; i++) {
    server.publish("canary", "x");
    server.publish("split", "x");
  }
  const share = (subject: string): number => (counts.get(subject) ?? 0) / n;
  // Binomial spread for n = 10,000 is about 0.4 percentage points: 3 points is far outside it.
  assert.ok(Math.abs(share("v2") - 0.2) < 0.03, `v2 got ${share("v2")}`);
  assert.equal((counts.get("v1") ?? 0) + (counts.get("v2") ?? 0), n);
  assert.ok(Math.abs(share("elsewhere") - 0.3) < 0.03, `elsewhere got ${share("elsewhere")}`);
  assert.equal((counts.get("split") ?? 0) + (counts.get("elsewhere") ?? 0), n);
});

test("each account has its own mappings; permissions apply to the subject as published", async (t) => {
  const server = await start(t, {
    accounts: {
      A: { mappings: { in: "a.out" }, users: [{ user: "a", password: "pw", permissions: { publish: { allow: ["in"] } } }, { user: "a2", password: "pw" }] },
      B: { users: [{ user: "b", password: "pw" }] },
    },
  });
  const port = server.ports.nats!.port;
  const a = await client(t, port, "a");
  const a2 = await client(t, port, "a2");
  const b = await client(t, port, "b");
  const inA = await deliveries(a2, a, ["in"]);
  assert.deepEqual(inA, ["a.out in"]);
  const inB = await deliveries(b, b, ["in"]);
  assert.deepEqual(inB, ["in in"]);
});

test("mappings nats-server refuses are refused at createServer and in a file", () => {
  assert.throws(() => createServer({ mappings: { "a.*": "b.$2" } }), /mappings\.a\.\*.*wildcard index out of range/);
  assert.throws(() => createServer({ mappings: { x: [{ destination: "y", weight: 60 }, { destination: "z", weight: 50 }] } }), /total weight needs to be <= 100/);
  assert.throws(() => createServer({ mappings: { x: [{ destination: "y", weight: 101 }] } }), /individual weights need to be <= 100/);
  assert.throws(() => createServer({ mappings: { x: [{ destination: "y" }, { destination: "y", weight: 0 }] } }), /duplicate entry for "y"/);
  assert.throws(() => createServer({ mappings: { "a..b": "c" } }), /invalid subject/);
  const file = "/conf/m.conf";
  const { options, warnings } = optionsFromConfig(parseConfig(`mappings { canary: [ { destination: v2, weight: "20%" }, { destination: v1, weight: 80 } ], "x.*": "y.$1" }`, { file, env: {} }), { file });
  assert.deepEqual(options.mappings, { canary: [{ destination: "v2", weight: 20 }, { destination: "v1", weight: 80 }], "x.*": "y.$1" });
  assert.deepEqual(warnings, []);
});

test("the same mappings file: what subscribers see equals nats-server 2.9.10's", { timeout: 60_000 }, async (t) => {
  if (!hasNatsServer()) {
    assert.notEqual(process.env["CI"], "true", "nats-server is not installed: .ci/run must apt-get install it");
    t.skip("nats-server binary not installed (apt-get install -y nats-server)");
    return;
  }
  const config = `
mappings {
  "orders.new": "orders.created"
  "legacy.*.*": "modern.$2.$1"
  "region.*.>": "by-region.{{wildcard(1)}}.>"
  "part.*": "part.{{partition(4,1)}}.{{wildcard(1)}}"
  "split.*.*": "split.{{splitFromLeft(1,2)}}.{{sliceFromRight(2,3)}}"
}
accounts {
  A: { users: [ { user: a, password: pw } ], mappings: { "in.*": "a.$1" } }
}
authorization { users: [ { user: g, password: pw } ] }
`;
  const subjects = ["orders.new", "legacy.a.b", "region.eu.x.y", "part.k1", "part.k2", "part.key-3", "split.abcd.abcdef", "in.x", "untouched"];
  const run = async (port: number): Promise<string[]> => {
    const g = await connect({ servers: `127.0.0.1:${port}`, user: "g", pass: "pw", reconnect: false });
    const a = await connect({ servers: `127.0.0.1:${port}`, user: "a", pass: "pw", reconnect: false });
    try {
      return [...(await deliveries(g, g, subjects)), ...(await deliveries(a, a, subjects)).map((d) => `A ${d}`)];
    } finally {
      await Promise.all([g.close(), a.close()]);
    }
  };
  const reference = await startNatsServer([], { config });
  let expected: string[];
  try {
    expected = await run(reference.port);
  } finally {
    await reference.stop();
  }
  const dir = mkdtempSync(join(tmpdir(), "mappings-diff-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "m.conf"), config);
  const ours = await start(t, { configFile: join(dir, "m.conf") });
  const actual = await run(ours.ports.nats!.port);
  assert.ok(expected.includes("modern.b.a legacy.a.b") && expected.includes("A a.x in.x"), JSON.stringify(expected));
  assert.deepEqual(actual, expected);
});

/**
 * The isolation matrix, against Debian's nats-server: one configuration file with three
 * accounts (one exporting a stream and a service, one importing both, one importing nothing)
 * and $G. A user of each publishes on the same subjects and sends the same requests; what
 * every subscriber receives, and which requests are answered, must be what nats-server does.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";

const CONFIG = `
accounts {
  A: {
    users: [ { user: a, password: pw } ]
    exports: [
      { stream: "orders.>" }
      { service: "svc.time" }
      { service: "svc.private", accounts: [B] }
    ]
  }
  B: {
    users: [ { user: b, password: pw } ]
    imports: [
      { stream: { account: A, subject: "orders.>" }, prefix: "a" }
      { service: { account: A, subject: "svc.time" }, to: "time" }
      { service: { account: A, subject: "svc.private" } }
    ]
  }
  C: {
    users: [ { user: c, password: pw } ]
    imports: [ { stream: { account: A, subject: "orders.eu.*" } } ]
  }
}
authorization { users: [ { user: g, password: pw } ] }
`;

const USERS = ["a", "b", "c", "g"] as const;
/** Subjects each user publishes on: local ones, the exporter's, and the import subjects. */
const PUBLISHED = ["orders.created", "orders.eu.created", "a.orders.created", "time", "svc.time", "news"];
const REQUESTS = ["svc.time", "time", "svc.private"];

interface Outcome {
  /** `<receiver> <subject> <payload>` for every message, sorted. */
  deliveries: string[];
  /** `<requester> <subject> -> <answer or error>`. */
  requests: string[];
}

async function runMatrix(url: string): Promise<Outcome> {
  const conns = new Map<string, NatsConnection>();
  for (const user of USERS) conns.set(user, await connect({ servers: url, user, pass: "pw", reconnect: false }));
  try {
    const deliveries: string[] = [];
    for (const [user, nc] of conns) {
      nc.subscribe(">", { callback: (_err, msg) => void deliveries.push(`${user} ${msg.subject} ${msg.string()}`) });
    }
    // A's responders answer with who asked through which subject.
    conns.get("a")!.subscribe("svc.*", {
      callback: (_err, msg) => {
        if (msg.reply !== undefined) msg.respond(`A:${msg.subject}:${msg.string()}`);
      },
    });
    for (const nc of conns.values()) await nc.flush();
    for (const [user, nc] of conns) {
      for (const subject of PUBLISHED) nc.publish(subject, `from-${user}`);
      await nc.flush();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Requests go to a fresh inbox per user, so the catch-all subscriptions above see them too:
    // count only what the published messages produced.
    const published = [...deliveries].sort();
    const requests: string[] = [];
    for (const [user, nc] of conns) {
      for (const subject of REQUESTS) {
        try {
          const reply = await nc.request(subject, user, { timeout: 500 });
          requests.push(`${user} ${subject} -> ${reply.string()}`);
        } catch (err) {
          requests.push(`${user} ${subject} -> ${/no responders/i.test(String(err)) ? "no responders" : "timeout"}`);
        }
      }
    }
    return { deliveries: published, requests };
  } finally {
    await Promise.all([...conns.values()].map((nc) => nc.close()));
  }
}

test("accounts: the isolation matrix matches nats-server's", { timeout: 60_000 }, async (t: TestContext) => {
  if (!hasNatsServer()) {
    assert.notEqual(process.env["CI"], "true", "nats-server is not installed: .ci/run must apt-get install it");
    t.skip("nats-server binary not installed (apt-get install -y nats-server)");
    return;
  }
  const reference = await startNatsServer([], { config: CONFIG });
  let expected: Outcome;
  try {
    expected = await runMatrix(`nats://127.0.0.1:${reference.port}`);
  } finally {
    await reference.stop();
  }

  const dir = mkdtempSync(join(tmpdir(), "accounts-diff-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "nats.conf"), CONFIG);
  const ours = createServer({ configFile: join(dir, "nats.conf"), host: "127.0.0.1", port: 0 });
  await ours.listen();
  let actual: Outcome;
  try {
    actual = await runMatrix(`nats://127.0.0.1:${ours.ports.nats!.port}`);
  } finally {
    await ours.close();
  }
  // The matrix is not trivial: messages crossed accounts, and some did not.
  assert.ok(expected.deliveries.some((d) => d.startsWith("b a.orders.created from-a")));
  assert.ok(expected.deliveries.length > 20);
  assert.deepEqual(actual.deliveries, expected.deliveries);
  assert.deepEqual(actual.requests, expected.requests);
});

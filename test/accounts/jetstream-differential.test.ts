/**
 * Per-account JetStream against Debian's nats-server 2.9.10, from one configuration file: an
 * account without JetStream, one with limits, one that requires `max_bytes`. The same API
 * requests go to both servers; the answers must be the same (the creation time and the API
 * counters aside). Pull requests and unknown API subjects are left out: 2.9.10 lets them time
 * out, and 2.11 on answer no responders, as we do.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { connect } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";

const accounts = `
accounts {
  A: { jetstream: { max_streams: 1, max_consumers: 1, max_mem: 4096, max_file: 1M, store_max_stream_bytes: 10000 }, users: [ { user: a, password: pw } ] }
  B: { users: [ { user: b, password: pw } ] }
  R: { jetstream: { max_bytes_required: true }, users: [ { user: r, password: pw } ] }
}
`;

const create = (name: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ name, subjects: [name.toLowerCase()], ...extra });

const REQUESTS: Array<[user: string, subject: string, body: string]> = [
  ["b", "$JS.API.INFO", ""],
  ["b", "$JS.API.STREAM.NAMES", ""],
  ["b", "$JS.API.STREAM.LIST", ""],
  ["b", "$JS.API.STREAM.CREATE.X", create("X")],
  ["b", "$JS.API.STREAM.INFO.X", ""],
  ["b", "$JS.API.STREAM.PURGE.X", ""],
  ["b", "$JS.API.STREAM.DELETE.X", ""],
  ["b", "$JS.API.CONSUMER.NAMES.X", ""],
  ["b", "$JS.API.CONSUMER.INFO.X.Y", ""],
  ["a", "$JS.API.INFO", ""],
  ["a", "$JS.API.STREAM.CREATE.BIG", create("BIG", { max_bytes: 20_000 })],
  ["a", "$JS.API.STREAM.CREATE.MEM", create("MEM", { storage: "memory", max_bytes: 8192 })],
  ["a", "$JS.API.STREAM.CREATE.ONE", create("ONE")],
  ["a", "$JS.API.STREAM.CREATE.TWO", create("TWO")],
  ["a", "$JS.API.CONSUMER.CREATE.ONE.C1", JSON.stringify({ stream_name: "ONE", config: { name: "C1", ack_policy: "explicit" } })],
  ["a", "$JS.API.CONSUMER.CREATE.ONE.C2", JSON.stringify({ stream_name: "ONE", config: { name: "C2", ack_policy: "explicit" } })],
  ["r", "$JS.API.STREAM.CREATE.X", create("X")],
  ["r", "$JS.API.STREAM.CREATE.X", create("X", { max_bytes: 1024 })],
  ["r", "$JS.API.INFO", ""],
];

/**
 * An error whole; a success by its type, with an account's usage and limits (the stream and
 * consumer shapes are 2.10's here and 2.9's there: the JetStream tests compare those).
 */
function normalize(text: string): unknown {
  const json = JSON.parse(text) as Record<string, unknown>;
  if (json["error"] !== undefined) return json;
  const { type, memory, storage, streams, consumers, limits } = json;
  return { type, memory, storage, streams, consumers, limits };
}

async function run(port: number): Promise<unknown[]> {
  const out: unknown[] = [];
  const conns = new Map<string, Awaited<ReturnType<typeof connect>>>();
  try {
    for (const [user, subject, body] of REQUESTS) {
      let nc = conns.get(user);
      if (nc === undefined) {
        nc = await connect({ servers: `127.0.0.1:${port}`, user, pass: "pw", reconnect: false });
        conns.set(user, nc);
      }
      const reply = await nc.request(subject, body, { timeout: 2000 });
      out.push([user, subject, normalize(reply.string())]);
    }
  } finally {
    await Promise.all([...conns.values()].map((nc) => nc.close()));
  }
  return out;
}

test("per-account JetStream answers as nats-server 2.9.10 does", { timeout: 60_000 }, async (t: TestContext) => {
  if (!hasNatsServer()) {
    assert.notEqual(process.env["CI"], "true", "nats-server is not installed: .ci/run must apt-get install it");
    t.skip("nats-server binary not installed (apt-get install -y nats-server)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "accounts-js-diff-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const reference = await startNatsServer([], { config: `jetstream { store_dir: "${join(dir, "theirs")}" }\n${accounts}` });
  let expected: unknown[];
  try {
    expected = await run(reference.port);
  } finally {
    await reference.stop();
  }
  writeFileSync(join(dir, "ours.conf"), `jetstream { store_dir: "${join(dir, "ours")}" }\n${accounts}`);
  const ours = createServer({ configFile: join(dir, "ours.conf"), host: "127.0.0.1", port: 0 });
  await ours.listen();
  let actual: unknown[];
  try {
    actual = await run(ours.ports.nats!.port);
  } finally {
    await ours.close();
  }
  // Not trivial: refusals with four different codes, and successes.
  const text = JSON.stringify(expected);
  for (const code of [10039, 10122, 10028, 10027, 10026, 10113]) assert.ok(text.includes(`"err_code":${code}`), `nats-server answered ${code}`);
  for (let i = 0; i < expected.length; i++) assert.deepEqual(actual[i], expected[i], `request ${i}: ${REQUESTS[i]![0]} ${REQUESTS[i]![1]}`);
});

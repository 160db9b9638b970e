/**
 * Messages across accounts: our broker against nats-server, each from the same configuration
 * file with two accounts, and the same traffic through the official client.
 *
 *   node --import tsx bench/accounts.bench.ts [--messages 100000] [--requests 2000] [--runs 3] [--json f] [--svg f]
 *
 * Scenarios, as a user of accounts has them:
 * - `same-account`: a publisher in ORDERS on 100 subjects (`orders.<n>.created`, JSON payloads),
 *   one `orders.*.created` subscriber in ORDERS: the baseline, no account crossed;
 * - `stream-import`: the same publisher, the subscriber in SHOP on the imported, prefixed
 *   subjects (`feed.orders.*.created`): every message crosses an account;
 * - `both`: one subscriber in each, so each message is delivered locally and across;
 * - `service-import`: serial requests from SHOP through its service import to a responder in
 *   ORDERS, answered through the `_R_` reply mapping (requests/s).
 * Each run starts fresh servers; the two brokers alternate which goes first. The rate is
 * messages over the time from the first publish to the last message received. Medians of the
 * runs are printed, with ours / nats-server.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { SERVER_NOFILE } from "./lib/limits.ts";
import { ratioChartSvg } from "./lib/ratio-chart.ts";
import { startServer, type ServerHandle, type ServerKind } from "./lib/server-process.ts";
import { alternatingRuns } from "./lib/alternating.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SUBJECTS = 100;

const CONFIG = `
accounts {
  ORDERS: {
    users: [ { user: orders, password: pw } ]
    exports: [ { stream: "orders.>" }, { service: "lookup.>" } ]
  }
  SHOP: {
    users: [ { user: shop, password: pw } ]
    imports: [
      { stream: { account: ORDERS, subject: "orders.>" }, prefix: feed }
      { service: { account: ORDERS, subject: "lookup.>" } }
    ]
  }
}
`;

type Scenario = "same-account" | "stream-import" | "both" | "service-import";
const SCENARIOS: readonly Scenario[] = ["same-account", "stream-import", "both", "service-import"];

async function start(kind: ServerKind, dir: string): Promise<ServerHandle> {
  const file = join(dir, "accounts.conf");
  writeFileSync(file, CONFIG);
  return startServer(kind, { root: ROOT, nofile: SERVER_NOFILE, extraArgs: ["-c", file], fromSource: true });
}

/** Counts `n` messages on each of `subs` (subject per connection); resolves when all have them. */
async function delivered(pub: NatsConnection, subs: { nc: NatsConnection; subject: string }[], n: number): Promise<number> {
  let left = subs.length;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const subscriptions = subs.map(({ nc, subject }) => {
    let count = 0;
    return nc.subscribe(subject, {
      callback: () => {
        if (++count === n && --left === 0) done();
      },
    });
  });
  for (const { nc } of subs) await nc.flush();
  // What users publish: a JSON order, on one of many subjects.
  const payloads = Array.from({ length: SUBJECTS }, (_, i) => JSON.stringify({ id: i, sku: `sku-${i}`, qty: 1 + (i % 5), at: "2026-12-06T10:00:00Z" }));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const k = i % SUBJECTS;
    pub.publish(`orders.${k}.created`, payloads[k]!);
    if (i % 5000 === 4999) await pub.flush();
  }
  await pub.flush();
  await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`messages missing after 60 s`)), 60_000))]);
  const seconds = (performance.now() - t0) / 1000;
  for (const s of subscriptions) s.unsubscribe();
  return n / seconds;
}

async function requests(requester: NatsConnection, responder: NatsConnection, n: number): Promise<number> {
  const sub = responder.subscribe("lookup.*", { callback: (_err, msg) => void msg.respond(`{"found":true,"id":"${msg.subject.slice(7)}"}`) });
  await responder.flush();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await requester.request(`lookup.${i % SUBJECTS}`, "", { timeout: 5000 });
  const seconds = (performance.now() - t0) / 1000;
  sub.unsubscribe();
  return n / seconds;
}

async function runOnce(kind: ServerKind, dir: string, n: number, r: number): Promise<Record<Scenario, number>> {
  const server = await start(kind, dir);
  const url = `127.0.0.1:${server.port}`;
  const orders = await connect({ servers: url, user: "orders", pass: "pw", reconnect: false });
  const ordersSub = await connect({ servers: url, user: "orders", pass: "pw", reconnect: false });
  const shop = await connect({ servers: url, user: "shop", pass: "pw", reconnect: false });
  try {
    // Unmeasured: the first scenario would otherwise carry the JIT warm-up of both the client
    // and our broker alone.
    await delivered(orders, [{ nc: ordersSub, subject: "orders.*.created" }, { nc: shop, subject: "feed.orders.*.created" }], Math.min(n, 20_000));
    return {
      "same-account": await delivered(orders, [{ nc: ordersSub, subject: "orders.*.created" }], n),
      "stream-import": await delivered(orders, [{ nc: shop, subject: "feed.orders.*.created" }], n),
      both: await delivered(
        orders,
        [
          { nc: ordersSub, subject: "orders.*.created" },
          { nc: shop, subject: "feed.orders.*.created" },
        ],
        n,
      ),
      "service-import": await requests(shop, ordersSub, r),
    };
  } finally {
    await Promise.all([orders.close(), ordersSub.close(), shop.close()]);
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: "string", default: "100000" },
      requests: { type: "string", default: "2000" },
      runs: { type: "string", default: "3" },
      json: { type: "string" },
      svg: { type: "string" },
    },
  });
  const n = Number(values.messages);
  const r = Number(values.requests);
  const runs = Number(values.runs);
  const dir = mkdtempSync(join(tmpdir(), "accounts-bench-"));
  let outcome: Awaited<ReturnType<typeof alternatingRuns<Scenario>>>;
  try {
    outcome = await alternatingRuns(runs, SCENARIOS, (kind) => runOnce(kind, dir, n, r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const { results } = outcome;
  // Every scenario runs on both brokers: each has its median.
  const medians = outcome.medians as Record<ServerKind, Record<Scenario, number>>;
  const ratios = Object.fromEntries(SCENARIOS.map((s) => [s, medians["nats-embedded"][s] / medians["nats-server"][s]])) as Record<Scenario, number>;
  console.log(`\n${n} JSON messages on ${SUBJECTS} subjects, ${r} requests; median of ${runs} runs\n`);
  console.log("| scenario | nats-embedded | nats-server | ours / nats-server |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const s of SCENARIOS) {
    const unit = s === "service-import" ? "req/s" : "msg/s";
    const fmt = (x: number): string => `${Math.round(x).toLocaleString("en")} ${unit}`;
    console.log(`| ${s} | ${fmt(medians["nats-embedded"][s])} | ${fmt(medians["nats-server"][s])} | ${ratios[s].toFixed(2)}× |`);
  }
  if (values.json !== undefined) {
    writeFileSync(values.json, `${JSON.stringify({ messages: n, requests: r, subjects: SUBJECTS, runs, node: process.version, medians, ratios, results }, null, 2)}\n`);
  }
  if (values.svg !== undefined) {
    const bars = SCENARIOS.map((s) => ({ label: s, ratio: ratios[s] }));
    writeFileSync(values.svg, ratioChartSvg("Accounts: nats-embedded / nats-server", `${n} JSON messages on ${SUBJECTS} subjects, ${r} requests, median of ${runs} runs`, bars));
  }
}

await main();

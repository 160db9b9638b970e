/**
 * Messages across a route: two of our brokers against two nats-servers, each pair a cluster
 * of two nodes on loopback built from the same configuration files, with the same traffic
 * through the official client: the publisher on node A, the subscribers on node B.
 *
 *   node --import tsx bench/cluster.bench.ts [--messages 100000] [--runs 3] [--json f] [--svg f]
 *
 * Scenarios, as users publish:
 * - `uint8array`: 128-byte `Uint8Array` payloads on one subject, one subscriber on it;
 * - `json`: JSON orders on 100 subjects (`orders.<n>.created`), one `orders.*.created`
 *   subscriber (a wildcard: one RMSG per message whichever subjects match);
 * - `json-2-subs`: the same, with a second subscriber on `orders.>` on B (still one RMSG per
 *   message over the route, two deliveries on B);
 * - `queue`: JSON orders to a queue group with two members on B (each message once).
 * Each run starts fresh servers; the two kinds alternate which goes first. The rate is
 * messages over the time from the first publish to the last message received (delivered
 * messages for `json-2-subs`). Medians of the runs are printed, with ours / nats-server.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
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

type Scenario = "uint8array" | "json" | "json-2-subs" | "queue";
const SCENARIOS: readonly Scenario[] = ["uint8array", "json", "json-2-subs", "queue"];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

interface Pair {
  a: ServerHandle;
  b: ServerHandle;
}

/** Node A listens for routes; node B dials it. */
async function startPair(kind: ServerKind, dir: string): Promise<Pair> {
  const [portA, portB] = [await freePort(), await freePort()];
  const fileA = join(dir, `${kind}-a.conf`);
  const fileB = join(dir, `${kind}-b.conf`);
  writeFileSync(fileA, `cluster { name: bench, listen: "127.0.0.1:${portA}" }\n`);
  writeFileSync(fileB, `cluster { name: bench, listen: "127.0.0.1:${portB}", routes: ["nats-route://127.0.0.1:${portA}"] }\n`);
  const options = { root: ROOT, nofile: SERVER_NOFILE, fromSource: true };
  const a = await startServer(kind, { ...options, extraArgs: ["-c", fileA] });
  try {
    const b = await startServer(kind, { ...options, extraArgs: ["-c", fileB] });
    return { a, b };
  } catch (err) {
    await a.stop();
    throw err;
  }
}

/** Publishes a probe on A until B's subscriber has it: the route is up and the interest crossed. */
async function routeReady(pub: NatsConnection, sub: NatsConnection): Promise<void> {
  let got = false;
  const s = sub.subscribe("bench.ready", { callback: () => void (got = true) });
  await sub.flush();
  const deadline = Date.now() + 20_000;
  while (!got) {
    if (Date.now() > deadline) throw new Error("the route did not come up in 20 s");
    pub.publish("bench.ready");
    await pub.flush();
    await new Promise((r) => setTimeout(r, 20));
  }
  s.unsubscribe();
  await sub.flush();
}

interface Traffic {
  /** Subscriptions on B: subject and optional queue group, each on its own connection. */
  subs: { subject: string; queue?: string }[];
  /** Deliveries that end the scenario. */
  expected: (n: number) => number;
  publish: (pub: NatsConnection, i: number) => void;
}

const bytes = new Uint8Array(128).map((_, i) => i);
const orders = Array.from({ length: SUBJECTS }, (_, i) => JSON.stringify({ id: i, sku: `sku-${i}`, qty: 1 + (i % 5), at: "2026-12-06T10:00:00Z" }));
const publishOrder = (pub: NatsConnection, i: number): void => {
  const k = i % SUBJECTS;
  pub.publish(`orders.${k}.created`, orders[k]!);
};

const TRAFFIC: Record<Scenario, Traffic> = {
  uint8array: { subs: [{ subject: "bytes" }], expected: (n) => n, publish: (pub) => pub.publish("bytes", bytes) },
  json: { subs: [{ subject: "orders.*.created" }], expected: (n) => n, publish: publishOrder },
  "json-2-subs": { subs: [{ subject: "orders.*.created" }, { subject: "orders.>" }], expected: (n) => 2 * n, publish: publishOrder },
  queue: {
    subs: [
      { subject: "orders.*.created", queue: "workers" },
      { subject: "orders.*.created", queue: "workers" },
    ],
    expected: (n) => n,
    publish: publishOrder,
  },
};

/** One scenario: subscribers on B (each on its own connection), the publisher on A; deliveries per second. */
async function measure(pub: NatsConnection, subConns: NatsConnection[], traffic: Traffic, n: number): Promise<number> {
  const want = traffic.expected(n);
  let count = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const subscriptions = traffic.subs.map(({ subject, queue }, i) =>
    subConns[i]!.subscribe(subject, {
      ...(queue !== undefined && { queue }),
      callback: () => {
        if (++count === want) done();
      },
    }),
  );
  for (const nc of subConns) await nc.flush();
  // The interest has to cross the route before the first message: a probe on the same
  // connection as the first subscription, after it, proves it did.
  await routeReady(pub, subConns[0]!);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    traffic.publish(pub, i);
    if (i % 5000 === 4999) await pub.flush();
  }
  await pub.flush();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${want - count} of ${want} messages missing after 60 s`)), 60_000)))]);
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  for (const s of subscriptions) s.unsubscribe();
  for (const nc of subConns) await nc.flush();
  return want / seconds;
}

async function runOnce(kind: ServerKind, dir: string, n: number): Promise<Record<Scenario, number>> {
  const { a, b } = await startPair(kind, dir);
  const pub = await connect({ servers: `127.0.0.1:${a.port}`, reconnect: false });
  const subConns = [await connect({ servers: `127.0.0.1:${b.port}`, reconnect: false }), await connect({ servers: `127.0.0.1:${b.port}`, reconnect: false })];
  try {
    // Unmeasured: the first scenario would otherwise carry the JIT warm-up of the client and
    // of our broker alone.
    await measure(pub, subConns, TRAFFIC.json, Math.min(n, 20_000));
    const out = {} as Record<Scenario, number>;
    for (const s of SCENARIOS) out[s] = await measure(pub, subConns, TRAFFIC[s], n);
    return out;
  } finally {
    await Promise.all([pub.close(), ...subConns.map((nc) => nc.close())]);
    await Promise.all([a.stop(), b.stop()]);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: "string", default: "100000" },
      runs: { type: "string", default: "3" },
      json: { type: "string" },
      svg: { type: "string" },
    },
  });
  const n = Number(values.messages);
  const runs = Number(values.runs);
  const dir = mkdtempSync(join(tmpdir(), "cluster-bench-"));
  let outcome: Awaited<ReturnType<typeof alternatingRuns<Scenario>>>;
  try {
    outcome = await alternatingRuns(runs, SCENARIOS, (kind) => runOnce(kind, dir, n));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const { results } = outcome;
  // Every scenario runs on both brokers: each has its median.
  const medians = outcome.medians as Record<ServerKind, Record<Scenario, number>>;
  const ratios = Object.fromEntries(SCENARIOS.map((s) => [s, medians["nats-embedded"][s] / medians["nats-server"][s]])) as Record<Scenario, number>;
  console.log(`\n${n} messages per scenario, publisher on node A, subscribers on node B; median of ${runs} runs\n`);
  console.log("| scenario | nats-embedded ↔ nats-embedded | nats-server ↔ nats-server | ours / nats-server |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const s of SCENARIOS) {
    const fmt = (x: number): string => `${Math.round(x).toLocaleString("en")} msg/s`;
    console.log(`| ${s} | ${fmt(medians["nats-embedded"][s])} | ${fmt(medians["nats-server"][s])} | ${ratios[s].toFixed(2)}× |`);
  }
  if (values.json !== undefined) {
    writeFileSync(values.json, `${JSON.stringify({ messages: n, subjects: SUBJECTS, runs, node: process.version, medians, ratios, results }, null, 2)}\n`);
  }
  if (values.svg !== undefined) {
    const bars = SCENARIOS.map((s) => ({ label: s, ratio: ratios[s] }));
    writeFileSync(values.svg, ratioChartSvg("Across a route: nats-embedded / nats-server", `${n} messages per scenario, A → B, median of ${runs} runs`, bars));
  }
}

await main();

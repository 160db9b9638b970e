/**
 * What nats-server 2.11 adds to JetStream, as users publish: acknowledged publishes with a
 * per-message TTL, KV puts with a key TTL, and a mirror following its origin. Our broker
 * against nats-server where it has the feature (Debian's 2.9.10 has mirrors, not TTLs): the
 * TTL scenarios are then compared with the same publish without a TTL, on the same broker.
 *
 *   node --import tsx bench/jetstream-ttl.bench.ts [--messages 20000] [--runs 3] [--json f] [--svg f]
 *
 * Scenarios (file storage, JSON order payloads of about 200 bytes on 100 subjects, the
 * official clients, publishes pipelined 256 at a time):
 * - `publish`: acknowledged publishes into a stream (the baseline), both brokers;
 * - `publish-ttl`: the same into a stream with `allow_msg_ttl`, each message `Nats-TTL: 1h`;
 * - `kv-put` / `kv-put-ttl`: KV puts on 1,000 keys, the second with `markerTTL` and a per-key
 *   TTL (`kv.create`, new keys only);
 * - `mirror`: a stream of n messages, then a mirror made of it: the time until it holds all.
 * Each run starts fresh servers; the brokers alternate which goes first. Medians of the runs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { SERVER_NOFILE } from "./lib/limits.ts";
import { ratioChartSvg } from "./lib/ratio-chart.ts";
import { startServer, type ServerKind } from "./lib/server-process.ts";
import { alternatingRuns } from "./lib/alternating.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SUBJECTS = 100;
const WINDOW = 256;

type Scenario = "publish" | "publish-ttl" | "kv-put" | "kv-put-ttl" | "mirror";
const SCENARIOS: readonly Scenario[] = ["publish", "publish-ttl", "kv-put", "kv-put-ttl", "mirror"];
/** Scenarios nats-server 2.9.10 cannot run (it has no TTLs). */
const OURS_ONLY = new Set<Scenario>(["publish-ttl", "kv-put-ttl"]);

function order(i: number): string {
  return JSON.stringify({ id: `ord-${i}`, customer: `c-${i % 977}`, items: [{ sku: `sku-${i % 131}`, qty: 1 + (i % 5), price: 9.99 }], total: 9.99 * (1 + (i % 5)), at: "2026-12-06T21:00:00Z" });
}

/** Publishes n messages with acknowledgements, `WINDOW` in flight; messages per second. */
async function publishAcked(js: JetStreamClient, n: number, prefix: string, ttl: boolean): Promise<number> {
  const payloads = Array.from({ length: 1000 }, (_, i) => order(i));
  const h = ttl ? headers() : undefined;
  h?.set("Nats-TTL", "1h");
  const started = performance.now();
  let inflight: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    inflight.push(js.publish(`${prefix}.${i % SUBJECTS}`, payloads[i % payloads.length]!, h === undefined ? undefined : { headers: h }));
    if (inflight.length === WINDOW) {
      await Promise.all(inflight);
      inflight = [];
    }
  }
  await Promise.all(inflight);
  return n / ((performance.now() - started) / 1000);
}

async function kvPuts(nc: NatsConnection, n: number, ttl: boolean): Promise<number> {
  const kv = await new Kvm(nc).create(ttl ? "ttl" : "plain", ttl ? { markerTTL: 60_000 } : {});
  const payloads = Array.from({ length: 1000 }, (_, i) => order(i));
  const started = performance.now();
  let inflight: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    // New keys each time, so that `create` (which refuses an existing key) always succeeds.
    const key = `k.${i}`;
    inflight.push(ttl ? kv.create(key, payloads[i % payloads.length]!, "1h") : kv.put(key, payloads[i % payloads.length]!));
    if (inflight.length === WINDOW) {
      await Promise.all(inflight);
      inflight = [];
    }
  }
  await Promise.all(inflight);
  return n / ((performance.now() - started) / 1000);
}

async function mirrorCatchUp(nc: NatsConnection, n: number): Promise<number> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "ORIGIN", subjects: ["origin.>"] });
  await publishAcked(jetstream(nc), n, "origin", false);
  const started = performance.now();
  await jsm.streams.add({ name: "COPY", mirror: { name: "ORIGIN" } });
  for (;;) {
    const info = await jsm.streams.info("COPY");
    if (info.state.messages >= n) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return n / ((performance.now() - started) / 1000);
}

async function runOnce(kind: ServerKind, n: number): Promise<Partial<Record<Scenario, number>>> {
  const dir = mkdtempSync(join(tmpdir(), "js-ttl-bench-"));
  const server = await startServer(kind, { root: ROOT, nofile: SERVER_NOFILE, extraArgs: ["-js", "-sd", dir], fromSource: true });
  const nc = await connect({ servers: `127.0.0.1:${server.port}`, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
    // Unmeasured warm-up of the client and the broker.
    await publishAcked(js, Math.min(n, 5000), "orders", false);
    const out: Partial<Record<Scenario, number>> = { publish: await publishAcked(js, n, "orders", false) };
    if (kind === "nats-embedded") {
      await jsm.streams.add({ name: "EXPIRING", subjects: ["expiring.>"], allow_msg_ttl: true } as never);
      out["publish-ttl"] = await publishAcked(js, n, "expiring", true);
    }
    out["kv-put"] = await kvPuts(nc, n, false);
    if (kind === "nats-embedded") out["kv-put-ttl"] = await kvPuts(nc, n, true);
    out.mirror = await mirrorCatchUp(nc, n);
    return out;
  } finally {
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: "string", default: "20000" },
      runs: { type: "string", default: "3" },
      json: { type: "string" },
      svg: { type: "string" },
    },
  });
  const n = Number(values.messages);
  const runs = Number(values.runs);
  const { results, medians } = await alternatingRuns(runs, SCENARIOS, (kind) => runOnce(kind, n));
  // A TTL scenario is compared with nats-server's same publish without a TTL (it has none),
  // and with our own: what a TTL costs here.
  const baseline: Record<Scenario, Scenario> = { publish: "publish", "publish-ttl": "publish", "kv-put": "kv-put", "kv-put-ttl": "kv-put", mirror: "mirror" };
  const ratios = Object.fromEntries(SCENARIOS.map((s) => [s, medians["nats-embedded"][s]! / medians["nats-server"][baseline[s]]!])) as Record<Scenario, number>;
  const ttlCost = {
    "publish-ttl": medians["nats-embedded"]["publish-ttl"]! / medians["nats-embedded"].publish!,
    "kv-put-ttl": medians["nats-embedded"]["kv-put-ttl"]! / medians["nats-embedded"]["kv-put"]!,
  };
  console.log(`\n${n} JSON messages (~200 B) per scenario, file storage, ${WINDOW} publishes in flight; median of ${runs} runs\n`);
  console.log("| scenario | nats-embedded | nats-server 2.9.10 | ours / nats-server |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const s of SCENARIOS) {
    const fmt = (x: number | undefined): string => (x === undefined ? "n/a" : `${Math.round(x).toLocaleString("en")} msg/s`);
    const theirs = OURS_ONLY.has(s) ? `${fmt(medians["nats-server"][baseline[s]])} (no TTL)` : fmt(medians["nats-server"][s]);
    console.log(`| ${s} | ${fmt(medians["nats-embedded"][s])} | ${theirs} | ${ratios[s].toFixed(2)}× |`);
  }
  console.log(`\nTTL cost on our broker: publish ${ttlCost["publish-ttl"].toFixed(2)}×, KV put ${ttlCost["kv-put-ttl"].toFixed(2)}× of the same without a TTL`);
  if (values.json !== undefined) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(values.json, `${JSON.stringify({ messages: n, runs, window: WINDOW, node: process.version, medians, ratios, ttlCost, results }, null, 2)}\n`);
  }
  if (values.svg !== undefined) {
    const { writeFileSync } = await import("node:fs");
    const bars = SCENARIOS.map((s) => ({ label: OURS_ONLY.has(s) ? `${s} (vs no TTL)` : s, ratio: ratios[s] }));
    writeFileSync(values.svg, ratioChartSvg("JetStream 2.11: nats-embedded / nats-server", `${n} JSON messages per scenario, file storage, median of ${runs} runs`, bars));
  }
}

await main();

/**
 * JetStream throughput (issue 7): our broker against Debian's nats-server, side by side, in
 * one run, through the official `@nats-io/jetstream` client over loopback TCP.
 *
 *   node --import tsx bench/jetstream.bench.ts [--messages 50000] [--size 128] [--runs 3] [--window 256] [--quick]
 *
 * Scenarios, each on a memory stream and on a file stream:
 * - publish with acks: `js.publish()` in batches of `--window` outstanding acks;
 * - consume with acks: a durable pull consumer (`consume()`), every message acked (+ACK).
 *
 * Each sample starts a fresh server with `-js -sd <fresh dir>` (ours as shipped: `node
 * dist/cli.js`, built first; nats-server from Debian), and the two alternate which goes first.
 * Writes bench/results/jetstream-<date>.json and docs/bench-jetstream.svg, and prints a
 * Markdown table; the target from the issue (≥ 0.5× nats-server) is checked per scenario.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { ratioChartSvg } from "./lib/ratio-chart.ts";
import { median } from "./lib/stats.ts";
import { SERVER_NOFILE } from "./lib/limits.ts";
import { natsServerBinary, startServer } from "./lib/server-process.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const TARGET = 0.5;

type Kind = "nats-embedded" | "nats-server";
type Storage = "memory" | "file";
const KINDS: readonly Kind[] = ["nats-embedded", "nats-server"];
const SCENARIOS = [
  { id: "publish-memory", title: "publish with acks, memory stream", storage: "memory" },
  { id: "publish-file", title: "publish with acks, file stream", storage: "file" },
  { id: "consume-memory", title: "consume + ack, memory stream", storage: "memory" },
  { id: "consume-file", title: "consume + ack, file stream", storage: "file" },
] as const satisfies ReadonlyArray<{ id: string; title: string; storage: Storage }>;

/** Publishes `n` messages with acks, `window` outstanding at a time; returns msgs/s. */
async function publishRate(nc: NatsConnection, subject: string, n: number, size: number, window: number): Promise<number> {
  const js = jetstream(nc);
  const payload = new Uint8Array(size);
  const t0 = performance.now();
  let batch: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    batch.push(js.publish(subject, payload));
    if (batch.length === window) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  return n / ((performance.now() - t0) / 1000);
}

/** Reads and acks `n` messages through a durable pull consumer; returns msgs/s. */
async function consumeRate(nc: NatsConnection, stream: string, n: number): Promise<number> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(stream, { durable_name: "bench", ack_policy: AckPolicy.Explicit });
  const consumer = await jetstream(nc).consumers.get(stream, "bench");
  const t0 = performance.now();
  const messages = await consumer.consume({ max_messages: 1000 });
  let got = 0;
  for await (const m of messages) {
    m.ack();
    if (++got === n) break;
  }
  await nc.flush();
  const seconds = (performance.now() - t0) / 1000;
  await messages.close();
  return n / seconds;
}

async function sample(kind: Kind, scenario: (typeof SCENARIOS)[number], n: number, size: number, window: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "js-bench-"));
  const server = await startServer(kind, { root: ROOT, nofile: SERVER_NOFILE, extraArgs: ["-js", "-sd", dir] });
  const nc = await connect({ servers: `127.0.0.1:${server.port}`, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    const storage = scenario.storage === "memory" ? StorageType.Memory : StorageType.File;
    await jsm.streams.add({ name: "BENCH", subjects: ["bench.>"], storage });
    if (scenario.id.startsWith("publish")) return await publishRate(nc, "bench.x", n, size, window);
    await publishRate(nc, "bench.x", n, size, window);
    return await consumeRate(nc, "BENCH", n);
  } finally {
    await nc.close().catch(() => {});
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: "string" },
      size: { type: "string", default: "128" },
      runs: { type: "string" },
      window: { type: "string", default: "256" },
      quick: { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
    },
  });
  const quick = values.quick === true;
  const n = Number(values.messages ?? (quick ? 5_000 : 50_000));
  const runs = Number(values.runs ?? (quick ? 1 : 3));
  const size = Number(values.size);
  const window = Number(values.window);
  if (values["no-build"] !== true) execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });

  const samples: Record<string, Record<Kind, number[]>> = {};
  for (const scenario of SCENARIOS) {
    samples[scenario.id] = { "nats-embedded": [], "nats-server": [] };
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? KINDS : [...KINDS].reverse();
      for (const kind of order) {
        const rate = await sample(kind, scenario, n, size, window);
        samples[scenario.id]![kind].push(rate);
        process.stderr.write(`${scenario.id} · ${kind} · run ${run + 1}/${runs}: ${Math.round(rate).toLocaleString("en")} msgs/s\n`);
      }
    }
  }

  const rows = SCENARIOS.map((s) => {
    const ours = median(samples[s.id]!["nats-embedded"]);
    const ref = median(samples[s.id]!["nats-server"]);
    const ratio = ours !== undefined && ref !== undefined ? ours / ref : undefined;
    return { id: s.id, title: s.title, ours, natsServer: ref, ratio, targetMet: ratio !== undefined && ratio >= TARGET };
  });
  const date = new Date().toISOString();
  const natsServerVersion = execFileSync(natsServerBinary(), ["--version"]).toString().trim();
  const results = { benchmark: "jetstream", date, messages: n, size, window, runs, node: process.version, natsServer: natsServerVersion, target: TARGET, rows, samples };
  const day = date.slice(0, 10);
  const out = quick ? join(tmpdir(), "nats-embedded-bench-jetstream") : join(ROOT, "bench", "results");
  mkdirSync(out, { recursive: true });
  const jsonFile = join(out, `jetstream-${day}.json`);
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  const svgFile = quick ? join(out, "bench-jetstream.svg") : join(ROOT, "docs", "bench-jetstream.svg");
  writeFileSync(
    svgFile,
    ratioChartSvg(
      "JetStream: nats-embedded / nats-server (official client, loopback TCP)",
      `${n.toLocaleString("en")} messages of ${size} B, median of ${runs} runs · ${day} · Node ${process.version} · ${natsServerVersion}`,
      rows.map((r) => ({ label: r.title, ratio: r.ratio })),
      TARGET,
    ),
  );
  const fmt = (v: number | undefined): string => (v === undefined ? "n/a" : Math.round(v).toLocaleString("en"));
  console.log(`\n${n.toLocaleString("en")} messages of ${size} B, ${window} acks outstanding, median of ${runs} runs (msgs/s)\n`);
  console.log("| Scenario | nats-embedded | nats-server | ratio | target ≥ 0.5× |");
  console.log("|---|---:|---:|---:|---|");
  for (const r of rows) console.log(`| ${r.title} | ${fmt(r.ours)} | ${fmt(r.natsServer)} | ${r.ratio === undefined ? "n/a" : `${r.ratio.toFixed(2)}×`} | ${r.targetMet ? "met" : "not met"} |`);
  console.log(`\nresults: ${jsonFile}\nchart:   ${svgFile}`);
}

await main();

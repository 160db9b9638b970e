/**
 * KV operations per second (issue 8): the official `@nats-io/kv` client against our broker
 * in-process (`server.connect()`, the broker in this process), our broker over loopback TCP (a
 * child process, `src/cli.ts -js`), and Debian's nats-server -js over loopback TCP, in one run.
 *
 *   node --import tsx bench/kv.bench.ts [--ops 20000] [--runs 3] [--window 256] [--size 128] [--keys 1000] [--quick]
 *
 * Scenarios, each on a fresh file-storage bucket (history 1, the KV default) in a fresh store:
 * - put, serial: `await kv.put()` one after the other (one round trip each);
 * - put, pipelined: `--window` puts outstanding, awaited together;
 * - get, serial: `await kv.get()` of a random key among `--keys` stored ones (DIRECT.GET);
 * - get, pipelined: `--window` gets outstanding;
 * - get, raw protocol (TCP targets only): batches of `--window` `DIRECT.GET` requests written by
 *   a raw socket client that only counts the replies, so the client costs next to nothing and
 *   the figure is the broker's own (the official client tops out first in the pipelined runs).
 * Keys cycle over `--keys` names; values are `--size` bytes. Targets alternate which goes first
 * from run to run; the median of the runs is reported. Writes bench/results/kv-<date>.json and
 * docs/bench-kv.svg (ratios to nats-server), and prints a Markdown table.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { createServer } from "../src/index.ts";
import { ratioChartSvg } from "./lib/ratio-chart.ts";
import { median, ratio } from "./lib/stats.ts";
import { SERVER_NOFILE } from "./lib/limits.ts";
import { natsServerBinary, startServer } from "./lib/server-process.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

type Target = "ours-inprocess" | "ours-tcp" | "nats-server";
const TARGETS: readonly Target[] = ["ours-inprocess", "ours-tcp", "nats-server"];
const SCENARIOS = [
  { id: "put-serial", title: "put, serial" },
  { id: "put-pipelined", title: "put, pipelined" },
  { id: "get-serial", title: "get, serial" },
  { id: "get-pipelined", title: "get, pipelined" },
  { id: "get-raw", title: "get, raw protocol" },
  { id: "obj-put", title: "object put, 5 MiB (MB/s)" },
  { id: "obj-get", title: "object get, 5 MiB (MB/s)" },
] as const;
type ScenarioId = (typeof SCENARIOS)[number]["id"];

interface Settings {
  ops: number;
  window: number;
  size: number;
  keys: number;
}

/** A connected client, the server's TCP port (none in-process) and how to take it down again. */
interface Connected {
  nc: NatsConnection;
  port: number | undefined;
  stop(): Promise<void>;
}

async function open(target: Target, storeDir: string): Promise<Connected> {
  if (target === "ours-inprocess") {
    const server = createServer({ jetstream: { storeDir } });
    await server.listen();
    const nc = await server.connect();
    return { nc, port: undefined, stop: () => server.close() };
  }
  const kind = target === "nats-server" ? "nats-server" : "nats-embedded";
  const child = await startServer(kind, { root: ROOT, nofile: SERVER_NOFILE, extraArgs: ["-js", "-sd", storeDir], fromSource: true });
  const nc = await connect({ servers: `127.0.0.1:${child.port}`, reconnect: false });
  return { nc, port: child.port, stop: child.stop };
}

/** Runs `op(i)` for i in [0, n), `window` at a time (1 = serial); returns operations per second. */
async function opsPerSecond(n: number, window: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  if (window <= 1) {
    for (let i = 0; i < n; i++) await op(i);
  } else {
    for (let i = 0; i < n; i += window) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(n, i + window); j++) batch.push(op(j));
      await Promise.all(batch);
    }
  }
  return n / ((performance.now() - t0) / 1000);
}

/**
 * `n` direct gets of stored keys from a raw socket: batches of `window` requests in one write,
 * the next batch once every reply of this one arrived. Replies are counted by their `HMSG`
 * control lines (the values are `*` bytes, so nothing else looks like one).
 */
async function rawGets(port: number, n: number, window: number, keys: number): Promise<number> {
  const socket = createConnection({ port, host: "127.0.0.1" });
  socket.setNoDelay(true);
  await once(socket, "connect");
  let replies = 0;
  let wanted = 0;
  let batchDone: (() => void) | undefined;
  // The last 4 bytes of the previous read go in front of the next, so a control line split
  // across two reads is counted once (4 bytes cannot hold a whole "HMSG ").
  let tail = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    const text = Buffer.concat([tail, chunk]);
    for (let i = text.indexOf("HMSG "); i !== -1; i = text.indexOf("HMSG ", i + 5)) replies++;
    tail = text.subarray(Math.max(0, text.length - 4));
    if (replies >= wanted && batchDone !== undefined) {
      const done = batchDone;
      batchDone = undefined;
      done();
    }
  });
  socket.write('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"protocol":1}\r\nSUB _R.> 1\r\n');
  try {
    const t0 = performance.now();
    for (let i = 0; i < n; i += window) {
      let frames = "";
      for (let j = i; j < Math.min(n, i + window); j++) frames += `PUB $JS.API.DIRECT.GET.KV_bench.$KV.bench.key.${j % keys} _R.${j} 0\r\n\r\n`;
      wanted += Math.min(window, n - i);
      const batch = new Promise<void>((resolve, reject) => {
        batchDone = resolve;
        setTimeout(() => reject(new Error(`raw gets: ${replies} of ${wanted} replies within 10 s`)), 10_000).unref();
      });
      socket.write(frames);
      await batch;
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    socket.destroy();
  }
}

async function runScenario(kv: KV, id: ScenarioId, s: Settings, port: number | undefined): Promise<number> {
  const value = new Uint8Array(s.size).fill(42);
  const key = (i: number): string => `key.${i % s.keys}`;
  if (id === "put-serial") return opsPerSecond(s.ops, 1, (i) => kv.put(key(i), value));
  if (id === "put-pipelined") return opsPerSecond(s.ops, s.window, (i) => kv.put(key(i), value));
  // Gets read keys that exist, in a fixed pseudo-random order (the same for every target).
  await opsPerSecond(s.keys, s.window, (i) => kv.put(key(i), value));
  let seed = 12345;
  const order = Array.from({ length: s.ops }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % s.keys);
  const get = async (i: number): Promise<void> => {
    const e = await kv.get(key(order[i]!));
    if (e === null || e.length !== s.size) throw new Error(`get ${key(order[i]!)} returned ${e === null ? "nothing" : `${e.length} bytes`}`);
  };
  if (id === "get-raw") {
    if (port === undefined) throw new Error("raw gets need a TCP port");
    return rawGets(port, s.ops * 5, s.window, s.keys);
  }
  return opsPerSecond(s.ops, id === "get-serial" ? 1 : s.window, get);
}

const OBJECT_BYTES = 5 * 1024 * 1024;

/** Puts (or puts, then reads back) a 5 MiB object; returns MB/s of the measured part. */
async function objectRate(nc: NatsConnection, id: "obj-put" | "obj-get"): Promise<number> {
  const os = await new Objm(nc).create("bench");
  const data = new Uint8Array(OBJECT_BYTES).map((_, i) => i & 0xff);
  const put = async (): Promise<void> => void (await os.putBlob({ name: "blob" }, data));
  let seconds: number;
  if (id === "obj-put") {
    const t0 = performance.now();
    await put();
    seconds = (performance.now() - t0) / 1000;
  } else {
    await put();
    const t0 = performance.now();
    const back = await os.getBlob("blob");
    seconds = (performance.now() - t0) / 1000;
    if (back === null || back.length !== OBJECT_BYTES) throw new Error("the object did not come back whole");
  }
  return OBJECT_BYTES / 1e6 / seconds;
}

async function sample(target: Target, id: ScenarioId, s: Settings): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "kv-bench-"));
  const { nc, port, stop } = await open(target, dir);
  try {
    if (id === "obj-put" || id === "obj-get") return await objectRate(nc, id);
    const kv = await new Kvm(nc).create("bench", { history: 1 });
    return await runScenario(kv, id, s, port);
  } finally {
    await nc.close().catch(() => {});
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ops: { type: "string" },
      runs: { type: "string" },
      window: { type: "string", default: "256" },
      size: { type: "string", default: "128" },
      keys: { type: "string", default: "1000" },
      quick: { type: "boolean", default: false },
    },
  });
  const quick = values.quick === true;
  const settings: Settings = {
    ops: Number(values.ops ?? (quick ? 2_000 : 20_000)),
    window: Number(values.window),
    size: Number(values.size),
    keys: Number(values.keys),
  };
  const runs = Number(values.runs ?? (quick ? 1 : 3));

  const samples = {} as Record<ScenarioId, Record<Target, number[]>>;
  for (const scenario of SCENARIOS) {
    samples[scenario.id] = { "ours-inprocess": [], "ours-tcp": [], "nats-server": [] };
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? TARGETS : [...TARGETS].reverse();
      for (const target of order) {
        // A raw socket needs a port: the in-process broker has none.
        if (scenario.id === "get-raw" && target === "ours-inprocess") continue;
        const rate = await sample(target, scenario.id, settings);
        samples[scenario.id][target].push(rate);
        const unit = scenario.id.startsWith("obj") ? `${rate.toFixed(1)} MB/s` : `${Math.round(rate).toLocaleString("en")} ops/s`;
        process.stderr.write(`${scenario.id} · ${target} · run ${run + 1}/${runs}: ${unit}\n`);
      }
    }
  }

  const rows = SCENARIOS.map((sc) => {
    const m = (t: Target): number | undefined => median(samples[sc.id][t]);
    return {
      id: sc.id,
      title: sc.title,
      oursInProcess: m("ours-inprocess"),
      oursTcp: m("ours-tcp"),
      natsServer: m("nats-server"),
      ratioInProcess: ratio(m("ours-inprocess"), m("nats-server")),
      ratioTcp: ratio(m("ours-tcp"), m("nats-server")),
    };
  });
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const natsServerVersion = execFileSync(natsServerBinary(), ["--version"]).toString().trim();
  const results = { benchmark: "kv", date, ...settings, runs, storage: "file", node: process.version, natsServer: natsServerVersion, rows, samples };
  const out = quick ? join(tmpdir(), "nats-embedded-bench-kv") : join(ROOT, "bench", "results");
  mkdirSync(out, { recursive: true });
  const jsonFile = join(out, `kv-${day}.json`);
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  const svgFile = quick ? join(out, "bench-kv.svg") : join(ROOT, "docs", "bench-kv.svg");
  writeFileSync(
    svgFile,
    ratioChartSvg(
      "KV: nats-embedded / nats-server (official @nats-io/kv client)",
      `${settings.ops.toLocaleString("en")} ops of ${settings.size} B, file bucket, median of ${runs} runs · ${day} · Node ${process.version} · ${natsServerVersion}`,
      rows.flatMap((r) => [
        ...(r.id === "get-raw" ? [] : [{ label: `${r.title} · in-process`, ratio: r.ratioInProcess }]),
        { label: `${r.title} · TCP`, ratio: r.ratioTcp },
      ]),
    ),
  );
  const fmt = (v: number | undefined): string => (v === undefined ? "n/a" : Math.round(v).toLocaleString("en"));
  const x = (v: number | undefined): string => (v === undefined ? "n/a" : `${v.toFixed(2)}×`);
  console.log(`\n${settings.ops.toLocaleString("en")} operations of ${settings.size} B on ${settings.keys} keys (raw gets: ${(settings.ops * 5).toLocaleString("en")}), file bucket, ${settings.window} outstanding when pipelined, median of ${runs} runs (ops/s)\n`);
  console.log("| Scenario (ops/s unless noted) | ours in-process | ours TCP | nats-server TCP | in-process / nats-server | TCP / nats-server |");
  console.log("|---|---:|---:|---:|---:|---:|");
  const fmtRow = (v: number | undefined, id: string): string => (id.startsWith("obj") && v !== undefined ? v.toFixed(1) : fmt(v));
  for (const r of rows) console.log(`| ${r.title} | ${fmtRow(r.oursInProcess, r.id)} | ${fmtRow(r.oursTcp, r.id)} | ${fmtRow(r.natsServer, r.id)} | ${x(r.ratioInProcess)} | ${x(r.ratioTcp)} |`);
  console.log(`\nresults: ${jsonFile}\nchart:   ${svgFile}`);
}

await main();

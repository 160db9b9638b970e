/**
 * JetStream store micro-benchmark: the memory store and the file store side by side.
 *
 *   npx tsx bench/jetstream-store.bench.ts            # ~1 min: 200k messages, best of 3 rounds
 *   npx tsx bench/jetstream-store.bench.ts --quick    # ~10 s: 50k messages, 1 round
 *
 * Per store: append rate with no limits and under max_msgs (a sliding window, where every
 * append also removes the oldest), sequential load rate, literal-filter loadNext rate (the
 * consumer's path, one subject of 100), and for the file store the open time (from the index
 * checkpoint a clean close leaves, and by scanning the segments as after a crash) and an
 * fsync-per-append rate on a small count. Payload 128 B, subjects `orders.<n>` for n in
 * 0..99. Each figure is the best of the rounds, since this runs on shared machines. Prints a
 * table and writes bench/results/jetstream-store-<date>.json.
 *
 * Then stream compression: the file store with `compression: "none"` and `"s2"` side by side,
 * on JSON events as users publish them (`JSON.stringify` of an order, ~150 B, built before the
 * clock starts): append rate, the rate until every sealed segment is compressed too (the
 * sealer works in the background, between event-loop turns), bytes on disk at rest (after a
 * clean close), and the load-by-seq rate after reopening (decompressing chunks for `s2`).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FileStoreFactory } from "../src/jetstream/store/file-store-factory.ts";
import { FileStore, type FileStoreOptions } from "../src/jetstream/store/file-store.ts";
import { MemoryStoreFactory } from "../src/jetstream/store/memory-store.ts";
import type { StoreCompression, StoreFactory, StoreLimits, StreamStore } from "../src/jetstream/store/stream-store.ts";

const UNLIMITED: StoreLimits = { maxMsgs: -1, maxBytes: -1, maxAgeNs: 0, maxMsgsPerSubject: -1 };
const PAYLOAD = new Uint8Array(128).fill(0x61);
const SUBJECTS = Array.from({ length: 100 }, (_, i) => `orders.${i}`);

interface Measurements {
  appendPerSec: number;
  appendWindowPerSec: number;
  loadPerSec: number;
  loadNextLiteralPerSec: number;
  openMs?: number;
  openScanMs?: number;
  appendFsyncPerSec?: number;
}

const rate = (count: number, ms: number): number => Math.round((count / ms) * 1000);

function append(store: StreamStore, count: number): number {
  const start = performance.now();
  for (let i = 0; i < count; i++) store.store(SUBJECTS[i % SUBJECTS.length]!, undefined, PAYLOAD);
  return rate(count, performance.now() - start);
}

async function measure(kind: "memory" | "file", count: number): Promise<Measurements> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "nats-embedded-store-bench-"));
  const options: FileStoreOptions = {};
  const factory: StoreFactory = kind === "memory" ? new MemoryStoreFactory() : new FileStoreFactory(dir, options);
  try {
    let store = await factory.open("BENCH", { name: "BENCH" }, UNLIMITED);
    const appendPerSec = append(store, count);

    let start = performance.now();
    let bytes = 0;
    for (let seq = 1; seq <= count; seq++) bytes += store.load(seq)?.data.length ?? 0;
    const loadPerSec = rate(count, performance.now() - start);
    if (bytes !== count * PAYLOAD.length) throw new Error("load lost messages");

    // A consumer filtered on one subject walks it with loadNext.
    start = performance.now();
    let found = 0;
    for (let msg = store.loadNext("orders.7", 0); msg !== undefined; msg = store.loadNext("orders.7", msg.seq + 1)) found++;
    const loadNextLiteralPerSec = rate(found, performance.now() - start);

    let openMs: number | undefined;
    let openScanMs: number | undefined;
    if (kind === "file") {
      // From the checkpoint the close leaves, then by scanning the segments (as after a crash).
      await store.close();
      start = performance.now();
      store = await factory.open("BENCH", { name: "BENCH" }, UNLIMITED);
      openMs = Math.round(performance.now() - start);
      if (store.state().messages !== count) throw new Error("recovery lost messages");
      await store.close();
      rmSync(path.join(dir, "jetstream", "BENCH", "msgs", "index.ckp"), { force: true });
      start = performance.now();
      store = await factory.open("BENCH", { name: "BENCH" }, UNLIMITED);
      openScanMs = Math.round(performance.now() - start);
      if (store.state().messages !== count) throw new Error("recovery lost messages");
    }
    await store.destroy();

    const window = await factory.open("WINDOW", { name: "WINDOW" }, { ...UNLIMITED, maxMsgs: Math.floor(count / 4) });
    const appendWindowPerSec = append(window, count);
    await window.destroy();

    let appendFsyncPerSec: number | undefined;
    if (kind === "file") {
      const always = await new FileStoreFactory(dir, { syncPolicy: "always" }).open("ALWAYS", {}, UNLIMITED);
      appendFsyncPerSec = append(always, Math.min(2000, count));
      await always.destroy();
    }
    return { appendPerSec, appendWindowPerSec, loadPerSec, loadNextLiteralPerSec, openMs, openScanMs, appendFsyncPerSec };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface CompressionMeasurements {
  appendPerSec: number;
  /** Messages per second from the first append until the background sealer has compressed every sealed segment. */
  appendCompressedPerSec: number;
  diskBytes: number;
  loadPerSec: number;
}

/** JSON order events, distinct per message, as an application would publish them. */
function jsonEvents(count: number): Uint8Array[] {
  const encoder = new TextEncoder();
  return Array.from({ length: count }, (_, i) =>
    encoder.encode(
      JSON.stringify({
        id: `ord-${100000 + i}`,
        customer: { id: `cus-${i % 997}`, tier: i % 5 === 0 ? "gold" : "standard" },
        items: [{ sku: `sku-${i % 211}`, qty: (i % 4) + 1, price: ((i * 37) % 5000) / 100 }],
        status: i % 3 === 0 ? "created" : "paid",
        createdAt: new Date(1_767_225_600_000 + i * 1000).toISOString(),
      }),
    ),
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function measureCompression(compression: StoreCompression, payloads: readonly Uint8Array[]): Promise<CompressionMeasurements> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "nats-embedded-store-bench-"));
  const limits: StoreLimits = { ...UNLIMITED, compression };
  const count = payloads.length;
  try {
    let store = new FileStore(dir, limits);
    const start = performance.now();
    for (let i = 0; i < count; i++) store.store(SUBJECTS[i % SUBJECTS.length]!, undefined, payloads[i]!);
    const appendPerSec = rate(count, performance.now() - start);
    while (store.compressing) await sleep(1);
    const appendCompressedPerSec = rate(count, performance.now() - start);
    await store.close();
    const msgsDir = path.join(dir, "msgs");
    const diskBytes = readdirSync(msgsDir)
      .filter((f) => f.endsWith(".seg"))
      .reduce((sum, f) => sum + statSync(path.join(msgsDir, f)).size, 0);

    store = new FileStore(dir, limits);
    const loadStart = performance.now();
    let bytes = 0;
    for (let seq = 1; seq <= count; seq++) bytes += store.load(seq)?.data.length ?? 0;
    const loadPerSec = rate(count, performance.now() - loadStart);
    if (bytes !== payloads.reduce((n, p) => n + p.length, 0)) throw new Error("load lost messages");
    await store.close();
    return { appendPerSec, appendCompressedPerSec, diskBytes, loadPerSec };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function bestCompression(rounds: readonly CompressionMeasurements[]): CompressionMeasurements {
  return {
    appendPerSec: Math.max(...rounds.map((m) => m.appendPerSec)),
    appendCompressedPerSec: Math.max(...rounds.map((m) => m.appendCompressedPerSec)),
    diskBytes: Math.min(...rounds.map((m) => m.diskBytes)),
    loadPerSec: Math.max(...rounds.map((m) => m.loadPerSec)),
  };
}

function formatCompressionTable(results: Readonly<Record<StoreCompression, CompressionMeasurements>>, count: number): string {
  const fmt = (v: number, unit = "/s"): string => `${v.toLocaleString("en-US")}${unit}`;
  const rows: Array<[string, (m: CompressionMeasurements) => string]> = [
    [`append (${count.toLocaleString("en-US")} JSON msgs)`, (m) => fmt(m.appendPerSec)],
    ["append, until compressed", (m) => fmt(m.appendCompressedPerSec)],
    ["bytes on disk at rest", (m) => fmt(m.diskBytes, " B")],
    ["load by seq, after reopen", (m) => fmt(m.loadPerSec)],
  ];
  const table = [["", "file, none", "file, s2"], ...rows.map(([label, f]) => [label, f(results.none), f(results.s2)])];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")).join("\n");
}

function best(rounds: readonly Measurements[]): Measurements {
  const max = (f: (m: Measurements) => number | undefined): number | undefined => {
    const values = rounds.map(f).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : Math.max(...values);
  };
  const min = (f: (m: Measurements) => number | undefined): number | undefined => {
    const values = rounds.map(f).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : Math.min(...values);
  };
  return {
    appendPerSec: max((m) => m.appendPerSec)!,
    appendWindowPerSec: max((m) => m.appendWindowPerSec)!,
    loadPerSec: max((m) => m.loadPerSec)!,
    loadNextLiteralPerSec: max((m) => m.loadNextLiteralPerSec)!,
    openMs: min((m) => m.openMs),
    openScanMs: min((m) => m.openScanMs),
    appendFsyncPerSec: max((m) => m.appendFsyncPerSec),
  };
}

function formatTable(results: Readonly<Record<"memory" | "file", Measurements>>, count: number): string {
  const fmt = (v: number | undefined, unit = "/s"): string => (v === undefined ? "—" : `${v.toLocaleString("en-US")}${unit}`);
  const rows: Array<[string, (m: Measurements) => string]> = [
    [`append (${count.toLocaleString("en-US")} msgs)`, (m) => fmt(m.appendPerSec)],
    [`append, max_msgs ${Math.floor(count / 4).toLocaleString("en-US")}`, (m) => fmt(m.appendWindowPerSec)],
    ["load by seq", (m) => fmt(m.loadPerSec)],
    ["loadNext, literal filter", (m) => fmt(m.loadNextLiteralPerSec)],
    ["open, from checkpoint", (m) => fmt(m.openMs, " ms")],
    ["open, scanning segments", (m) => fmt(m.openScanMs, " ms")],
    ["append, fsync each", (m) => fmt(m.appendFsyncPerSec)],
  ];
  const table = [["", "memory", "file"], ...rows.map(([label, f]) => [label, f(results.memory), f(results.file)])];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")).join("\n");
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const count = quick ? 50_000 : 200_000;
  const roundCount = quick ? 1 : 3;
  const rounds: Record<"memory" | "file", Measurements[]> = { memory: [], file: [] };
  for (let round = 0; round < roundCount; round++) {
    // Alternate the order so neither store always runs on a warmer JIT.
    const order: Array<"memory" | "file"> = round % 2 === 0 ? ["memory", "file"] : ["file", "memory"];
    for (const kind of order) rounds[kind].push(await measure(kind, count));
  }
  const results = { memory: best(rounds.memory), file: best(rounds.file) };
  console.log(`JetStream stores: 128 B payloads over 100 subjects, best of ${roundCount} round(s), node ${process.version}, ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}\n`);
  console.log(formatTable(results, count));

  const payloads = jsonEvents(count);
  const payloadBytes = payloads.reduce((n, p) => n + p.length, 0);
  const compressionRounds: Record<StoreCompression, CompressionMeasurements[]> = { none: [], s2: [] };
  for (let round = 0; round < roundCount; round++) {
    const order: StoreCompression[] = round % 2 === 0 ? ["none", "s2"] : ["s2", "none"];
    for (const compression of order) compressionRounds[compression].push(await measureCompression(compression, payloads));
  }
  const compression = { none: bestCompression(compressionRounds.none), s2: bestCompression(compressionRounds.s2) };
  const ratio = Math.round((compression.s2.diskBytes / compression.none.diskBytes) * 1000) / 1000;
  console.log(`\nStream compression: file store, JSON events (${Math.round(payloadBytes / count)} B on average), best of ${roundCount} round(s)\n`);
  console.log(formatCompressionTable(compression, count));
  console.log(`\ns2 on disk / none on disk = ${ratio}`);
  if (quick) return;
  const dir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `jetstream-store-${new Date().toISOString().slice(0, 10)}.json`);
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cpus: os.cpus().length,
    messages: count,
    payloadBytes: PAYLOAD.length,
    results,
    compression: { payload: "JSON order events", averagePayloadBytes: Math.round(payloadBytes / count), ratio, ...compression },
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

await main();

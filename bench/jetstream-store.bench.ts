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
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FileStoreFactory } from "../src/jetstream/store/file-store-factory.ts";
import type { FileStoreOptions } from "../src/jetstream/store/file-store.ts";
import { MemoryStoreFactory } from "../src/jetstream/store/memory-store.ts";
import type { StoreFactory, StoreLimits, StreamStore } from "../src/jetstream/store/stream-store.ts";

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
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}

await main();

/**
 * What the package costs before it does anything: fresh plain Node processes (fresh-process.ts)
 * of three kinds, interleaved so drift falls on all three alike:
 *
 *   bare    `node --input-type=module -e` running the measuring code alone
 *   import  the same, plus `await import("nats-embedded")`
 *   bus     the same, plus `createServer()` with no options: a bus ready for `publish`
 *
 * Each reports the time since its process started (`performance.now()`, whose origin is the
 * process start) and its RSS at that point. The figures are the medians of each kind, and the
 * metrics are import and bus over bare Node: the same measuring code, the same Node, the same
 * run, so what remains is the package's own cost.
 */
import { median } from "../lib/stats.ts";
import { reportLine, runFresh } from "./fresh-process.ts";
import type { ImportConfig, ProbeResult } from "./protocol.ts";

const MB = 1e6;

const KINDS = {
  bare: "",
  import: `await import("nats-embedded");`,
  // Kept on globalThis so nothing about the server can be collected before RSS is read.
  bus: `const { createServer } = await import("nats-embedded");\nglobalThis.server = createServer();`,
} as const;

type Kind = keyof typeof KINDS;

function program(load: string): string {
  return [
    "const before = performance.now();",
    load,
    "const at = performance.now();",
    "const memory = process.memoryUsage();",
    reportLine("{ atMs: at, loadMs: at - before, rss: memory.rss, heapUsed: memory.heapUsed, maxRssKiB: process.resourceUsage().maxRSS }"),
  ].join("\n");
}

export async function runImport(config: ImportConfig): Promise<ProbeResult> {
  const kinds = Object.keys(KINDS) as Kind[];
  const seen: Record<Kind, Record<string, number>[]> = { bare: [], import: [], bus: [] };
  for (let i = 0; i < config.iterations; i++) {
    // Rotate which kind goes first, as the runner does with contenders.
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(k + i) % kinds.length]!;
      seen[kind].push(await runFresh(config.root, program(KINDS[kind])));
    }
  }
  const med = (kind: Kind, key: string): number => median(seen[kind].map((r) => r[key]!))!;
  const bare = { ms: med("bare", "atMs"), rss: med("bare", "rss") / MB };
  const details: Record<string, number> = { iterations: config.iterations };
  for (const kind of kinds) {
    details[`${kind}AtMs`] = med(kind, "atMs");
    details[`${kind}LoadMs`] = med(kind, "loadMs");
    details[`${kind}RssMB`] = med(kind, "rss") / MB;
    details[`${kind}HeapMB`] = med(kind, "heapUsed") / MB;
    details[`${kind}MaxRssMB`] = (med(kind, "maxRssKiB") * 1024) / MB;
  }
  return {
    type: "result",
    metrics: {
      busOverBareMs: details["busAtMs"]! - bare.ms,
      busOverBareRssMB: details["busRssMB"]! - bare.rss,
      importOverBareMs: details["importAtMs"]! - bare.ms,
      importOverBareRssMB: details["importRssMB"]! - bare.rss,
    },
    details,
  };
}

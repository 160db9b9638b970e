/**
 * The loop every feature benchmark runs: fresh servers each run, our broker and nats-server
 * taking turns at going first (so neither always meets a warm or a cold machine), each run's
 * rates logged as they come, and the medians per scenario at the end.
 */
import { median } from "./stats.ts";
import type { ServerKind } from "./server-process.ts";

export const KINDS: readonly ServerKind[] = ["nats-embedded", "nats-server"];

export type Rates<S extends string> = Partial<Record<S, number>>;

export async function alternatingRuns<S extends string>(
  runs: number,
  scenarios: readonly S[],
  runOnce: (kind: ServerKind) => Promise<Rates<S>>,
): Promise<{ results: Record<ServerKind, Rates<S>[]>; medians: Record<ServerKind, Rates<S>> }> {
  const results: Record<ServerKind, Rates<S>[]> = { "nats-embedded": [], "nats-server": [] };
  for (let run = 0; run < runs; run++) {
    for (const kind of run % 2 === 0 ? KINDS : [...KINDS].reverse()) {
      const result = await runOnce(kind);
      results[kind].push(result);
      const shown = scenarios.filter((s) => result[s] !== undefined).map((s) => `${s} ${Math.round(result[s]!)}/s`);
      console.error(`run ${run + 1} ${kind}: ${shown.join(", ")}`);
    }
  }
  const mediansOf = (kind: ServerKind): Rates<S> => {
    const out: Rates<S> = {};
    for (const s of scenarios) {
      const m = median(results[kind].map((r) => r[s]).filter((x): x is number => x !== undefined));
      if (m !== undefined) out[s] = m;
    }
    return out;
  };
  return { results, medians: { "nats-embedded": mediansOf("nats-embedded"), "nats-server": mediansOf("nats-server") } };
}

/** The shape every end-to-end scenario has, so the coordinator can run and report any of them alike. */
import type { ServerHandle } from "./server-process.ts";

/** One number a scenario produces, and which way is good. */
export interface MetricSpec {
  key: string;
  label: string;
  unit: string;
  better: "higher" | "lower";
}

/** What one run of a scenario against one server measured. */
export interface Measurement {
  /** Keyed by {@link MetricSpec.key}; these get medians and ratios. */
  metrics: Record<string, number>;
  /** Supporting numbers kept in the JSON only (publisher rate, member shares...). */
  details: Record<string, number>;
}

export interface RunContext {
  /** Repository root. */
  root: string;
  server: ServerHandle;
  /** Absolute time (Date.now()) by which the run must be over; waits are bounded by it. */
  deadline: number;
}

export interface Scenario {
  id: string;
  title: string;
  /** One sentence on what is measured and how, for the JSON and the Markdown notes. */
  description: string;
  metrics: readonly MetricSpec[];
  run(ctx: RunContext): Promise<Measurement>;
}

/** Milliseconds left before the deadline, never less than a small floor so a wait can report. */
export function remaining(ctx: RunContext): number {
  return Math.max(100, ctx.deadline - Date.now());
}

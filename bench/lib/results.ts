/**
 * The result file's shape, and the medians and ratios computed from the samples. Every
 * number shown in the Markdown table or the chart comes from here, never typed by hand.
 */
import type { InProcessResults } from "../inprocess/results.ts";
import type { Environment } from "./environment.ts";
import type { SampleRecord } from "./sampler.ts";
import type { MetricSpec, Scenario } from "./scenario.ts";
import type { Mode, Sizes } from "./scenarios.ts";
import { SERVER_KINDS, type ServerKind } from "./server-process.ts";
import { median, ratio } from "./stats.ts";

/** The resource columns every scenario gets besides its own metrics. */
export const RESOURCE_METRICS: readonly MetricSpec[] = [
  { key: "serverCpuSec", label: "server CPU", unit: "s", better: "lower" },
  { key: "serverPeakRssMiB", label: "server peak RSS", unit: "MiB", better: "lower" },
];

export interface ServerResult {
  samples: SampleRecord[];
  failures: number;
  /** Medians over the successful samples, by metric key (scenario metrics and resources). */
  median: Record<string, number>;
}

export interface ScenarioResult {
  id: string;
  title: string;
  description: string;
  metrics: readonly MetricSpec[];
  servers: Record<ServerKind, ServerResult>;
  /** nats-embedded median / nats-server median, by metric key; absent if either failed throughout. */
  ratios: Record<string, number>;
}

export interface BenchResults {
  benchmark: "end-to-end";
  date: string;
  mode: Mode;
  /** Runs per scenario per server. */
  runs: number;
  durationSec: number;
  environment: Environment;
  sizes: Sizes;
  notes: string[];
  scenarios: ScenarioResult[];
  /** The in-process scenarios (bench/inprocess/), when the run included any. */
  inProcess?: InProcessResults;
}

export function summarize(scenario: Scenario, samples: Record<ServerKind, SampleRecord[]>): ScenarioResult {
  const keys = [...scenario.metrics, ...RESOURCE_METRICS].map((m) => m.key);
  const servers = {} as Record<ServerKind, ServerResult>;
  for (const kind of SERVER_KINDS) {
    const list = samples[kind];
    const ok = list.filter((s) => s.ok);
    const med: Record<string, number> = {};
    for (const key of keys) {
      const value = median(ok.map((s) => valueOf(s, key)).filter((v): v is number => v !== undefined));
      if (value !== undefined) med[key] = value;
    }
    servers[kind] = { samples: list, failures: list.length - ok.length, median: med };
  }
  const ratios: Record<string, number> = {};
  for (const key of keys) {
    const r = ratio(servers["nats-embedded"].median[key], servers["nats-server"].median[key]);
    if (r !== undefined) ratios[key] = r;
  }
  return { id: scenario.id, title: scenario.title, description: scenario.description, metrics: scenario.metrics, servers, ratios };
}

function valueOf(sample: SampleRecord, key: string): number | undefined {
  if (key === "serverCpuSec") return sample.serverCpuSec;
  if (key === "serverPeakRssMiB") return sample.serverPeakRssMiB;
  return sample.metrics[key];
}

/** Formats a metric value for tables: rates with thousands separators, small values with decimals. */
export function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined) return "—";
  if (unit.endsWith("/s")) return Math.round(value).toLocaleString("en-US");
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatRatio(value: number | undefined): string {
  if (value === undefined) return "—";
  return `${value >= 10 ? value.toFixed(1) : value >= 0.01 ? value.toFixed(2) : value.toPrecision(1)}×`;
}

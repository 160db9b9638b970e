/**
 * The in-process part of a result file: every probe sample, the medians per contender, the
 * ratios of ours against each reference, and the targets checked against them. Every
 * number the README, the chart or the docs show comes from here.
 */
import type { MetricSpec } from "../lib/scenario.ts";
import { median, ratio } from "../lib/stats.ts";
import type { Contender, InProcessScenario, InProcessSizes, TargetSpec } from "./plan.ts";
import type { ProbeGroup } from "./protocol.ts";

export interface ProbeSample {
  run: number;
  ok: boolean;
  error?: string;
  metrics: Record<string, number>;
  details: Record<string, number>;
  /** Wall time of the probe process, start to exit. */
  wallSec: number;
}

export interface ContenderResult extends Contender {
  samples: ProbeSample[];
  failures: number;
  /** Medians over the successful samples: metrics and details alike. */
  median: Record<string, number>;
}

export interface RatioEntry {
  ours: string;
  reference: string;
  key: string;
  /** ours median / reference median. */
  value: number;
}

export interface InProcessScenarioResult {
  id: string;
  title: string;
  short: string;
  group: ProbeGroup;
  description: string;
  metrics: readonly MetricSpec[];
  contenders: ContenderResult[];
  ratios: RatioEntry[];
}

export interface TargetResult {
  text: string;
  /** The figure compared with the threshold (a rate, a time or a ratio). */
  value: number | undefined;
  threshold: number;
  op: ">=" | "<=";
  unit: string;
  /** Undefined when the figure is missing (a scenario failed or was not run). */
  met: boolean | undefined;
}

export interface InProcessResults {
  /** Samples per contender per scenario, each a fresh process. */
  runs: number;
  sizes: InProcessSizes;
  scenarios: InProcessScenarioResult[];
  targets: TargetResult[];
}

export function summarizeInProcess(scenario: InProcessScenario, samples: ReadonlyMap<string, ProbeSample[]>): InProcessScenarioResult {
  const contenders: ContenderResult[] = scenario.contenders.map((c) => {
    const list = samples.get(c.id) ?? [];
    const ok = list.filter((s) => s.ok);
    const med: Record<string, number> = {};
    const keys = new Set(ok.flatMap((s) => [...Object.keys(s.metrics), ...Object.keys(s.details)]));
    for (const key of keys) {
      const value = median(ok.map((s) => s.metrics[key] ?? s.details[key]).filter((v): v is number => v !== undefined));
      if (value !== undefined) med[key] = value;
    }
    return { ...c, samples: list, failures: list.length - ok.length, median: med };
  });
  const ratios: RatioEntry[] = [];
  for (const ours of contenders.filter((c) => c.ours)) {
    for (const reference of contenders.filter((c) => !c.ours)) {
      for (const m of scenario.metrics) {
        const value = ratio(ours.median[m.key], reference.median[m.key]);
        if (value !== undefined) ratios.push({ ours: ours.id, reference: reference.id, key: m.key, value });
      }
    }
  }
  return { id: scenario.id, title: scenario.title, short: scenario.short, group: scenario.group, description: scenario.description, metrics: scenario.metrics, contenders, ratios };
}

export function checkTargets(targets: readonly TargetSpec[], scenarios: readonly InProcessScenarioResult[]): TargetResult[] {
  return targets.flatMap((t): TargetResult[] => {
    const scenario = scenarios.find((s) => s.id === t.scenario);
    if (scenario === undefined) return [];
    const value = targetValue(t, scenario);
    const met = value === undefined ? undefined : t.op === ">=" ? value >= t.threshold : value <= t.threshold;
    return [{ text: t.text, value, threshold: t.threshold, op: t.op, unit: t.unit, met }];
  });
}

function targetValue(t: TargetSpec, scenario: InProcessScenarioResult): number | undefined {
  const ours = scenario.contenders.find((c) => c.id === t.contender)?.median[t.key];
  if (t.kind === "value") return ours;
  const reference = scenario.contenders.find((c) => c.id === t.reference)?.median[t.key];
  return t.kind === "ratio" ? ratio(ours, reference) : ratio(reference, ours);
}

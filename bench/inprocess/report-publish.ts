/**
 * The publish → subscriber tables of the in-process section (the workloads, then the direct-*
 * scenarios): rows = scenarios, columns = every contender that appears in any of them, then
 * ours / each reference. A contender a scenario does not run shows as "—".
 */
import { formatRatio, formatValue } from "../lib/results.ts";
import type { Contender } from "./plan.ts";
import type { ContenderResult, InProcessScenarioResult } from "./results.ts";

export function cell(c: ContenderResult | undefined, key: string, unit: string): string {
  if (c === undefined) return "—";
  const failed = c.failures > 0 ? ` (${c.failures}/${c.samples.length} failed)` : "";
  return `${formatValue(c.median[key], unit)}${failed}`;
}

export function ratioOf(s: InProcessScenarioResult, ours: string, reference: string, key: string): number | undefined {
  return s.ratios.find((r) => r.ours === ours && r.reference === reference && r.key === key)?.value;
}

/** Contenders in order of first appearance, each once. */
function allContenders(scenarios: readonly InProcessScenarioResult[]): Contender[] {
  const seen = new Map<string, Contender>();
  for (const s of scenarios) for (const c of s.contenders) if (!seen.has(c.id)) seen.set(c.id, c);
  return [...seen.values()];
}

/** `heading` names the table; the metric and "higher is better" are added from the results. */
export function publishTable(scenarios: readonly InProcessScenarioResult[], heading: string, footnote: string): string[] {
  const contenders = allContenders(scenarios);
  const ours = contenders.find((c) => c.ours)!;
  const refs = contenders.filter((c) => !c.ours);
  const metric = scenarios[0]!.metrics[0]!;
  const lines = [
    `**${heading}**: ${metric.label} (${metric.unit}, all subscribers together); higher is better.`,
    "",
    `| Scenario | ${contenders.map((c) => c.label).join(" | ")} | ${refs.map((r) => `ours / ${r.short}`).join(" | ")} |`,
    `|---|${contenders.map(() => "---:").join("|")}|${refs.map(() => "---:").join("|")}|`,
  ];
  for (const s of scenarios) {
    const values = contenders.map((c) => cell(s.contenders.find((x) => x.id === c.id), metric.key, metric.unit));
    const ratios = refs.map((r) => formatRatio(ratioOf(s, ours.id, r.id, metric.key)));
    lines.push(`| ${s.title} | ${values.join(" | ")} | ${ratios.join(" | ")} |`);
  }
  lines.push("", `<sub>${footnote}</sub>`);
  return lines;
}

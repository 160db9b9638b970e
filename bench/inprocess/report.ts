/**
 * The in-process section of the README table and of the chart, generated from the results:
 * one table per shape (publish → subscriber across contenders; request/reply and start-up per
 * path), then the issue's targets, each marked met or not from the same medians.
 */
import { formatRatio, formatValue } from "../lib/results.ts";
import { PAYLOAD, type InProcessSizes } from "./plan.ts";
import type { ContenderResult, InProcessResults, InProcessScenarioResult, TargetResult } from "./results.ts";

/** A bar of the ratio chart: ours / reference for one metric. */
export interface RatioBar {
  label: string;
  ratio: number | undefined;
  better: "higher" | "lower";
}

function cell(c: ContenderResult | undefined, key: string, unit: string): string {
  if (c === undefined) return "—";
  const failed = c.failures > 0 ? ` (${c.failures}/${c.samples.length} failed)` : "";
  return `${formatValue(c.median[key], unit)}${failed}`;
}

function ratioOf(s: InProcessScenarioResult, ours: string, reference: string, key: string): number | undefined {
  return s.ratios.find((r) => r.ours === ours && r.reference === reference && r.key === key)?.value;
}

/** Rows = scenarios, columns = contenders, then ours / each reference (publish → subscriber). */
function emitTable(scenarios: readonly InProcessScenarioResult[], sizes: InProcessSizes): string[] {
  const first = scenarios[0]!;
  const ours = first.contenders.find((c) => c.ours)!;
  const refs = first.contenders.filter((c) => !c.ours);
  const metric = first.metrics[0]!;
  const lines = [
    `**Direct publish → in-process subscriber**: ${metric.label} (${metric.unit}, all subscribers together); higher is better.`,
    "",
    `| Scenario | ${first.contenders.map((c) => c.label).join(" | ")} | ${refs.map((r) => `ours / ${r.label}`).join(" | ")} |`,
    `|---|${first.contenders.map(() => "---:").join("|")}|${refs.map(() => "---:").join("|")}|`,
  ];
  for (const s of scenarios) {
    const values = first.contenders.map((c) => cell(s.contenders.find((x) => x.id === c.id), metric.key, metric.unit));
    const ratios = refs.map((r) => formatRatio(ratioOf(s, ours.id, r.id, metric.key)));
    lines.push(`| ${s.title} | ${values.join(" | ")} | ${ratios.join(" | ")} |`);
  }
  lines.push(
    "",
    `<sub>${PAYLOAD} B payload, the same Buffer every time; median of ${sizes.emitSlices} × ${sizes.emitSliceMs} ms slices after ${sizes.emitWarmupMs} ms of warm-up. ` +
      `The ${sizes.otherSubscriptions.toLocaleString("en-US")} other subscriptions share the subject's first token, 15% have wildcards, none matches. ` +
      "eventemitter3 matches exact names only; mqemitter and Aedes get the same subjects written the MQTT way (`bench/direct/one`).</sub>",
  );
  return lines;
}

/** Rows = contenders (paths), columns = metrics and chosen details, then ours vs the reference. */
function pathTable(s: InProcessScenarioResult, heading: string, extra: readonly { key: string; label: string; unit: string }[], versus: { key: string; label: string; speedup: boolean }): string[] {
  const reference = s.contenders.find((c) => !c.ours)!;
  const columns = [...s.metrics.map((m) => ({ key: m.key, label: `${m.label} (${m.unit})`, unit: m.unit })), ...extra.map((e) => ({ ...e, label: `${e.label} (${e.unit})` }))];
  const lines = [
    heading,
    "",
    `| Path | ${columns.map((c) => c.label).join(" | ")} | ${versus.label} |`,
    `|---|${columns.map(() => "---:").join("|")}|---:|`,
  ];
  for (const c of s.contenders) {
    const r = c.ours ? ratioOf(s, c.id, reference.id, versus.key) : undefined;
    const shown = r === undefined ? (c.ours ? "—" : "1×") : formatRatio(versus.speedup ? 1 / r : r);
    lines.push(`| ${c.label} | ${columns.map((col) => cell(c, col.key, col.unit)).join(" | ")} | ${shown} |`);
  }
  lines.push("", `<sub>${s.description}</sub>`);
  return lines;
}

function targetLine(t: TargetResult): string {
  const value = t.value === undefined ? "no data" : t.unit === "×" ? formatRatio(t.value) : `${formatValue(t.value, t.unit)} ${t.unit}`;
  const op = t.op === ">=" ? "≥" : "≤";
  const goal = t.unit === "×" ? `${op} ${t.threshold}×` : `${op} ${t.unit.endsWith("/s") ? formatValue(t.threshold, t.unit) : t.threshold} ${t.unit}`;
  const verdict = t.met === undefined ? "not measured" : t.met ? "**met**" : "**not met**";
  return `| ${t.text} | ${goal} | ${value} | ${verdict} |`;
}

/** The Markdown section that follows the end-to-end table. */
export function inProcessMarkdown(results: InProcessResults, options: { heading: boolean } = { heading: true }): string[] {
  const lines = [
    ...(options.heading ? ["### In-process", ""] : []),
    `Each figure is the median of ${results.runs} samples per contender, every sample a fresh Node process; contenders take turns going first. ` +
      "nats-embedded runs from its compiled build (`dist/`). Figures in the JSON under `inProcess`.",
  ];
  const emit = results.scenarios.filter((s) => s.group === "emit");
  if (emit.length > 0) lines.push("", ...emitTable(emit, results.sizes));
  const rr = results.scenarios.find((s) => s.group === "request");
  if (rr !== undefined) {
    lines.push("", ...pathTable(rr, "**Request/reply**, serial round trips; rate higher is better, latency lower.", [], { key: "rate", label: "rate vs nats-server", speedup: false }));
  }
  const startup = results.scenarios.find((s) => s.group === "startup");
  if (startup !== undefined) {
    lines.push(
      "",
      ...pathTable(
        startup,
        "**Start-up for a test**: create a broker, connect the official client, first request/reply answered; lower is better.",
        [
          { key: "p90Ms", label: "p90", unit: "ms" },
          { key: "firstMs", label: "first, cold", unit: "ms" },
          { key: "connectedMedianMs", label: "client connected, median", unit: "ms" },
        ],
        { key: "medianMs", label: "faster by", speedup: true },
      ),
    );
  }
  if (results.targets.length > 0) {
    const met = results.targets.filter((t) => t.met === true).length;
    lines.push("", `**Targets** (${met} of ${results.targets.length} met in this run):`, "", "| Target | Goal | Measured | |", "|---|---:|---:|---|");
    for (const t of results.targets) lines.push(targetLine(t));
  }
  const failed = results.scenarios.flatMap((s) => s.contenders.filter((c) => c.failures > 0).map((c) => `${s.id} ${c.id} (${c.failures})`));
  if (failed.length > 0) lines.push("", `**Failed probes:** ${failed.join(", ")}; see the JSON for the errors.`);
  return lines;
}

/** Chart bars: ours / each reference, on each scenario's headline metric (latencies are in the table). */
export function inProcessBars(results: InProcessResults): RatioBar[] {
  const bars: RatioBar[] = [];
  for (const s of results.scenarios) {
    const several = s.contenders.filter((c) => c.ours).length > 1;
    const m = s.metrics[0]!;
    for (const r of s.ratios.filter((x) => x.key === m.key)) {
      const ours = s.contenders.find((c) => c.id === r.ours)!;
      const reference = s.contenders.find((c) => c.id === r.reference)!;
      bars.push({ label: `${s.short} · ${several ? `${ours.short} ` : ""}vs ${reference.short}`, ratio: r.value, better: m.better });
    }
  }
  return bars;
}

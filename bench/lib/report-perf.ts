/**
 * The figures of docs/performance.md, regenerated from a result file between
 * `<!-- bench:perf:start -->` and `<!-- bench:perf:end -->`: issue 6's targets, each checked
 * against the run's medians, then the run's end-to-end table. Nothing in it is typed by hand.
 */
import { markdownTable } from "./report-markdown.ts";
import { formatRatio, formatValue, type BenchResults, type ScenarioResult } from "./results.ts";

export const PERF_START_MARKER = "<!-- bench:perf:start -->";
export const PERF_END_MARKER = "<!-- bench:perf:end -->";

interface TargetRow {
  target: string;
  goal: string;
  measured: string;
  met: boolean | undefined;
}

const MIB = 1024 * 1024;

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m] : (v[m - 1]! + v[m]!) / 2;
}

function ratioAtLeast(s: ScenarioResult | undefined, key: string, goal: number, label: string): TargetRow {
  const r = s?.ratios[key];
  return { target: label, goal: `≥ ${goal}×`, measured: formatRatio(r), met: r === undefined ? undefined : r >= goal };
}

/** The targets (issue 6), each with the run's figure. */
export function targetRows(results: BenchResults): TargetRow[] {
  const by = (id: string): ScenarioResult | undefined => results.scenarios.find((s) => s.id === id);
  const rows: TargetRow[] = [
    ratioAtLeast(by("pub-16"), "rate", 0.7, "publish-only 16 B, rate ours / nats-server"),
    ratioAtLeast(by("pubsub-16"), "rate", 0.6, "1 pub → 1 sub 16 B, rate ours / nats-server"),
    ratioAtLeast(by("pubsub-1k"), "rate", 0.6, "1 pub → 1 sub 1 KiB, rate ours / nats-server"),
    ratioAtLeast(by("fanout-4"), "rate", 0.6, "fan-out 1 → 4, rate ours / nats-server"),
    ratioAtLeast(by("queue-4"), "rate", 0.6, "queue group of 4, rate ours / nats-server"),
  ];
  const rr = by("req-rep")?.ratios["p50Us"];
  rows.push({ target: "request/reply p50, ours / nats-server", goal: "≤ 1.2×", measured: formatRatio(rr), met: rr === undefined ? undefined : rr <= 1.2 });
  // Peak RSS: the worst ratio over the scenarios that load the broker (idle connections are their own target).
  const rss = results.scenarios.filter((s) => s.id !== "idle-conns" && s.ratios["serverPeakRssMiB"] !== undefined);
  if (rss.length > 0) {
    const worst = rss.reduce((a, b) => (a.ratios["serverPeakRssMiB"]! >= b.ratios["serverPeakRssMiB"]! ? a : b));
    const best = rss.reduce((a, b) => (a.ratios["serverPeakRssMiB"]! <= b.ratios["serverPeakRssMiB"]! ? a : b));
    const r = worst.ratios["serverPeakRssMiB"]!;
    rows.push({
      target: "server peak RSS, ours / nats-server (worst scenario)",
      goal: "≤ 3×",
      measured: `${formatRatio(r)} (${worst.title}); best ${formatRatio(best.ratios["serverPeakRssMiB"])} (${best.title})`,
      met: r <= 3,
    });
  }
  const idle = by("idle-conns")?.servers["nats-embedded"];
  if (idle !== undefined) {
    const added: number[] = [];
    let connections = 0;
    for (const s of idle.samples) {
      const d = s.details as { rssBeforeMiB?: number; rssAfterMiB?: number; connections?: number } | undefined;
      if (!s.ok || d?.rssBeforeMiB === undefined || d.rssAfterMiB === undefined) continue;
      added.push(((d.rssAfterMiB - d.rssBeforeMiB) * MIB) / 1e6);
      connections = d.connections ?? connections;
    }
    const mb = median(added);
    rows.push({
      target: `${connections.toLocaleString("en-US")} idle connections, added RSS (after − before connecting)`,
      goal: "≤ 100 MB",
      measured: mb === undefined ? "–" : `${formatValue(mb, "MB")} MB`,
      met: mb === undefined ? undefined : mb <= 100 && connections >= 10_000,
    });
  }
  return rows;
}

export function perfSection(results: BenchResults, resultFile: string): string {
  const rows = targetRows(results);
  const met = rows.filter((r) => r.met === true).length;
  const lines = [
    `**Issue 6 targets** (${met} of ${rows.length} met in this run; medians, same run):`,
    "",
    "| Target | Goal | Measured | |",
    "|---|---:|---:|---|",
    ...rows.map((r) => `| ${r.target} | ${r.goal} | ${r.measured} | ${r.met === undefined ? "not measured" : r.met ? "**met**" : "**not met**"} |`),
    "",
    markdownTable({ ...results, inProcess: undefined }, resultFile),
  ];
  return lines.join("\n");
}

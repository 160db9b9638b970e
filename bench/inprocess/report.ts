/**
 * The in-process section of the README table and of the chart, generated from the results:
 * one table per shape (what users publish, then direct publish → subscriber across contenders;
 * request/reply and start-up per path; import cost), then the targets, each marked met or not
 * from the same medians.
 */
import { formatRatio, formatValue } from "../lib/results.ts";
import { mqttTopic } from "./mqtt-topic.ts";
import { PAYLOAD, type InProcessSizes } from "./plan.ts";
import { ONE_SUBJECT, WILDCARD } from "./protocol.ts";
import { cell, publishTable, ratioOf } from "./report-publish.ts";
import type { InProcessResults, InProcessScenarioResult, TargetResult } from "./results.ts";
import { WORKLOAD_SUBJECTS } from "./workload-plan.ts";

/** A bar of the ratio chart: ours / reference for one metric. */
export interface RatioBar {
  label: string;
  ratio: number | undefined;
  better: "higher" | "lower";
}

/** Workloads: what users publish, to one subject and to 1,000 with a wildcard subscriber. */
function workloadTable(scenarios: readonly InProcessScenarioResult[], sizes: InProcessSizes): string[] {
  return publishTable(
    scenarios,
    "What users publish (`server.publish` → subscriber)",
    `Payloads as users pass them: a 16 B Buffer, a 16 B Uint8Array from \`TextEncoder\` (not a Buffer), a JSON string of 27–29 B. ` +
      "Subjects and payloads are made once per distinct subject before the clock starts (a user would stringify per message; here the bus is timed, not `JSON.stringify`). " +
      `One subject: \`${ONE_SUBJECT}\`, one exact subscriber. ${WORKLOAD_SUBJECTS.toLocaleString("en-US")} subjects: the publisher cycles through \`orders.<i>.created\`; ` +
      `ours has one \`${WILDCARD}\` subscriber, eventemitter3 (no wildcards) one listener per subject counting into one tally, mqemitter one \`${mqttTopic(WILDCARD)}\` listener. ` +
      `Each subscriber counts the message and reads its payload: \`msg.data.length\` for bytes, \`msg.string().length\` for the JSON text (as eventemitter3's listener reads the string it is given); the count and bytes are checked at the end. ` +
      `Median of ${sizes.emitSlices} × ${sizes.emitSliceMs} ms slices after ${sizes.emitWarmupMs} ms of warm-up.`,
  );
}

function emitTable(scenarios: readonly InProcessScenarioResult[], sizes: InProcessSizes): string[] {
  return publishTable(
    scenarios,
    "Direct publish → in-process subscriber",
    `${PAYLOAD} B payload, the same Buffer every time; median of ${sizes.emitSlices} × ${sizes.emitSliceMs} ms slices after ${sizes.emitWarmupMs} ms of warm-up. ` +
      `The ${sizes.otherSubscriptions.toLocaleString("en-US")} other subscriptions share the subject's first token, 15% have wildcards, none matches. ` +
      "eventemitter3 matches exact names only; mqemitter and Aedes get the same subjects written the MQTT way (`bench/direct/one`).",
  );
}

interface Column {
  key: string;
  label: string;
  unit: string;
}

/** A column of one of the scenario's metrics, labelled as the metric is. */
function metricColumn(s: InProcessScenarioResult, key: string): Column {
  const m = s.metrics.find((x) => x.key === key)!;
  return { key, label: m.label, unit: m.unit };
}

/** Rows = contenders (paths), the given columns, then ours vs the reference on each `versus` metric. */
function pathTable(s: InProcessScenarioResult, heading: string, columns: readonly Column[], versus: readonly { key: string; label: string; speedup: boolean }[]): string[] {
  const reference = s.contenders.find((c) => !c.ours)!;
  const lines = [
    heading,
    "",
    `| Path | ${[...columns.map((c) => `${c.label} (${c.unit})`), ...versus.map((v) => v.label)].join(" | ")} |`,
    `|---|${[...columns, ...versus].map(() => "---:").join("|")}|`,
  ];
  for (const c of s.contenders) {
    const shown = versus.map((v) => {
      const r = c.ours ? ratioOf(s, c.id, reference.id, v.key) : undefined;
      return r === undefined ? (c.ours ? "—" : "1×") : formatRatio(v.speedup ? 1 / r : r);
    });
    lines.push(`| ${c.label} | ${[...columns.map((col) => cell(c, col.key, col.unit)), ...shown].join(" | ")} |`);
  }
  lines.push("", `<sub>${s.description}</sub>`);
  return lines;
}

/** Import cost: rows = bare Node, the import, the import plus a bus; over bare Node beside each. */
function importTable(s: InProcessScenarioResult): string[] {
  const c = s.contenders[0]!;
  const m = (key: string): number | undefined => c.median[key];
  const over = (value: number | undefined, unit: string): string => (value === undefined ? "—" : `+${formatValue(value, unit)}`);
  const rows = [
    { label: "bare Node (`node -e`)", kind: "bare", overMs: "—", overMB: "—" },
    { label: '`await import("nats-embedded")`', kind: "import", overMs: over(m("importOverBareMs"), "ms"), overMB: over(m("importOverBareRssMB"), "MB") },
    { label: "import + `createServer()`, no options", kind: "bus", overMs: over(m("busOverBareMs"), "ms"), overMB: over(m("busOverBareRssMB"), "MB") },
  ];
  const failed = c.failures > 0 ? ` (${c.failures}/${c.samples.length} samples failed)` : "";
  const lines = [
    `**Import cost**: a fresh Node process, to the moment the package is imported (and a bus created); lower is better${failed}.`,
    "",
    "| Process | since process start (ms) | over bare Node (ms) | RSS (MB) | over bare Node (MB) | V8 heap used (MB) |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(`| ${r.label} | ${formatValue(m(`${r.kind}AtMs`), "ms")} | ${r.overMs} | ${formatValue(m(`${r.kind}RssMB`), "MB")} | ${r.overMB} | ${formatValue(m(`${r.kind}HeapMB`), "MB")} |`);
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
  const workloads = results.scenarios.filter((s) => s.group === "workload");
  if (workloads.length > 0) lines.push("", ...workloadTable(workloads, results.sizes));
  const emit = results.scenarios.filter((s) => s.group === "emit");
  if (emit.length > 0) lines.push("", ...emitTable(emit, results.sizes));
  const rr = results.scenarios.find((s) => s.group === "request");
  if (rr !== undefined) {
    const columns = rr.metrics.map((m) => metricColumn(rr, m.key));
    lines.push("", ...pathTable(rr, "**Request/reply**, serial round trips; rate higher is better, latency lower.", columns, [{ key: "rate", label: "rate vs nats-server", speedup: false }]));
  }
  const startup = results.scenarios.find((s) => s.group === "startup");
  if (startup !== undefined) {
    lines.push(
      "",
      ...pathTable(
        startup,
        "**Start-up for a test**: create a broker, connect the official client, first request/reply answered; lower is better.",
        [
          metricColumn(startup, "medianMs"),
          { key: "p90Ms", label: "p90", unit: "ms" },
          { key: "firstMs", label: "first, cold", unit: "ms" },
          { key: "connectedMedianMs", label: "client connected, median", unit: "ms" },
          metricColumn(startup, "freshMs"),
          { key: "freshRssMB", label: "fresh process RSS at the reply", unit: "MB" },
        ],
        [
          { key: "medianMs", label: "faster by", speedup: true },
          { key: "freshMs", label: "fresh process: faster by", speedup: true },
        ],
      ),
    );
  }
  // Next to start-up: what a fresh process pays to import the package at all.
  const imports = results.scenarios.find((s) => s.group === "import");
  if (imports !== undefined) lines.push("", ...importTable(imports));
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

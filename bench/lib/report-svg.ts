/**
 * A hand-written SVG bar chart of the ratios, one bar per scenario metric: nats-embedded /
 * nats-server end to end, then (when the run had them) the in-process scenarios, nats-embedded /
 * each reference. A log2 axis centred on 1×: a 2× better and a 2× worse result are the
 * same length, whichever way the metric points. Green means ours is better for that metric
 * (higher throughput, lower latency or memory), red worse. No dependencies: it is a few rects.
 */
import { inProcessBars, type RatioBar } from "../inprocess/report.ts";
import { formatRatio, type BenchResults } from "./results.ts";

const WIDTH = 900;
const LABEL_W = 340;
const PLOT_X0 = LABEL_W + 48;
const PLOT_X1 = WIDTH - 60;
const ROW_H = 26;
const TOP = 64;
const BOTTOM = 56;
const MAX_LOG2 = 7;

const GOOD = "#2f855a";
const BAD = "#c53030";
const EVEN = "#718096";

type Bar = RatioBar;

/** A chart row: a bar, or the heading of a group of bars. */
type Row = { heading: string } | Bar;

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function tickLabel(k: number): string {
  return k >= 0 ? `${2 ** k}×` : `1/${2 ** -k}×`;
}

export function ratiosSvg(results: BenchResults): string {
  const e2e: Bar[] = [];
  for (const s of results.scenarios) {
    for (const m of s.metrics) {
      const label = s.metrics.length > 1 ? `${s.title} · ${m.label}` : `${s.title} (${m.label})`;
      e2e.push({ label, ratio: s.ratios[m.key], better: m.better });
    }
  }
  const inProcess = results.inProcess === undefined ? [] : inProcessBars(results.inProcess);
  const natsServer = escapeXml(results.environment.natsServer);
  const rows: Row[] = [];
  if (inProcess.length === 0) {
    rows.push(...e2e);
  } else {
    if (e2e.length > 0) rows.push({ heading: `End-to-end over TCP: nats-embedded / nats-server ${natsServer}` }, ...e2e);
    rows.push({ heading: "In-process: nats-embedded / the reference named (eventemitter3, mqemitter, Aedes, nats-server)" }, ...inProcess);
  }
  const bars = rows.filter((r): r is Bar => !("heading" in r));
  const title =
    inProcess.length === 0
      ? `nats-embedded / nats-server ${natsServer} (median of ${results.runs} runs)`
      : `nats-embedded against its references (medians of ${results.runs} runs)`;
  const logs = bars.map((b) => (b.ratio === undefined ? 0 : Math.abs(Math.log2(b.ratio))));
  const span = Math.min(MAX_LOG2, Math.max(1, Math.ceil(Math.max(...logs, 0))));
  const mid = (PLOT_X0 + PLOT_X1) / 2;
  const half = (PLOT_X1 - PLOT_X0) / 2;
  const x = (r: number): number => mid + (Math.max(-span, Math.min(span, Math.log2(r))) / span) * half;
  const height = TOP + rows.length * ROW_H + BOTTOM;
  const bottom = TOP + rows.length * ROW_H;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="16" y="24" font-size="16" font-weight="600">${title}</text>`);
  out.push(`<text x="16" y="44" fill="#4a5568">log scale; green = nats-embedded better for that metric, red = worse · ${escapeXml(results.date.slice(0, 10))} · Node ${escapeXml(results.environment.node)} · ${results.environment.cores} cores</text>`);
  for (let k = -span; k <= span; k++) {
    const tx = x(2 ** k);
    out.push(`<line x1="${tx.toFixed(1)}" y1="${TOP - 6}" x2="${tx.toFixed(1)}" y2="${bottom}" stroke="${k === 0 ? "#1a202c" : "#e2e8f0"}" stroke-width="${k === 0 ? 1.5 : 1}"/>`);
    // On a wide axis every other tick is labelled, so the labels do not run into each other.
    if (span <= 4 || k % 2 === 0) out.push(`<text x="${tx.toFixed(1)}" y="${bottom + 18}" text-anchor="middle" fill="#4a5568">${tickLabel(k)}</text>`);
  }
  out.push(`<text x="${mid}" y="${bottom + 40}" text-anchor="middle" fill="#4a5568">ratio ours / ${inProcess.length === 0 ? "nats-server" : "reference"}</text>`);
  rows.forEach((row, i) => {
    const y = TOP + i * ROW_H;
    if ("heading" in row) {
      out.push(`<rect x="8" y="${y + 3}" width="${WIDTH - 16}" height="${ROW_H - 6}" fill="#f7fafc"/>`);
      out.push(`<text x="16" y="${y + ROW_H / 2 + 4}" font-weight="600">${escapeXml(row.heading)}</text>`);
      return;
    }
    const b = row;
    out.push(`<text x="${LABEL_W}" y="${y + ROW_H / 2 + 4}" text-anchor="end">${escapeXml(b.label)}</text>`);
    if (b.ratio === undefined) {
      out.push(`<text x="${mid + 6}" y="${y + ROW_H / 2 + 4}" fill="${BAD}">failed / no data</text>`);
      return;
    }
    const good = b.better === "higher" ? b.ratio > 1 : b.ratio < 1;
    const color = b.ratio === 1 ? EVEN : good ? GOOD : BAD;
    const x0 = Math.min(mid, x(b.ratio));
    const w = Math.max(1, Math.abs(x(b.ratio) - mid));
    out.push(`<rect x="${x0.toFixed(1)}" y="${y + 5}" width="${w.toFixed(1)}" height="${ROW_H - 10}" fill="${color}" rx="2"/>`);
    const right = b.ratio >= 1;
    const tx = right ? x0 + w + 4 : x0 - 4;
    out.push(`<text x="${tx.toFixed(1)}" y="${y + ROW_H / 2 + 4}" text-anchor="${right ? "start" : "end"}" fill="#1a202c">${escapeXml(formatRatio(b.ratio))}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

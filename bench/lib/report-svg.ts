/**
 * A hand-written SVG bar chart of the ratios (nats-embedded / nats-server), one bar per
 * scenario metric, on a log2 axis centred on 1×: a 2× better and a 2× worse result are the
 * same length, whichever way the metric points. Green means ours is better for that metric
 * (higher throughput, lower latency or memory), red worse. No dependencies: it is a few rects.
 */
import { formatRatio, type BenchResults } from "./results.ts";

const WIDTH = 820;
const LABEL_W = 290;
const PLOT_X0 = LABEL_W + 48;
const PLOT_X1 = WIDTH - 60;
const ROW_H = 26;
const TOP = 64;
const BOTTOM = 56;
const MAX_LOG2 = 6;

const GOOD = "#2f855a";
const BAD = "#c53030";
const EVEN = "#718096";

interface Bar {
  label: string;
  ratio: number | undefined;
  better: "higher" | "lower";
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function tickLabel(k: number): string {
  return `${2 ** k}×`;
}

export function ratiosSvg(results: BenchResults): string {
  const bars: Bar[] = [];
  for (const s of results.scenarios) {
    for (const m of s.metrics) {
      const label = s.metrics.length > 1 ? `${s.title} · ${m.label}` : `${s.title} (${m.label})`;
      bars.push({ label, ratio: s.ratios[m.key], better: m.better });
    }
  }
  const logs = bars.map((b) => (b.ratio === undefined ? 0 : Math.abs(Math.log2(b.ratio))));
  const span = Math.min(MAX_LOG2, Math.max(1, Math.ceil(Math.max(...logs, 0))));
  const mid = (PLOT_X0 + PLOT_X1) / 2;
  const half = (PLOT_X1 - PLOT_X0) / 2;
  const x = (r: number): number => mid + (Math.max(-span, Math.min(span, Math.log2(r))) / span) * half;
  const height = TOP + bars.length * ROW_H + BOTTOM;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="16" y="24" font-size="16" font-weight="600">nats-embedded / nats-server ${escapeXml(results.environment.natsServer)} (median of ${results.runs} runs)</text>`);
  out.push(`<text x="16" y="44" fill="#4a5568">log scale; green = nats-embedded better for that metric, red = worse · ${escapeXml(results.date.slice(0, 10))} · Node ${escapeXml(results.environment.node)} · ${results.environment.cores} cores</text>`);
  for (let k = -span; k <= span; k++) {
    const tx = x(2 ** k);
    out.push(`<line x1="${tx.toFixed(1)}" y1="${TOP - 6}" x2="${tx.toFixed(1)}" y2="${TOP + bars.length * ROW_H}" stroke="${k === 0 ? "#1a202c" : "#e2e8f0"}" stroke-width="${k === 0 ? 1.5 : 1}"/>`);
    out.push(`<text x="${tx.toFixed(1)}" y="${TOP + bars.length * ROW_H + 18}" text-anchor="middle" fill="#4a5568">${tickLabel(k)}</text>`);
  }
  out.push(`<text x="${mid}" y="${TOP + bars.length * ROW_H + 40}" text-anchor="middle" fill="#4a5568">ratio ours / nats-server</text>`);
  bars.forEach((b, i) => {
    const y = TOP + i * ROW_H;
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

/**
 * A small SVG bar chart of ours / reference ratios for the feature benchmarks (JetStream, KV,
 * leaf nodes), which run outside the main end-to-end plan. Same reading as the main chart: a
 * log2 axis centred on 1×, green where ours is better, red where worse, and the target drawn
 * as a dashed line when a benchmark has one.
 */
export interface ChartBar {
  label: string;
  /** ours / reference; undefined when a side failed. */
  ratio: number | undefined;
}

const WIDTH = 820;
const LABEL_W = 300;
const ROW_H = 26;
const TOP = 64;
const BOTTOM = 56;

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function ratioChartSvg(title: string, subtitle: string, bars: readonly ChartBar[], target?: number): string {
  const x0 = LABEL_W + 40;
  const x1 = WIDTH - 60;
  const logs = bars.map((b) => (b.ratio === undefined ? 0 : Math.abs(Math.log2(b.ratio))));
  const span = Math.min(6, Math.max(1, Math.ceil(Math.max(...logs, target === undefined ? 0 : Math.abs(Math.log2(target))))));
  const mid = (x0 + x1) / 2;
  const x = (r: number): number => mid + (Math.max(-span, Math.min(span, Math.log2(r))) / span) * ((x1 - x0) / 2);
  const bottom = TOP + bars.length * ROW_H;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${bottom + BOTTOM}" viewBox="0 0 ${WIDTH} ${bottom + BOTTOM}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="16" y="24" font-size="16" font-weight="600">${escapeXml(title)}</text>`);
  out.push(`<text x="16" y="44" fill="#4a5568">${escapeXml(subtitle)}</text>`);
  for (let k = -span; k <= span; k++) {
    const tx = x(2 ** k).toFixed(1);
    out.push(`<line x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${bottom}" stroke="${k === 0 ? "#1a202c" : "#e2e8f0"}"/>`);
    out.push(`<text x="${tx}" y="${bottom + 18}" text-anchor="middle" fill="#4a5568">${k >= 0 ? `${2 ** k}×` : `1/${2 ** -k}×`}</text>`);
  }
  if (target !== undefined) {
    const tx = x(target).toFixed(1);
    out.push(`<line x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${bottom}" stroke="#d69e2e" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${tx}" y="${TOP - 10}" text-anchor="middle" fill="#b7791f">target ${target}×</text>`);
  }
  bars.forEach((bar, i) => {
    const y = TOP + i * ROW_H;
    out.push(`<text x="${LABEL_W + 30}" y="${y + 17}" text-anchor="end">${escapeXml(bar.label)}</text>`);
    if (bar.ratio === undefined) {
      out.push(`<text x="${mid + 6}" y="${y + 17}" fill="#718096">no result</text>`);
      return;
    }
    const a = Math.min(mid, x(bar.ratio));
    const w = Math.max(1, Math.abs(x(bar.ratio) - mid));
    const color = bar.ratio >= 1 ? "#2f855a" : "#c53030";
    out.push(`<rect x="${a.toFixed(1)}" y="${y + 5}" width="${w.toFixed(1)}" height="${ROW_H - 10}" fill="${color}"/>`);
    const label = `${bar.ratio >= 10 ? bar.ratio.toFixed(0) : bar.ratio.toFixed(2)}×`;
    const lx = bar.ratio >= 1 ? a + w + 4 : a - 4;
    out.push(`<text x="${lx.toFixed(1)}" y="${y + 17}" text-anchor="${bar.ratio >= 1 ? "start" : "end"}">${label}</text>`);
  });
  out.push(`<text x="${mid}" y="${bottom + 40}" text-anchor="middle" fill="#4a5568">ratio ours / reference (log scale)</text>`);
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}

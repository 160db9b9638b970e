/**
 * Regenerates the figures in docs/performance.md (between `<!-- bench:perf:start -->` and
 * `<!-- bench:perf:end -->`) from a result file, without running anything; a full
 * `npm run bench` does the same from its own results.
 *
 *   npx tsx bench/perf-doc.ts [bench/results/<date>.json]   (default: the newest result file)
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeBetweenMarkers } from "./lib/report-markdown.ts";
import { PERF_END_MARKER, PERF_START_MARKER, perfSection } from "./lib/report-perf.ts";
import type { BenchResults } from "./lib/results.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const resultsDir = join(root, "bench", "results");
const newest = readdirSync(resultsDir).filter((f) => /^\d{4}-\d{2}-\d{2}\.json$/.test(f)).sort().at(-1);
const file = process.argv[2] !== undefined ? resolve(process.argv[2]) : newest === undefined ? undefined : join(resultsDir, newest);
if (file === undefined) {
  console.error("no result file: run `npm run bench` first");
  process.exit(1);
}
const results = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
const doc = join(root, "docs", "performance.md");
if (!writeBetweenMarkers(doc, PERF_START_MARKER, PERF_END_MARKER, perfSection(results, relative(root, file)))) {
  console.error(`${relative(root, doc)} or its ${PERF_START_MARKER} / ${PERF_END_MARKER} markers are missing`);
  process.exit(1);
}
console.log(`figures: ${relative(root, doc)} from ${relative(root, file)}`);

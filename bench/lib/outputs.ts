/**
 * Where a run's results go. Only a complete full run (no --quick, no --only) writes into the
 * repository; smoke and partial runs go to a temp directory so they can never replace the
 * published numbers with a partial or a smoke-sized picture.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import {
  END_MARKER,
  IN_PROCESS_END_MARKER,
  IN_PROCESS_START_MARKER,
  inProcessSection,
  markdownTable,
  START_MARKER,
  writeBetweenMarkers,
  writeIntoReadme,
} from "./report-markdown.ts";
import { PERF_END_MARKER, PERF_START_MARKER, perfSection } from "./report-perf.ts";
import { ratiosSvg } from "./report-svg.ts";
import type { BenchResults } from "./results.ts";

export interface OutputPlan {
  json: string;
  svg: string;
  /** README to update between the markers; only for a run that writes into the repository. */
  readme: string | undefined;
  /** Where the table goes when the README or its markers are missing. */
  fallbackMarkdown: string;
  /** docs/in-process.md, whose in-process figures are regenerated between their own markers. */
  inProcessDoc: string | undefined;
  /** docs/performance.md, whose targets and end-to-end figures are regenerated between their markers. */
  perfDoc?: string | undefined;
  inRepository: boolean;
}

export function planOutputs(root: string, results: Pick<BenchResults, "date" | "mode">, options: { partial: boolean; out: string | undefined }): OutputPlan {
  const day = results.date.slice(0, 10);
  const inRepository = options.out === undefined && results.mode === "full" && !options.partial;
  if (inRepository) {
    return {
      json: join(root, "bench", "results", `${day}.json`),
      svg: join(root, "docs", "bench-ratios.svg"),
      readme: join(root, "README.md"),
      fallbackMarkdown: join(root, "bench", "results", "latest.md"),
      inProcessDoc: join(root, "docs", "in-process.md"),
      perfDoc: join(root, "docs", "performance.md"),
      inRepository,
    };
  }
  const dir = options.out ?? join(tmpdir(), `nats-embedded-bench-${results.mode}`);
  return { json: join(dir, `${day}.json`), svg: join(dir, "bench-ratios.svg"), readme: undefined, fallbackMarkdown: join(dir, "latest.md"), inProcessDoc: undefined, inRepository };
}

/** Writes the JSON, the chart and the table; returns human-readable lines saying what went where. */
export function writeOutputs(root: string, plan: OutputPlan, results: BenchResults): string[] {
  const said: string[] = [];
  const show = (p: string): string => (plan.inRepository ? relative(root, p) : p);
  for (const file of [plan.json, plan.svg, plan.fallbackMarkdown]) mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(plan.json, `${JSON.stringify(results, null, 2)}\n`);
  said.push(`results: ${show(plan.json)}`);
  writeFileSync(plan.svg, ratiosSvg(results));
  said.push(`chart:   ${show(plan.svg)}`);
  const table = markdownTable(results, show(plan.json));
  const section = inProcessSection(results, show(plan.json));
  if (plan.inProcessDoc !== undefined && section !== undefined) {
    const written = writeBetweenMarkers(plan.inProcessDoc, IN_PROCESS_START_MARKER, IN_PROCESS_END_MARKER, section);
    said.push(written ? `figures: ${show(plan.inProcessDoc)} (between the bench:inprocess markers)` : `figures: ${show(plan.inProcessDoc)} or its markers are missing, left alone`);
  }
  if (plan.perfDoc !== undefined && results.scenarios.length > 0) {
    const written = writeBetweenMarkers(plan.perfDoc, PERF_START_MARKER, PERF_END_MARKER, perfSection(results, show(plan.json)));
    said.push(written ? `figures: ${show(plan.perfDoc)} (between the bench:perf markers)` : `figures: ${show(plan.perfDoc)} or its markers are missing, left alone`);
  }
  if (plan.readme !== undefined && writeIntoReadme(plan.readme, table)) {
    said.push(`table:   ${show(plan.readme)} (between the bench markers)`);
    return said;
  }
  writeFileSync(plan.fallbackMarkdown, `# Benchmark\n\n${table}\n`);
  const why = plan.readme === undefined ? "not a full run: the README is left alone" : `${show(plan.readme)} or its ${START_MARKER} / ${END_MARKER} markers are missing`;
  said.push(`table:   ${show(plan.fallbackMarkdown)} (${why})`);
  return said;
}

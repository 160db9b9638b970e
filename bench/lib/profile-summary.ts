/**
 * Top self-time functions of a V8 `.cpuprofile` (what `node --cpu-prof` writes): self time
 * is attributed from the sample stream, so the list shows where the broker itself spends
 * CPU, not which callers are merely on the stack. Percentages are of busy time: "(idle)" is
 * the broker waiting for input and would only dilute the picture. Locations are files only:
 * tsx compiles with whitespace minified, so V8's line numbers for our .ts files are all 1.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  location: string;
  selfMs: number;
  percent: number;
}

function isCpuProfile(value: unknown): value is CpuProfile {
  return typeof value === "object" && value !== null && "nodes" in value && "samples" in value && "timeDeltas" in value &&
    Array.isArray(value.nodes) && Array.isArray(value.samples) && Array.isArray(value.timeDeltas);
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  functions: HotFunction[];
  /** Self time per source file (our src/ files, node internals, native), busiest first. */
  files: HotFunction[];
}

export function summarizeProfile(file: string, limit = 15): ProfileSummary {
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (!isCpuProfile(parsed)) throw new Error(`${file} is not a .cpuprofile`);
  const byId = new Map<number, ProfileNode>();
  for (const n of parsed.nodes) byId.set(n.id, n);
  const selfUs = new Map<string, { name: string; location: string; us: number }>();
  const fileUs = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < parsed.samples.length; i++) {
    const node = byId.get(parsed.samples[i]!);
    const dt = parsed.timeDeltas[i] ?? 0;
    if (node === undefined) continue;
    const { functionName, url } = node.callFrame;
    if (functionName === "(idle)") {
      idleUs += dt;
      continue;
    }
    totalUs += dt;
    const name = functionName === "" ? "(anonymous)" : functionName;
    const location = url === "" ? "native/VM" : url.replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, "$1/");
    fileUs.set(location, (fileUs.get(location) ?? 0) + dt);
    const key = `${name}@${location}`;
    const entry = selfUs.get(key) ?? { name, location, us: 0 };
    entry.us += dt;
    selfUs.set(key, entry);
  }
  const hot = (name: string, location: string, us: number): HotFunction => ({ name, location, selfMs: us / 1000, percent: totalUs > 0 ? (100 * us) / totalUs : 0 });
  return {
    busyMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...selfUs.values()].sort((a, b) => b.us - a.us).slice(0, limit).map((e) => hot(e.name, e.location, e.us)),
    files: [...fileUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([f, us]) => hot(f, "", us)),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const row = (f: HotFunction): string => `${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}${f.location === "" ? "" : `  (${f.location})`}`;
  return [
    `busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms; % of busy time`,
    "top self time by function:",
    ...summary.functions.map(row),
    "self time by file:",
    ...summary.files.map(row),
  ].join("\n");
}

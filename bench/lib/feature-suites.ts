/**
 * The feature benchmarks (JetStream, key/value, leaf nodes, accounts, clusters) are scripts of their own, each
 * comparing our broker with nats-server side by side and writing its JSON and chart. A full
 * `npm run bench` runs them after the main plan, and `--only jetstream` (or `kv`, `leafnode`, `accounts`, `cluster`)
 * runs one alone (also `jetstream-ttl`), so one command still measures everything.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export interface FeatureSuite {
  id: string;
  script: string;
  /** Extra arguments for a full run and for a quick one. */
  full: string[];
  quick: string[];
}

export function featureSuites(root: string, date: string): FeatureSuite[] {
  const day = date.slice(0, 10);
  const suites: FeatureSuite[] = [
    { id: "jetstream", script: "bench/jetstream.bench.ts", full: ["--no-build"], quick: ["--no-build", "--quick"] },
    { id: "kv", script: "bench/kv.bench.ts", full: [], quick: ["--quick"] },
    {
      id: "leafnode",
      script: "bench/leafnode.bench.ts",
      full: ["--json", join(root, "bench", "results", `leafnode-${day}.json`)],
      quick: ["--messages", "20000", "--runs", "1"],
    },
    {
      id: "accounts",
      script: "bench/accounts.bench.ts",
      full: ["--json", join(root, "bench", "results", `accounts-${day}.json`), "--svg", join(root, "docs", "bench-accounts.svg")],
      quick: ["--messages", "20000", "--requests", "300", "--runs", "1"],
    },
    {
      id: "jetstream-ttl",
      script: "bench/jetstream-ttl.bench.ts",
      full: ["--json", join(root, "bench", "results", `jetstream-ttl-${day}.json`), "--svg", join(root, "docs", "bench-jetstream-ttl.svg")],
      quick: ["--messages", "3000", "--runs", "1"],
    },
    {
      id: "cluster",
      script: "bench/cluster.bench.ts",
      full: ["--json", join(root, "bench", "results", `cluster-${day}.json`), "--svg", join(root, "docs", "bench-cluster.svg")],
      quick: ["--messages", "20000", "--runs", "1"],
    },
  ];
  return suites.filter((s) => existsSync(join(root, s.script)));
}

/** Runs one suite as a child process with its output passed through; resolves with its exit code. */
export function runFeatureSuite(root: string, suite: FeatureSuite, quick: boolean): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, suite.script), ...(quick ? suite.quick : suite.full)], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.once("exit", (code) => resolve(code ?? 1));
    child.once("error", () => resolve(1));
  });
}

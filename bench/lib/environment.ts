/** The facts needed to compare a result file with another: versions, CPU, limits. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { natsServerBinary } from "./server-process.ts";

export interface Environment {
  node: string;
  natsServer: string;
  natsEmbedded: string;
  /** HEAD when the run started; the work tree may hold uncommitted changes on top. */
  gitCommit: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  clientLibrary: string;
  /** 1-minute load average when the run started: other work on the box makes numbers noisy. */
  loadAverageAtStart: number;
  /** The same when the run ended (set by the coordinator). */
  loadAverageAtEnd?: number;
}

/** The 1-minute load average, two decimals. */
export function loadAverage(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

function tryRun(file: string, args: readonly string[], cwd?: string): string {
  try {
    return execFileSync(file, args, { encoding: "utf8", cwd, stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return "unknown";
  }
}

function packageVersion(file: string): string {
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  return typeof parsed === "object" && parsed !== null && "version" in parsed && typeof parsed.version === "string" ? parsed.version : "unknown";
}

export function collectEnvironment(root: string): Environment {
  const natsVersion = tryRun(natsServerBinary(), ["--version"]);
  const cpus = os.cpus();
  return {
    node: process.version,
    natsServer: natsVersion.replace(/^nats-server:\s*/, ""),
    natsEmbedded: packageVersion(join(root, "package.json")),
    // rev-parse only reads; nothing here may change the repository's state.
    gitCommit: tryRun("git", ["rev-parse", "--short", "HEAD"], root),
    cpuModel: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    loadAverageAtStart: loadAverage(),
    clientLibrary: `@nats-io/transport-node ${packageVersion(join(root, "node_modules", "@nats-io", "transport-node", "package.json"))}`,
  };
}

/**
 * One sample: a fresh server, one run of one scenario against it, the server's CPU seconds
 * and peak RSS from /proc, and the server stopped again whatever happened. A failure is a
 * result too (recorded, reported, counted), not an exception: the other scenarios still run.
 */
import { cpuSeconds, memoryUsage } from "./proc-stats.ts";
import type { Scenario } from "./scenario.ts";
import { startServer, type LaunchOptions, type ServerHandle, type ServerKind } from "./server-process.ts";

export interface SampleRecord {
  run: number;
  ok: boolean;
  error?: string;
  metrics: Record<string, number>;
  details: Record<string, number>;
  /** Server user+system CPU seconds during the scenario (start-up excluded). */
  serverCpuSec: number;
  /** Server VmHWM at the end of the scenario (its whole life, start-up included), MiB. */
  serverPeakRssMiB: number;
  /** Wall time of the sample, server start and stop included. */
  wallSec: number;
}

export interface SampleOptions {
  launch: LaunchOptions;
  /** Per-sample time limit. */
  timeoutMs: number;
}

const LOG_TAIL = 1500;

export async function runSample(scenario: Scenario, kind: ServerKind, run: number, options: SampleOptions): Promise<SampleRecord> {
  const started = Date.now();
  const record: SampleRecord = { run, ok: false, metrics: {}, details: {}, serverCpuSec: 0, serverPeakRssMiB: 0, wallSec: 0 };
  let server: ServerHandle | undefined;
  try {
    server = await startServer(kind, options.launch);
    const cpuBefore = cpuSeconds(server.pid);
    const deadline = Date.now() + options.timeoutMs;
    const measured = await withTimeout(scenario.run({ root: options.launch.root, server, deadline }), options.timeoutMs + 5_000);
    if (server.exited()) throw new Error(`${kind} exited during the run`);
    record.serverCpuSec = cpuSeconds(server.pid) - cpuBefore;
    record.serverPeakRssMiB = memoryUsage(server.pid).peakRssKiB / 1024;
    record.metrics = measured.metrics;
    record.details = measured.details;
    record.ok = true;
  } catch (err) {
    const log = server?.log().trim().slice(-LOG_TAIL);
    record.error = (err instanceof Error ? err.message : String(err)) + (log ? `\n--- ${kind} log (tail) ---\n${log}` : "");
  } finally {
    await server?.stop();
    record.wallSec = (Date.now() - started) / 1000;
  }
  return record;
}

/** A last-resort bound in case a scenario's own bounded waits are bypassed by a bug. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`run did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * What the coordinator and the load processes say to each other over the IPC channel of
 * `child_process.fork`. Times are `process.hrtime.bigint()` nanoseconds turned into numbers:
 * on Linux that clock is CLOCK_MONOTONIC, shared by every process on the host, so a
 * publisher's start and a subscriber's last message can be subtracted across processes.
 */

/** Per-connection tally of a subscriber process. */
export interface ConnectionTally {
  /** MSG frames received. */
  count: number;
  /** Arrival time of the first read that carried a MSG (0 if none). */
  firstNs: number;
  /** Arrival time of the last read that carried a MSG (0 if none). */
  lastNs: number;
  /** Plain subscriptions: messages whose sequence number was not the next one expected. */
  outOfOrder: number;
}

/** A subscriber process has subscribed on every connection and the server confirmed (PONG). */
export interface ReadyReport {
  type: "ready";
}

/** A publisher finished: every PUB written and the server's PONG to the PING after them seen. */
export interface PublishedReport {
  type: "published";
  count: number;
  bytes: number;
  /** Just before the first write of the batch. */
  startNs: number;
  /** After the last slice was accepted by the socket (kernel may still hold it). */
  lastWriteNs: number;
  /** When the PONG arrived: the server has processed every PUB before it. */
  pongNs: number;
  /** The publisher's own CPU seconds from start to PONG: near the wall time means client-bound. */
  cpuSec: number;
}

/** A subscriber's tallies: once it has the expected count, or on request. */
export interface ReceivedReport {
  type: "received";
  /** True when sent because the expected total arrived; false when sent on request. */
  complete: boolean;
  connections: ConnectionTally[];
  /** Queue groups: a sequence number seen twice anywhere in the group. */
  duplicates: number;
  /** Queue groups: sequence numbers never seen in the group (computed when reported). */
  missing: number;
  /** The subscriber process's CPU seconds since it said "ready": near the wall time means client-bound. */
  cpuSec: number;
}

/** Serial request/reply latencies, in microseconds. */
export interface LatencyReport {
  type: "latency";
  count: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
}

/** Something went wrong in the load process; the run fails with this text. */
export interface ErrorReport {
  type: "error";
  message: string;
}

export type WorkerReport = ReadyReport | PublishedReport | ReceivedReport | LatencyReport | ErrorReport;
export type WorkerReportType = WorkerReport["type"];

/** Coordinator → load process. */
export type WorkerCommand = { type: "report" } | { type: "stop" };

const REPORT_TYPES: ReadonlySet<string> = new Set<WorkerReportType>(["ready", "published", "received", "latency", "error"]);

/** IPC delivers `unknown`; our own children only send these shapes, so the tag is enough. */
export function isWorkerReport(value: unknown): value is WorkerReport {
  return typeof value === "object" && value !== null && "type" in value && typeof value.type === "string" && REPORT_TYPES.has(value.type);
}

export function isWorkerCommand(value: unknown): value is WorkerCommand {
  return typeof value === "object" && value !== null && "type" in value && (value.type === "report" || value.type === "stop");
}

/** Sends a report to the coordinator; a no-op when run by hand without an IPC channel. */
export function report(message: WorkerReport): void {
  if (process.send !== undefined) process.send(message);
}

/**
 * Role processes get their whole configuration as one JSON argument, so the coordinator and
 * the role agree on one typed shape instead of a flag parser per role.
 */
export function readConfig(): Record<string, unknown> {
  const text = process.argv[2];
  if (text === undefined) throw new Error("expected the configuration as a JSON argument");
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null) throw new Error("configuration must be a JSON object");
  return parsed as Record<string, unknown>;
}

export function numberField(config: Record<string, unknown>, key: string): number {
  const v = config[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`configuration: "${key}" must be a number`);
  return v;
}

export function stringField(config: Record<string, unknown>, key: string): string {
  const v = config[key];
  if (typeof v !== "string") throw new Error(`configuration: "${key}" must be a string`);
  return v;
}

export function optionalStringField(config: Record<string, unknown>, key: string): string | undefined {
  return config[key] === undefined ? undefined : stringField(config, key);
}

/** Reports an uncaught failure to the coordinator and exits non-zero, so nothing waits in vain. */
export function runRole(main: () => Promise<void>): void {
  // A coordinator that dies must not leave load processes behind.
  process.on("disconnect", () => process.exit(0));
  main().catch((err: unknown) => {
    report({ type: "error", message: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
    // Give the IPC message a moment to leave before the process goes.
    setTimeout(() => process.exit(1), 50);
  });
}

export const nowNs = (): number => Number(process.hrtime.bigint());

/** This process's user + system CPU seconds so far. */
export function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

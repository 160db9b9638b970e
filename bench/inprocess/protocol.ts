/**
 * What the coordinator and an in-process probe (bench/inprocess/probe.ts) say to each other.
 * A probe is one fresh Node process that measures one contender in one scenario, so that no
 * contender's JIT state, heap or loaded modules colour another's numbers.
 */

export type ProbeGroup = "workload" | "emit" | "request" | "startup" | "import";

/** Direct publish → subscriber: who publishes and delivers. */
export type EmitContender = "nats-embedded" | "eventemitter3" | "mqemitter" | "aedes";
/** What users publish (workload-probe.ts): the bus against the nearest alternatives. */
export type WorkloadContender = "nats-embedded" | "eventemitter3" | "mqemitter";
/** A payload as users hand it over: a Node Buffer, a plain Uint8Array, or a JSON string. */
export type PayloadKind = "buffer" | "uint8array" | "json";
/** Serial request/reply: which path a round trip takes. */
export type RequestContender = "direct" | "connect" | "nats-server";
/** Start-up for a test: in-process broker, or a spawned nats-server. */
export type StartupContender = "in-process" | "nats-server";
/** Import cost: one probe measures bare Node, the import, and the import plus a bus, side by side. */
export type ImportContender = "nats-embedded";

/** The subject of the one-subject workloads, and the subscription of the many-subject ones. */
export const ONE_SUBJECT = "orders.1.created";
export const WILDCARD = "orders.*.created";

export interface WorkloadConfig {
  group: "workload";
  contender: WorkloadContender;
  root: string;
  payload: PayloadKind;
  /**
   * 1: every message to `orders.1.created`, one exact subscriber. More: the publisher cycles
   * through `orders.<i>.created`, i < subjects, and one wildcard subscriber takes them all.
   */
  subjects: number;
  /** Messages published between two clock reads. */
  batch: number;
  warmupMs: number;
  slices: number;
  sliceMs: number;
}

export interface EmitConfig {
  group: "emit";
  contender: EmitContender;
  root: string;
  /** Subscribers on the benchmark subject, each receiving every message. */
  subscribers: number;
  /** Further subscriptions on subjects that never match, so the matcher holds a realistic set. */
  otherSubscriptions: number;
  payloadSize: number;
  /** Messages published between two clock reads. */
  batch: number;
  warmupMs: number;
  /** The measured window: `slices` slices of `sliceMs`, each giving a rate. */
  slices: number;
  sliceMs: number;
}

export interface RequestConfig {
  group: "request";
  contender: RequestContender;
  root: string;
  payloadSize: number;
  warmupMs: number;
  measureMs: number;
  /** Upper bound on timed round trips (the latency array's size). */
  maxRequests: number;
}

export interface StartupConfig {
  group: "startup";
  contender: StartupContender;
  root: string;
  iterations: number;
  payloadSize: number;
  /** Fresh Node processes, each timed from the first import to the first reply. */
  freshIterations: number;
}

export interface ImportConfig {
  group: "import";
  contender: ImportContender;
  root: string;
  /** Fresh Node processes of each kind (bare, import, import + bus), interleaved. */
  iterations: number;
}

export type ProbeConfig = WorkloadConfig | EmitConfig | RequestConfig | StartupConfig | ImportConfig;

export interface ProbeResult {
  type: "result";
  /** Medians and ratios are computed on these. */
  metrics: Record<string, number>;
  /** Supporting numbers, kept in the JSON only. */
  details: Record<string, number>;
}

export interface ProbeError {
  type: "error";
  message: string;
}

export type ProbeReport = ProbeResult | ProbeError;

export function isProbeReport(value: unknown): value is ProbeReport {
  return typeof value === "object" && value !== null && "type" in value && (value.type === "result" || value.type === "error");
}

export const nowNs = (): number => Number(process.hrtime.bigint());

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

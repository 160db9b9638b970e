/**
 * The in-process scenarios (issue 11, and the workloads and import cost of "One connection core,
 * one routing path"), their contenders, sizes and targets. Each sample of each
 * contender is a fresh process (bench/inprocess/probe.ts), and contenders take turns going first
 * from one run to the next, so neither JIT state nor drift over time favours one of them.
 */
import type { MetricSpec } from "../lib/scenario.ts";
import type { Mode } from "../lib/scenarios.ts";
import type { EmitContender, ImportContender, ProbeConfig, ProbeGroup, RequestContender, StartupContender } from "./protocol.ts";
import { WORKLOAD_IDS, WORKLOAD_TARGETS, workloadScenarios } from "./workload-plan.ts";

export interface InProcessSizes {
  /** Subscriptions on other subjects in the "10,000 other subscriptions" scenario. */
  otherSubscriptions: number;
  emitWarmupMs: number;
  emitSlices: number;
  emitSliceMs: number;
  emitBatch: number;
  requestWarmupMs: number;
  requestMeasureMs: number;
  requestMax: number;
  startupIterations: number;
  /** Fresh processes per start-up probe, timed from the first import to the first reply. */
  startupFreshIterations: number;
  /** Fresh processes of each kind (bare Node, import, import + bus) per import probe. */
  importIterations: number;
}

export const IN_PROCESS_SIZES: Readonly<Record<Mode, InProcessSizes>> = {
  full: {
    otherSubscriptions: 10_000,
    emitWarmupMs: 300,
    emitSlices: 10,
    emitSliceMs: 100,
    emitBatch: 1_000,
    requestWarmupMs: 300,
    requestMeasureMs: 1_000,
    requestMax: 1_000_000,
    startupIterations: 100,
    startupFreshIterations: 5,
    importIterations: 10,
  },
  quick: {
    otherSubscriptions: 10_000,
    emitWarmupMs: 100,
    emitSlices: 4,
    emitSliceMs: 50,
    emitBatch: 1_000,
    requestWarmupMs: 100,
    requestMeasureMs: 250,
    requestMax: 1_000_000,
    startupIterations: 20,
    startupFreshIterations: 2,
    importIterations: 3,
  },
};

export interface Contender<Id extends string = string> {
  id: Id;
  label: string;
  /** For the chart's bar labels. */
  short: string;
  /** nats-embedded itself; the others are references its ratios are taken against. */
  ours: boolean;
}

export interface InProcessScenario {
  id: string;
  title: string;
  /** For the chart's bar labels. */
  short: string;
  group: ProbeGroup;
  description: string;
  metrics: readonly MetricSpec[];
  contenders: readonly Contender[];
  /** The probe's configuration for one of {@link contenders} (method syntax: each scenario narrows the id). */
  config(contender: Contender, root: string): ProbeConfig;
  /** Limit for one probe process, start to report. */
  timeoutMs: number;
}

/** A goal from the issue, checked against the medians of a run. */
export interface TargetSpec {
  text: string;
  scenario: string;
  /**
   * value: the contender's median `key` against the threshold; ratio: ours / reference;
   * speedup: reference / ours (for times, where lower is better).
   */
  kind: "value" | "ratio" | "speedup";
  contender: string;
  reference?: string;
  key: string;
  op: ">=" | "<=";
  threshold: number;
  unit: string;
}

export const PAYLOAD = 16;

const EMIT_CONTENDERS: readonly Contender<EmitContender>[] = [
  { id: "nats-embedded", label: "nats-embedded `server.publish`", short: "nats-embedded", ours: true },
  { id: "eventemitter3", label: "eventemitter3", short: "eventemitter3", ours: false },
  { id: "mqemitter", label: "mqemitter", short: "mqemitter", ours: false },
  { id: "aedes", label: "Aedes", short: "Aedes", ours: false },
];

const REQUEST_CONTENDERS: readonly Contender<RequestContender>[] = [
  { id: "direct", label: "nats-embedded direct API (`server.request`)", short: "direct API", ours: true },
  { id: "connect", label: "official client over `server.connect()`", short: "server.connect()", ours: true },
  { id: "nats-server", label: "official client → nats-server (loopback TCP)", short: "nats-server", ours: false },
];

const IMPORT_CONTENDERS: readonly Contender<ImportContender>[] = [
  { id: "nats-embedded", label: "nats-embedded", short: "nats-embedded", ours: true },
];

const STARTUP_CONTENDERS: readonly Contender<StartupContender>[] = [
  { id: "in-process", label: "nats-embedded: `createServer()` + `server.connect()`", short: "in-process", ours: true },
  { id: "nats-server", label: "spawn nats-server + TCP connect", short: "nats-server", ours: false },
];

function emitScenario(id: string, title: string, short: string, subscribers: number, others: number, sizes: InProcessSizes): InProcessScenario {
  const extra = others > 0 ? `, plus ${others.toLocaleString("en-US")} subscriptions on other subjects (same prefix, 15% wildcards)` : "";
  return {
    id,
    title,
    short,
    group: "emit",
    description:
      `${PAYLOAD} B payload, ${subscribers} subscriber${subscribers === 1 ? "" : "s"} on one subject${extra}; ` +
      `rate = deliveries/s summed over subscribers, median of ${sizes.emitSlices} × ${sizes.emitSliceMs} ms slices after ${sizes.emitWarmupMs} ms warm-up.`,
    metrics: [{ key: "deliveryRate", label: "delivery rate", unit: "msgs/s", better: "higher" }],
    contenders: EMIT_CONTENDERS,
    config: (contender: Contender<EmitContender>, root: string) => ({
      group: "emit",
      contender: contender.id,
      root,
      subscribers,
      otherSubscriptions: others,
      payloadSize: PAYLOAD,
      batch: sizes.emitBatch,
      warmupMs: sizes.emitWarmupMs,
      slices: sizes.emitSlices,
      sliceMs: sizes.emitSliceMs,
    }),
    timeoutMs: 60_000,
  };
}

export function buildInProcessScenarios(sizes: InProcessSizes): InProcessScenario[] {
  return [
    ...workloadScenarios(sizes),
    emitScenario("direct-1", "1 subscriber", "pub → 1 sub", 1, 0, sizes),
    emitScenario("direct-4", "4 subscribers", "pub → 4 subs", 4, 0, sizes),
    emitScenario("direct-10k", `1 subscriber + ${sizes.otherSubscriptions.toLocaleString("en-US")} other subscriptions`, "pub → 1 sub, 10k others", 1, sizes.otherSubscriptions, sizes),
    {
      id: "rr-16",
      title: "request/reply, serial",
      short: "req/rep rate",
      group: "request",
      description:
        `Serial round trips of ${PAYLOAD} B, requester and echo responder in one process; ${sizes.requestMeasureMs} ms measured after ${sizes.requestWarmupMs} ms warm-up.`,
      metrics: [
        { key: "rate", label: "rate", unit: "round trips/s", better: "higher" },
        { key: "p50Us", label: "latency p50", unit: "µs", better: "lower" },
        { key: "p99Us", label: "latency p99", unit: "µs", better: "lower" },
      ],
      contenders: REQUEST_CONTENDERS,
      config: (contender: Contender<RequestContender>, root: string) => ({
        group: "request",
        contender: contender.id,
        root,
        payloadSize: PAYLOAD,
        warmupMs: sizes.requestWarmupMs,
        measureMs: sizes.requestMeasureMs,
        maxRequests: sizes.requestMax,
      }),
      timeoutMs: 60_000,
    },
    {
      id: "startup",
      title: "start-up for a test",
      short: "start-up time",
      group: "startup",
      description:
        `From nothing to the first request/reply through the broker (official client, ${PAYLOAD} B): median of ${sizes.startupIterations} in one process, the broker or client module already loaded; ` +
        `"fresh process": median of ${sizes.startupFreshIterations} fresh \`node\` processes per sample, timed from before the first \`import()\` (nats-embedded, or the client for nats-server) to the reply. ` +
        "nats-server is spawned as `nats-server -a 127.0.0.1 -p -1` and ready on its \"Server is ready\" line.",
      metrics: [
        { key: "medianMs", label: "median time", unit: "ms", better: "lower" },
        { key: "freshMs", label: "fresh process, import → reply", unit: "ms", better: "lower" },
      ],
      contenders: STARTUP_CONTENDERS,
      config: (contender: Contender<StartupContender>, root: string) => ({
        group: "startup",
        contender: contender.id,
        root,
        iterations: sizes.startupIterations,
        payloadSize: PAYLOAD,
        freshIterations: sizes.startupFreshIterations,
      }),
      timeoutMs: 120_000,
    },
    {
      id: "import",
      title: "import cost",
      short: "import cost",
      group: "import",
      description:
        `Fresh \`node --input-type=module -e\` processes, ${sizes.importIterations} of each kind per sample, interleaved: bare Node, \`await import("nats-embedded")\`, and the import plus \`createServer()\` with no options. ` +
        "Time = `performance.now()` (since the process started) after the import; RSS = `process.memoryUsage().rss` then; MB = 10⁶ bytes. Over bare Node = median of the kind − median of bare Node in the same sample.",
      metrics: [
        { key: "busOverBareMs", label: "import + createServer(), over bare Node", unit: "ms", better: "lower" },
        { key: "busOverBareRssMB", label: "import + createServer() RSS, over bare Node", unit: "MB", better: "lower" },
        { key: "importOverBareMs", label: "import, over bare Node", unit: "ms", better: "lower" },
        { key: "importOverBareRssMB", label: "import RSS, over bare Node", unit: "MB", better: "lower" },
      ],
      contenders: IMPORT_CONTENDERS,
      config: (contender: Contender<ImportContender>, root: string) => ({
        group: "import",
        contender: contender.id,
        root,
        iterations: sizes.importIterations,
      }),
      timeoutMs: 120_000,
    },
  ];
}

export const IN_PROCESS_IDS = [...WORKLOAD_IDS, "direct-1", "direct-4", "direct-10k", "rr-16", "startup", "import"] as const;

const EMIT_TITLES: Readonly<Record<string, string>> = {
  "direct-1": "publish → 1 subscriber",
  "direct-4": "publish → 4 subscribers",
  "direct-10k": "publish → 1 subscriber, 10,000 other subscriptions",
};

/**
 * The workloads' targets first (as their table comes first), then issue 11's: the ratios against
 * eventemitter3 and Aedes in each direct publish scenario, request/reply and start-up; then
 * the import cost ("One connection core, one routing path": a bus with no options for at most
 * 8 MB and 30 ms over bare Node).
 */
export const TARGETS: readonly TargetSpec[] = [
  ...WORKLOAD_TARGETS,
  { text: "publish → 1 subscriber: rate", scenario: "direct-1", kind: "value", contender: "nats-embedded", key: "deliveryRate", op: ">=", threshold: 5e6, unit: "msgs/s" },
  ...Object.entries(EMIT_TITLES).flatMap(([scenario, title]): TargetSpec[] => [
    { text: `${title}: ours / eventemitter3`, scenario, kind: "ratio", contender: "nats-embedded", reference: "eventemitter3", key: "deliveryRate", op: ">=", threshold: 0.3, unit: "×" },
    { text: `${title}: ours / Aedes`, scenario, kind: "ratio", contender: "nats-embedded", reference: "aedes", key: "deliveryRate", op: ">=", threshold: 10, unit: "×" },
  ]),
  { text: "request/reply: direct API rate / nats-server rate", scenario: "rr-16", kind: "ratio", contender: "direct", reference: "nats-server", key: "rate", op: ">=", threshold: 10, unit: "×" },
  { text: "start-up for a test: median", scenario: "startup", kind: "value", contender: "in-process", key: "medianMs", op: "<=", threshold: 2, unit: "ms" },
  { text: "start-up for a test: nats-server time / ours", scenario: "startup", kind: "speedup", contender: "in-process", reference: "nats-server", key: "medianMs", op: ">=", threshold: 5, unit: "×" },
  { text: "import + `createServer()`: time over bare Node", scenario: "import", kind: "value", contender: "nats-embedded", key: "busOverBareMs", op: "<=", threshold: 30, unit: "ms" },
  { text: "import + `createServer()`: RSS over bare Node", scenario: "import", kind: "value", contender: "nats-embedded", key: "busOverBareRssMB", op: "<=", threshold: 8, unit: "MB" },
];

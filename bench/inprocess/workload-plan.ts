/**
 * The workloads of the issue "One connection core, one routing path": publish → subscriber as
 * users write it (bench/inprocess/workload-probe.ts), each payload kind to one subject and over
 * 1,000 subjects with one wildcard subscriber. They come first in every report, because they
 * are what users do; the direct-* scenarios after them isolate single effects.
 */
import type { Contender, InProcessScenario, InProcessSizes, TargetSpec } from "./plan.ts";
import { ONE_SUBJECT, WILDCARD, type PayloadKind, type WorkloadContender } from "./protocol.ts";

/** Subjects the many-subject workloads cycle through (the 1,000; the ids say "1k"). */
export const WORKLOAD_SUBJECTS = 1_000;

const OURS: Contender<WorkloadContender> = { id: "nats-embedded", label: "nats-embedded `server.publish`", short: "nats-embedded", ours: true };
const EVENTEMITTER3: Contender<WorkloadContender> = { id: "eventemitter3", label: "eventemitter3 (exact listener per subject)", short: "eventemitter3", ours: false };
const MQEMITTER: Contender<WorkloadContender> = { id: "mqemitter", label: "mqemitter (`orders/+/created`)", short: "mqemitter", ours: false };

interface Workload {
  id: string;
  title: string;
  short: string;
  kind: PayloadKind;
  /** 1: one subject, exact subscriber; more: cycling subjects, one wildcard subscriber. */
  subjects: number;
  /** The payload in words, for the description. */
  what: string;
}

/** `name` is the chart's shorter form of `title`: bar labels have about 50 characters. */
const PAYLOADS: readonly { kind: PayloadKind; title: string; name: string; what: string }[] = [
  { kind: "buffer", title: "Buffer", name: "Buffer", what: "a 16 B Node Buffer" },
  { kind: "uint8array", title: "Uint8Array", name: "Uint8Array", what: "a 16 B Uint8Array that is not a Buffer (`TextEncoder`)" },
  { kind: "json", title: "JSON string", name: "JSON", what: "a JSON string of 27–29 B (`JSON.stringify` of a small order)" },
];

/** One subject for each payload kind, then the same kinds over many subjects with a wildcard. */
const WORKLOADS: readonly Workload[] = [
  ...PAYLOADS.map((p) => ({ ...p, id: `${p.kind}-1`, title: `${p.title}, one subject`, short: `${p.name} · 1 subject`, subjects: 1 })),
  ...PAYLOADS.map((p) => ({
    ...p,
    id: `${p.kind}-1k-wildcard`,
    title: `${p.title}, ${WORKLOAD_SUBJECTS.toLocaleString("en-US")} subjects, \`${WILDCARD}\``,
    short: `${p.name} · 1k subjects, wildcard`,
    subjects: WORKLOAD_SUBJECTS,
  })),
];

/** The goals for these workloads. */
const VS_EVENTEMITTER3 = 0.5;
const VS_MQEMITTER = 10;

function contenders(w: Workload): readonly Contender<WorkloadContender>[] {
  // mqemitter is the wildcard bus: compared where a wildcard is the point.
  return w.subjects > 1 ? [OURS, EVENTEMITTER3, MQEMITTER] : [OURS, EVENTEMITTER3];
}

function scenario(w: Workload, sizes: InProcessSizes): InProcessScenario {
  const shape = w.subjects > 1
    ? `publisher cycling through ${w.subjects.toLocaleString("en-US")} subjects \`orders.<i>.created\`, one \`${WILDCARD}\` subscriber (eventemitter3: one exact listener per subject)`
    : `every message to \`${ONE_SUBJECT}\`, one exact subscriber`;
  return {
    id: w.id,
    title: w.title,
    short: w.short,
    group: "workload",
    description:
      `${w.what}, built once per distinct subject before the clock starts; ${shape}. The subscriber counts each message and reads its payload length; ` +
      `rate = deliveries/s, median of ${sizes.emitSlices} × ${sizes.emitSliceMs} ms slices after ${sizes.emitWarmupMs} ms warm-up.`,
    metrics: [{ key: "deliveryRate", label: "delivery rate", unit: "msgs/s", better: "higher" }],
    contenders: contenders(w),
    config: (contender: Contender<WorkloadContender>, root: string) => ({
      group: "workload",
      contender: contender.id,
      root,
      payload: w.kind,
      subjects: w.subjects,
      batch: sizes.emitBatch,
      warmupMs: sizes.emitWarmupMs,
      slices: sizes.emitSlices,
      sliceMs: sizes.emitSliceMs,
    }),
    timeoutMs: 60_000,
  };
}

export function workloadScenarios(sizes: InProcessSizes): InProcessScenario[] {
  return WORKLOADS.map((w) => scenario(w, sizes));
}

export const WORKLOAD_IDS = WORKLOADS.map((w) => w.id);

/** ≥ 0.5× eventemitter3 in each workload, ≥ 10× mqemitter in each wildcard one. */
export const WORKLOAD_TARGETS: readonly TargetSpec[] = WORKLOADS.flatMap((w): TargetSpec[] => [
  { text: `${w.title}: ours / eventemitter3`, scenario: w.id, kind: "ratio", contender: "nats-embedded", reference: "eventemitter3", key: "deliveryRate", op: ">=", threshold: VS_EVENTEMITTER3, unit: "×" },
  ...contenders(w)
    .filter((c) => c.id === "mqemitter")
    .map((c): TargetSpec => ({ text: `${w.title}: ours / mqemitter`, scenario: w.id, kind: "ratio", contender: "nats-embedded", reference: c.id, key: "deliveryRate", op: ">=", threshold: VS_MQEMITTER, unit: "×" })),
]);

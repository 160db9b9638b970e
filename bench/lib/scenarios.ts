/**
 * The scenario list and its sizes. Counts are chosen so that one run takes about a second or
 * two against the slower broker on a 2-core box: long enough that start-up and the first read
 * do not matter, short enough that 5 alternating runs of everything stay within minutes.
 * The 1 KiB batches stay at a few hundred thousand frames because the publisher holds the
 * whole batch in memory (300k × 1 KiB ≈ 310 MB).
 */
import { idleScenario } from "./run-idle.ts";
import { requestReplyScenario } from "./run-request-reply.ts";
import { throughputScenario } from "./run-throughput.ts";
import type { Scenario } from "./scenario.ts";

export type Mode = "full" | "quick";

export interface Sizes {
  pub16: number;
  pub1k: number;
  pubsub16: number;
  pubsub1k: number;
  fanout16: number;
  queue16: number;
  reqWarmup: number;
  requests: number;
  idleConnections: number;
  idleHoldMs: number;
}

export const SIZES: Readonly<Record<Mode, Sizes>> = {
  full: { pub16: 3_000_000, pub1k: 300_000, pubsub16: 2_000_000, pubsub1k: 300_000, fanout16: 500_000, queue16: 1_000_000, reqWarmup: 300, requests: 2_000, idleConnections: 10_000, idleHoldMs: 3_000 },
  quick: { pub16: 200_000, pub1k: 30_000, pubsub16: 100_000, pubsub1k: 20_000, fanout16: 30_000, queue16: 60_000, reqWarmup: 100, requests: 300, idleConnections: 1_000, idleHoldMs: 500 },
};

const KIB = 1024;

export function buildScenarios(sizes: Sizes): Scenario[] {
  return [
    throughputScenario({ id: "pub-16", title: "publish-only 16 B", size: 16, count: sizes.pub16, subscribers: 0, queue: false }),
    throughputScenario({ id: "pub-1k", title: "publish-only 1 KiB", size: KIB, count: sizes.pub1k, subscribers: 0, queue: false }),
    throughputScenario({ id: "pubsub-16", title: "1 pub → 1 sub 16 B", size: 16, count: sizes.pubsub16, subscribers: 1, queue: false }),
    throughputScenario({ id: "pubsub-1k", title: "1 pub → 1 sub 1 KiB", size: KIB, count: sizes.pubsub1k, subscribers: 1, queue: false }),
    throughputScenario({ id: "fanout-4", title: "fan-out 1 → 4 16 B", size: 16, count: sizes.fanout16, subscribers: 4, queue: false }),
    throughputScenario({ id: "queue-4", title: "queue group of 4 16 B", size: 16, count: sizes.queue16, subscribers: 4, queue: true }),
    requestReplyScenario({ warmup: sizes.reqWarmup, count: sizes.requests, size: 16 }),
    idleScenario({ connections: sizes.idleConnections, batch: 250, holdMs: sizes.idleHoldMs }),
  ];
}

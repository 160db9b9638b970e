/**
 * Serial request/reply latency with the official client (`@nats-io/transport-node`): a
 * responder process and a requester process with one request outstanding at a time, as
 * `nats bench` request mode. Latency-bound by design, so it shows per-message overhead (both
 * event loops and the broker's read→route→flush turn), not throughput.
 */
import { remaining, type Measurement, type RunContext, type Scenario } from "./scenario.ts";
import { Worker } from "./worker.ts";

export interface RequestReplySpec {
  warmup: number;
  count: number;
  size: number;
}

export function requestReplyScenario(spec: RequestReplySpec): Scenario {
  return {
    id: "req-rep",
    title: "request/reply (official client)",
    description: `${spec.count.toLocaleString("en-US")} serial requests of ${spec.size} B after ${spec.warmup} warm-up, @nats-io/transport-node on both sides, separate processes.`,
    metrics: [
      { key: "p50Us", label: "latency p50", unit: "µs", better: "lower" },
      { key: "p99Us", label: "latency p99", unit: "µs", better: "lower" },
    ],
    run: (ctx) => runRequestReply(spec, ctx),
  };
}

async function runRequestReply(spec: RequestReplySpec, ctx: RunContext): Promise<Measurement> {
  const subject = "bench.req";
  let responder: Worker | undefined;
  let requester: Worker | undefined;
  try {
    responder = Worker.start(ctx.root, "responder", { port: ctx.server.port, subject });
    await responder.next("ready", remaining(ctx));
    requester = Worker.start(ctx.root, "requester", { port: ctx.server.port, subject, warmup: spec.warmup, count: spec.count, size: spec.size });
    const r = await requester.next("latency", remaining(ctx));
    if (r.count !== spec.count) throw new Error(`requester completed ${r.count} of ${spec.count} requests`);
    return {
      metrics: { p50Us: r.p50Us, p99Us: r.p99Us },
      details: { p90Us: r.p90Us, meanUs: r.meanUs, maxUs: r.maxUs, requestsPerSec: 1e6 / r.meanUs },
    };
  } finally {
    responder?.send({ type: "stop" });
    requester?.kill();
    setTimeout(() => responder?.kill(), 500).unref();
  }
}

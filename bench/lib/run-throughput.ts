/**
 * Throughput scenarios driven by the raw load processes: publish-only, 1→1, fan-out and
 * queue group. The subscriber process subscribes first and says "ready"; then the publisher
 * process writes its batch. Rates follow `nats bench`: a subscriber's rate is its messages
 * over its first-to-last message time; a group's uses the earliest first and latest last.
 * Publish-only is measured from the publisher's first write to the PONG after its last PUB.
 */
import type { ReceivedReport } from "../load/messages.ts";
import { remaining, type Measurement, type MetricSpec, type RunContext, type Scenario } from "./scenario.ts";
import { Worker } from "./worker.ts";

export interface ThroughputSpec {
  id: string;
  title: string;
  /** Payload bytes. */
  size: number;
  /** Messages published. */
  count: number;
  /** Subscriber connections (0 = publish-only). */
  subscribers: number;
  /** Subscribers form one queue group instead of each getting every message. */
  queue: boolean;
}

const NS_PER_S = 1e9;

export function throughputScenario(spec: ThroughputSpec): Scenario {
  const metric: MetricSpec =
    spec.subscribers === 0
      ? { key: "rate", label: "publish rate", unit: "msgs/s", better: "higher" }
      : { key: "rate", label: "delivery rate", unit: "msgs/s", better: "higher" };
  const what =
    spec.subscribers === 0
      ? "publisher start → PONG after the last PUB"
      : spec.queue
        ? `all ${spec.subscribers} queue members, earliest first → latest last message`
        : spec.subscribers === 1
          ? "subscriber first → last message"
          : `sum over ${spec.subscribers} subscribers, earliest first → latest last message`;
  return {
    id: spec.id,
    title: spec.title,
    description: `${spec.count.toLocaleString("en-US")} × ${spec.size} B; rate = ${what}.`,
    metrics: [metric],
    run: (ctx) => runThroughput(spec, ctx),
  };
}

async function runThroughput(spec: ThroughputSpec, ctx: RunContext): Promise<Measurement> {
  const { root, server } = ctx;
  const subject = `bench.${spec.id}`;
  let subscriber: Worker | undefined;
  let publisher: Worker | undefined;
  try {
    if (spec.subscribers > 0) {
      const config: Record<string, unknown> = { port: server.port, subject, connections: spec.subscribers, count: spec.count };
      if (spec.queue) config["queue"] = "bench-q";
      subscriber = Worker.start(root, "subscriber", config);
      await subscriber.next("ready", remaining(ctx));
    }
    publisher = Worker.start(root, "publisher", { port: server.port, subject, size: spec.size, count: spec.count });
    const published = await publisher.next("published", remaining(ctx));
    if (published.count !== spec.count) throw new Error(`publisher sent ${published.count} of ${spec.count}`);
    const pubSeconds = (published.pongNs - published.startNs) / NS_PER_S;
    const pubRate = spec.count / pubSeconds;
    if (subscriber === undefined) {
      return {
        metrics: { rate: pubRate },
        details: { pubSeconds, megabytesPerSec: published.bytes / pubSeconds / 1e6, writeSeconds: (published.lastWriteNs - published.startNs) / NS_PER_S, pubCpuSec: published.cpuSec },
      };
    }
    const received = await awaitReceived(subscriber, spec, ctx);
    verify(received, spec);
    const delivery = deliveredRate(received);
    return {
      metrics: { rate: delivery.rate },
      details: { pubRate, pubSeconds, pubCpuSec: published.cpuSec, subSeconds: delivery.seconds, subCpuSec: received.cpuSec, ...memberShares(received, spec) },
    };
  } finally {
    subscriber?.send({ type: "stop" });
    publisher?.kill();
    // Give "stop" a moment, then make sure: the server is stopped right after this.
    setTimeout(() => subscriber?.kill(), 500).unref();
  }
}

/** Waits for the complete tally; on a timeout asks for the partial one so the error says how far it got. */
async function awaitReceived(subscriber: Worker, spec: ThroughputSpec, ctx: RunContext): Promise<ReceivedReport> {
  try {
    return await subscriber.next("received", remaining(ctx));
  } catch (err) {
    subscriber.send({ type: "report" });
    const partial = await subscriber.next("received", 2_000).catch(() => undefined);
    const got = partial === undefined ? "unknown" : partial.connections.map((c) => c.count.toLocaleString("en-US")).join(" + ");
    const expected = spec.queue ? spec.count : spec.count * spec.subscribers;
    throw new Error(`${(err as Error).message}; received ${got} of ${expected.toLocaleString("en-US")} expected`);
  }
}

/** Every message arrived, in order on each plain subscription, exactly once in a queue group. */
function verify(r: ReceivedReport, spec: ThroughputSpec): void {
  if (!r.complete) throw new Error("subscriber reported before receiving everything");
  if (r.connections.length !== spec.subscribers) throw new Error(`expected ${spec.subscribers} subscriber tallies, got ${r.connections.length}`);
  if (spec.queue) {
    const total = r.connections.reduce((s, c) => s + c.count, 0);
    if (total !== spec.count || r.duplicates !== 0 || r.missing !== 0) {
      throw new Error(`queue group: ${total} delivered for ${spec.count} published, ${r.duplicates} duplicates, ${r.missing} missing`);
    }
    return;
  }
  r.connections.forEach((c, i) => {
    if (c.count !== spec.count) throw new Error(`subscriber ${i}: ${c.count} messages, expected ${spec.count}`);
    if (c.outOfOrder !== 0) throw new Error(`subscriber ${i}: ${c.outOfOrder} messages out of sequence`);
  });
}

function deliveredRate(r: ReceivedReport): { rate: number; seconds: number } {
  let total = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const c of r.connections) {
    total += c.count;
    if (c.firstNs > 0) first = Math.min(first, c.firstNs);
    last = Math.max(last, c.lastNs);
  }
  const seconds = (last - first) / NS_PER_S;
  if (!(seconds > 0)) throw new Error("all messages arrived in a single read: the count is too small to time");
  return { rate: total / seconds, seconds };
}

/** How evenly a queue group shared the work (fractions of all messages); nothing for plain subs. */
function memberShares(r: ReceivedReport, spec: ThroughputSpec): Record<string, number> {
  if (!spec.queue) return {};
  const shares = r.connections.map((c) => c.count / spec.count);
  return { minMemberShare: Math.min(...shares), maxMemberShare: Math.max(...shares) };
}

/** Shared pieces of the message-trace tests: reading trace events as a client receives them. */
import type { TestContext } from "node:test";
import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";

/** One step of a trace event, as nats-server's JSON has it (only the fields the tests read). */
export interface TraceStep {
  type: "in" | "sm" | "si" | "se" | "js" | "eg";
  ts: string;
  kind?: number;
  cid?: number;
  name?: string;
  acc?: string;
  subj?: string;
  sub?: string;
  queue?: string;
  hop?: string;
  to?: string;
  from?: string;
  error?: string;
}

/** A trace event: what one server did with one traced message. */
export interface TraceEvent {
  server: { name: string; id: string; host: string; ver: string; seq: number; time: string };
  request: { header: Record<string, string[]>; msgsize: number };
  hops?: number;
  events: TraceStep[];
}

export async function client(t: TestContext, url: string, options: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false, ...options });
  t.after(() => nc.close());
  return nc;
}

/**
 * Subscribes `nc` to `dest` now; the returned function waits for `n` events (rejecting after
 * `ms`), then a little longer so that a surplus one would be seen too.
 */
export async function traces(nc: NatsConnection, dest: string): Promise<(n: number, ms?: number) => Promise<TraceEvent[]>> {
  const got: TraceEvent[] = [];
  const sub = nc.subscribe(dest, { callback: (_err, msg) => void got.push(msg.json<TraceEvent>()) });
  await nc.flush();
  return async (n, ms = 3000) => {
    const deadline = Date.now() + ms;
    while (got.length < n) {
      if (Date.now() > deadline) throw new Error(`${got.length} of ${n} trace events on ${dest}: ${JSON.stringify(got)}`);
      await sleep(5);
    }
    await sleep(50);
    sub.unsubscribe();
    return got;
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The steps of `event` of one type. */
export function steps(event: TraceEvent, type: TraceStep["type"]): TraceStep[] {
  return event.events.filter((e) => e.type === type);
}

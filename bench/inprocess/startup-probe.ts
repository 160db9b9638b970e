/**
 * Start-up for a test: from nothing to a first request/reply through a real broker.
 *
 *   in-process   `createServer()` + `server.connect()` (the official client over a pipe) +
 *                subscribe + first `nc.request()`
 *   nats-server  spawn `nats-server -a 127.0.0.1 -p -1`, wait for its "Server is ready" line,
 *                connect the official client over loopback TCP, subscribe + first `nc.request()`
 *
 * Each iteration is timed from the first call to the reply; tearing down (client close, server
 * close or kill) happens after the clock stops and before the next iteration. The median of the
 * iterations is the metric; the first iteration (cold: modules loaded, code not yet optimised)
 * is kept as a detail.
 *
 * The loop's broker is imported before the clock starts, so it shows what each further test in
 * a process pays. What the first test of a run pays, import included, only a fresh process
 * shows: after the loop, `freshIterations` fresh plain Node processes (fresh-startup.ts) do the
 * same from before the first import, and their median is the second metric.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { loadBroker } from "./broker.ts";
import { median } from "../lib/stats.ts";
import { freshStartup } from "./fresh-startup.ts";
import { spawnNatsServer } from "./nats-server.ts";
import { nowNs, percentile, type ProbeResult, type StartupConfig } from "./protocol.ts";

const SUBJECT = "bench.startup";
const TIMEOUT_MS = 5_000;

/** Subscribes an echo responder and does the first round trip on the same connection. */
async function firstRoundTrip(nc: NatsConnection, payload: Uint8Array): Promise<void> {
  nc.subscribe(SUBJECT, { callback: (_err, msg) => void msg.respond(msg.data) });
  const reply = await nc.request(SUBJECT, payload, { timeout: TIMEOUT_MS });
  if (reply.data.length !== payload.length) throw new Error(`reply of ${reply.data.length} bytes, expected ${payload.length}`);
}

export async function runStartup(config: StartupConfig): Promise<ProbeResult> {
  const payload = new Uint8Array(config.payloadSize).fill(120);
  const totalMs = new Float64Array(config.iterations);
  const connectedMs = new Float64Array(config.iterations);
  const broker = config.contender === "in-process" ? await loadBroker(config.root) : undefined;

  for (let i = 0; i < config.iterations; i++) {
    if (broker !== undefined) {
      const t0 = nowNs();
      const server = broker.createServer();
      const nc = await server.connect();
      connectedMs[i] = (nowNs() - t0) / 1e6;
      await firstRoundTrip(nc, payload);
      totalMs[i] = (nowNs() - t0) / 1e6;
      await nc.close();
      await server.close();
    } else {
      const t0 = nowNs();
      const server = await spawnNatsServer();
      const nc = await connect({ servers: `127.0.0.1:${server.port}`, reconnect: false });
      connectedMs[i] = (nowNs() - t0) / 1e6;
      await firstRoundTrip(nc, payload);
      totalMs[i] = (nowNs() - t0) / 1e6;
      await nc.close();
      await server.stop();
    }
  }

  const fresh: Record<string, number>[] = [];
  for (let i = 0; i < config.freshIterations; i++) fresh.push(await freshStartup(config.root, config.contender, config.payloadSize));
  const freshMedian = (key: string): number => median(fresh.map((r) => r[key]!))!;

  const first = totalMs[0]!;
  const sorted = totalMs.slice().sort();
  const connected = connectedMs.slice().sort();
  return {
    type: "result",
    metrics: { medianMs: median([...sorted])!, freshMs: freshMedian("ms") },
    details: {
      iterations: config.iterations,
      firstMs: first,
      p10Ms: percentile(sorted, 10),
      p90Ms: percentile(sorted, 90),
      maxMs: sorted[sorted.length - 1]!,
      // Until the client is connected (nats-server: spawn, ready line, TCP connect), median.
      connectedMedianMs: median([...connected])!,
      freshIterations: config.freshIterations,
      // Fresh process: time since the process started at the reply (Node's own start-up
      // included), and RSS then.
      freshAtMs: freshMedian("atMs"),
      freshRssMB: freshMedian("rss") / 1e6,
    },
  };
}

/**
 * Serial request/reply round trips, one path per process, requester and responder in the same
 * process (as in a test or a service calling itself):
 *
 *   direct       `server.request()` → a `server.subscribe()` responder: no protocol bytes at all
 *   connect      the official client (`@nats-io/transport-node`) on both sides, each connected
 *                with `server.connect()` over an in-memory pipe
 *   nats-server  the official client on both sides, connected over loopback TCP to Debian's
 *                nats-server (spawned by this probe)
 *
 * One request outstanding at a time; each is timed from the call to the resolved reply.
 * Rate = round trips / time over the measured window, after a warm-up window.
 */
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { loadBroker } from "./broker.ts";
import { spawnNatsServer } from "./nats-server.ts";
import { nowNs, percentile, type ProbeResult, type RequestConfig } from "./protocol.ts";

const SUBJECT = "bench.rr";
const TIMEOUT_MS = 5_000;

interface Path {
  /** One round trip; resolves with the reply's payload length. */
  request: () => Promise<number>;
  close: () => Promise<void>;
}

async function direct(config: RequestConfig, payload: Uint8Array): Promise<Path> {
  const { createServer } = await loadBroker(config.root);
  const server = createServer();
  server.subscribe(SUBJECT, { callback: (_err, msg) => void msg.respond(msg.data) });
  return {
    request: async () => (await server.request(SUBJECT, payload, { timeout: TIMEOUT_MS })).data.length,
    close: () => server.close(),
  };
}

/** The official client on both sides: `requester` asks, `responder` echoes. */
async function officialClientPath(responder: NatsConnection, requester: NatsConnection, payload: Uint8Array, close: () => Promise<void>): Promise<Path> {
  responder.subscribe(SUBJECT, { callback: (_err, msg) => void msg.respond(msg.data) });
  // flush() is a PING/PONG: the subscription is registered before the first request.
  await responder.flush();
  return {
    request: async () => (await requester.request(SUBJECT, payload, { timeout: TIMEOUT_MS })).data.length,
    close,
  };
}

async function viaConnect(config: RequestConfig, payload: Uint8Array): Promise<Path> {
  const { createServer } = await loadBroker(config.root);
  const server = createServer();
  const responder = await server.connect({ name: "bench-responder" });
  const requester = await server.connect({ name: "bench-requester" });
  return officialClientPath(responder, requester, payload, async () => {
    await requester.close();
    await responder.close();
    await server.close();
  });
}

async function viaNatsServer(payload: Uint8Array): Promise<Path> {
  const server = await spawnNatsServer();
  const servers = `127.0.0.1:${server.port}`;
  const responder = await connect({ servers, name: "bench-responder", reconnect: false });
  const requester = await connect({ servers, name: "bench-requester", reconnect: false });
  return officialClientPath(responder, requester, payload, async () => {
    await requester.close();
    await responder.close();
    await server.stop();
  });
}

export async function runRequest(config: RequestConfig): Promise<ProbeResult> {
  const payload = new Uint8Array(config.payloadSize).fill(120);
  const path =
    config.contender === "direct"
      ? await direct(config, payload)
      : config.contender === "connect"
        ? await viaConnect(config, payload)
        : await viaNatsServer(payload);
  const check = (length: number): void => {
    // The responder echoes the payload: a wrong length means a wrong or mangled reply.
    if (length !== payload.length) throw new Error(`${config.contender}: reply of ${length} bytes, expected ${payload.length}`);
  };

  const warmEnd = nowNs() + config.warmupMs * 1e6;
  let warmups = 0;
  while (nowNs() < warmEnd || warmups < 100) {
    check(await path.request());
    warmups++;
  }

  const latenciesUs = new Float64Array(config.maxRequests);
  const limitNs = config.measureMs * 1e6;
  let count = 0;
  const t0 = nowNs();
  let t = t0;
  while (count < config.maxRequests && t - t0 < limitNs) {
    const start = t;
    check(await path.request());
    t = nowNs();
    latenciesUs[count++] = (t - start) / 1000;
  }
  const seconds = (t - t0) / 1e9;
  await path.close();

  const sorted = latenciesUs.subarray(0, count).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    type: "result",
    metrics: { rate: count / seconds, p50Us: percentile(sorted, 50), p99Us: percentile(sorted, 99) },
    details: { count, seconds, warmups, p90Us: percentile(sorted, 90), meanUs: sum / count, maxUs: sorted[count - 1]! },
  };
}

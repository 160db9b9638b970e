/**
 * Requester role: serial requests with the official client, one outstanding at a time, so
 * each sample is one full round trip requester → broker → responder → broker → requester.
 * The warm-up lets both Node processes (and our broker) JIT the path before timing starts.
 *
 *   node --import tsx bench/load/requester.ts '{"port":4222,"subject":"bench.req","warmup":200,"count":2000,"size":16}'
 */
import { connect } from "@nats-io/transport-node";
import { nowNs, numberField, readConfig, report, runRole, stringField } from "./messages.ts";

const REQUEST_TIMEOUT_MS = 5_000;

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

runRole(async () => {
  const config = readConfig();
  const port = numberField(config, "port");
  const subject = stringField(config, "subject");
  const warmup = numberField(config, "warmup");
  const count = numberField(config, "count");
  const payload = new Uint8Array(numberField(config, "size")).fill(120);

  const nc = await connect({ servers: `127.0.0.1:${port}`, name: "bench-requester", reconnect: false });
  const check = (data: Uint8Array, i: number): void => {
    // The responder echoes the payload: a wrong length means a wrong or mangled reply.
    if (data.length !== payload.length) throw new Error(`request ${i}: reply of ${data.length} bytes, expected ${payload.length}`);
  };
  for (let i = 0; i < warmup; i++) check((await nc.request(subject, payload, { timeout: REQUEST_TIMEOUT_MS })).data, i);

  const latenciesUs = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = nowNs();
    const reply = await nc.request(subject, payload, { timeout: REQUEST_TIMEOUT_MS });
    latenciesUs[i] = (nowNs() - t0) / 1000;
    check(reply.data, i);
  }
  await nc.close();

  let sum = 0;
  for (const v of latenciesUs) sum += v;
  latenciesUs.sort();
  report({
    type: "latency",
    count,
    p50Us: percentile(latenciesUs, 50),
    p90Us: percentile(latenciesUs, 90),
    p99Us: percentile(latenciesUs, 99),
    meanUs: sum / count,
    maxUs: latenciesUs[count - 1]!,
  });
  process.disconnect?.();
});

/**
 * Wall-clock nanoseconds, as nats-server stamps messages (time.Now().UnixNano()). The epoch
 * offset is taken once and the monotonic clock added to it, so stamps never go backwards
 * within a process and keep nanosecond resolution (Date.now() alone has milliseconds).
 */
const epochOffsetNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNs(): bigint {
  return epochOffsetNs + process.hrtime.bigint();
}

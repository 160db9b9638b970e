/**
 * The JetStream API level this broker answers for: nats-server 2.14's `JSApiLevel`
 * (server/jetstream_versioning.go). Clients gate features on it, read from INFO's `api_lvl` and
 * `$JS.API.INFO`'s `api.level` (@nats-io/obj needs 4 for `allowBatched`), and publishers may
 * demand it with `Nats-Required-Api-Level`.
 */
export const JS_API_LEVEL = 4;

/** `Nats-Required-Api-Level` this broker cannot meet (jetstream_versioning.go `errorOnRequiredApiLevel`). */
export function requiresHigherApiLevel(value: string): boolean {
  if (!/^[+-]?\d+$/.test(value)) return true;
  return Number(value) > JS_API_LEVEL;
}

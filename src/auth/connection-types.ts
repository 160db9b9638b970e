/**
 * `allowed_connection_types`: which kinds of connection a user may come in over, for users in
 * the config file and in user JWTs alike (nats-server client.go `convertAllowedConnectionTypes`,
 * `connectionTypeAllowed`).
 */

/** The connection types nats-server knows (jwt `ConnectionType*`). */
export const CONNECTION_TYPES: ReadonlySet<string> = new Set(["STANDARD", "WEBSOCKET", "LEAFNODE", "LEAFNODE_WS", "MQTT", "MQTT_WS", "IN_PROCESS"]);

/** A list as written, upper-cased and split into the known types and the unknown ones. */
export function parseConnectionTypes(list: readonly string[]): { allowed: Set<string>; unknown: string[] } {
  const allowed = new Set<string>();
  const unknown: string[] = [];
  for (const item of list) {
    const type = item.toUpperCase();
    if (CONNECTION_TYPES.has(type)) allowed.add(type);
    else unknown.push(type);
  }
  return { allowed, unknown };
}

/**
 * The connection type of a transport: a TCP (or host-handled) stream is STANDARD, the
 * in-process client of `server.connect()` IN_PROCESS (nats-server's in-process connections),
 * a leaf link LEAFNODE.
 */
export function connectionTypeOf(transport: string): string {
  switch (transport) {
    case "websocket":
      return "WEBSOCKET";
    case "memory":
      return "IN_PROCESS";
    case "leafnode":
      return "LEAFNODE";
    default:
      return "STANDARD";
  }
}

/**
 * Whether a user restricted to `types` may connect over `transport`. No list, or an empty one,
 * allows every type. A list whose types are all unknown to the server allows none (nats-server:
 * the admin meant to allow only those).
 */
export function connectionTypeAllowed(types: readonly string[] | undefined, transport: string): boolean {
  if (types === undefined || types.length === 0) return true;
  const { allowed } = parseConnectionTypes(types);
  return allowed.has(connectionTypeOf(transport));
}

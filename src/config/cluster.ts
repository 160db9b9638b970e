/**
 * The `cluster { }` block (opts.go parseCluster) mapped onto the `cluster` option: `name`,
 * `listen`/`host`/`port`, `routes`, `authorization { user, password, timeout }`,
 * `no_advertise`, `advertise` (or `cluster_advertise`), `connect_retries`, `tls`,
 * `permissions { import, export }`, and `pool_size` (routes are never pooled: -1 is taken as
 * it is, any other size with a warning). Keys for what we do not have yet (pinned accounts,
 * compression) are warnings.
 */
import type { ClusterOptions } from "../route/options.ts";
import { boolean, collect, integer, nested, nonEmptyString, problem, secondsOrDuration, wrongType } from "./checks.ts";
import { ConfigError, type ConfigProblem } from "./config-error.ts";
import { subjectPermission, tlsBlock } from "./security.ts";
import { formatPosition, type ConfigEntry, type ConfigValue } from "./value.ts";

const CLUSTER_IGNORED = new Set([
  "accounts",
  "compression",
  "ping_interval",
  "ping_max",
  "write_deadline",
]);

/** `cluster { }`. */
export function clusterBlock(entry: ConfigEntry, warnings: string[]): ClusterOptions {
  if (entry.value.kind !== "map") throw wrongType(entry, "a block");
  const out: Partial<ClusterOptions> = {};
  const problems: ConfigProblem[] = [];
  for (const sub of entry.value.entries.values()) {
    const at = nested(sub, `cluster.${sub.key}`);
    collect(problems, () => {
      const name = sub.key.toLowerCase();
      switch (name) {
        case "name":
          out.name = nonEmptyString(at);
          return;
        case "listen": {
          const { host, port } = hostPort(at);
          if (host !== "") out.host = host;
          out.port = port === -1 ? 0 : port;
          return;
        }
        case "port": {
          const port = integer(at);
          out.port = port === -1 ? 0 : port;
          return;
        }
        case "host":
        case "net":
          out.host = nonEmptyString(at);
          return;
        case "routes":
          out.routes = strings(at);
          return;
        case "no_advertise":
          out.noAdvertise = boolean(at);
          return;
        // opts.go parseCluster: both spellings set Cluster.Advertise.
        case "advertise":
        case "cluster_advertise":
          out.advertise = nonEmptyString(at);
          return;
        case "connect_retries":
          out.connectRetries = integer(at);
          return;
        case "pool_size": {
          // Our routes are never pooled: one route per peer carries every account, which is
          // what nats-server's pool_size -1 means (and what a 2.10+ peer falls back to with a
          // server whose INFO has no route_pool_size). Any other size is taken, and said so.
          const size = integer(at);
          if (size !== -1) {
            warnings.push(
              `${formatPosition(at.keyPos)}: "pool_size" ${size} in "cluster": routes are not pooled here, one route per server carries every account (as pool_size: -1); ignored`,
            );
          }
          return;
        }
        case "authorization":
          out.authorization = authorization(at);
          return;
        case "permissions":
          out.permissions = permissions(at);
          return;
        case "tls": {
          const { cert, key, ca, certFile, keyFile, caFile, verify, timeout } = tlsBlock(at, warnings);
          out.tls = { cert, key, ca, certFile, keyFile, caFile, verify, timeout };
          for (const k of Object.keys(out.tls) as (keyof typeof out.tls)[]) if (out.tls[k] === undefined) delete out.tls[k];
          return;
        }
      }
      if (CLUSTER_IGNORED.has(name)) {
        warnings.push(`${formatPosition(at.keyPos)}: ${JSON.stringify(sub.key)} in "cluster" is not supported yet; ignored`);
        return;
      }
      if (!sub.usedAsVariable) throw problem(at, `unknown field ${JSON.stringify(sub.key)}`);
    });
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  // nats-server's default route port.
  return { ...out, port: out.port ?? 6222 };
}

function authorization(at: ConfigEntry): NonNullable<ClusterOptions["authorization"]> {
  if (at.value.kind !== "map") throw wrongType(at, "a block");
  let user: string | undefined;
  let password: string | undefined;
  let timeout: number | undefined;
  for (const sub of at.value.entries.values()) {
    const e = nested(sub, `${at.key}.${sub.key}`);
    const name = sub.key.toLowerCase();
    if (name === "user" || name === "username") user = nonEmptyString(e);
    else if (name === "password" || name === "pass") password = nonEmptyString(e);
    else if (name === "timeout") {
      const ms = secondsOrDuration(e);
      if (ms !== undefined) timeout = ms / 1000;
    } else if (!sub.usedAsVariable) throw problem(e, `unknown field ${JSON.stringify(sub.key)} (route authorization takes user, password and timeout)`);
  }
  if (user === undefined || password === undefined) throw problem(at, "route authorization needs a user and a password");
  return { user, password, ...(timeout !== undefined && { timeout }) };
}

/** opts.go parseRoutePermissions: `import` and `export`, each a list or `{ allow, deny }`. */
function permissions(at: ConfigEntry): NonNullable<ClusterOptions["permissions"]> {
  if (at.value.kind !== "map") throw wrongType(at, "a block");
  const out: NonNullable<ClusterOptions["permissions"]> = {};
  for (const sub of at.value.entries.values()) {
    const e = nested(sub, `${at.key}.${sub.key}`);
    const name = sub.key.toLowerCase();
    if (name === "import" || name === "export") {
      const p = subjectPermission(e, false);
      if (p !== undefined) out[name] = p;
    } else if (!sub.usedAsVariable) throw problem(e, `unknown field ${JSON.stringify(sub.key)} (route permissions take import and export)`);
  }
  return out;
}

function hostPort(at: ConfigEntry): { host: string; port: number } {
  const v = at.value;
  if (v.kind === "integer") return { host: "", port: v.value };
  if (v.kind !== "string") throw wrongType(at, 'a port or "host:port"');
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(-?\d+)$/.exec(v.value);
  if (m === null) throw problem(at, `could not parse address string ${JSON.stringify(v.value)}`);
  return { host: m[1] ?? m[2] ?? "", port: Number(m[3]) };
}

function strings(at: ConfigEntry): string[] {
  const v = at.value;
  const items: ConfigValue[] = v.kind === "array" ? v.items : [v];
  return items.map((item) => {
    if (item.kind !== "string") throw wrongType(at, "a string or an array of strings");
    return item.value;
  });
}

/**
 * The `leafnodes { }` block (opts.go parseLeafNodes, parseRemoteLeafNodes) mapped onto the
 * `leafnodes` option: `listen`/`port`/`host`, `authorization` (with `account`, and users with
 * theirs), `tls`, `reconnect`, and `remotes` with `url`/`urls`, `account`, `credentials`,
 * `nkey`, `tls`, `deny_imports`/`deny_exports`. Keys for features we do not have (compression,
 * websocket remotes) are warnings. The accounts named are returned with where they were
 * written, for the check that each exists once the whole file is read.
 */
import type { LeafAuthorization, LeafNodeOptions, LeafRemoteOptions, LeafRemoteTls } from "../leafnode/options.ts";
import { boolean, collect, integer, itemEntry, nested, nonEmptyString, problem, wrongType } from "./checks.ts";
import { ConfigError, type ConfigProblem } from "./config-error.ts";
import { parseGoDuration } from "./duration.ts";
import { authorizationBlock, tlsBlock } from "./security.ts";
import { formatPosition, type ConfigEntry, type ConfigValue } from "./value.ts";

const LEAF_IGNORED = new Set(["advertise", "no_advertise", "compression", "min_version", "isolate_leafnode_interest", "write_deadline", "tls_handshake_first"]);
const REMOTE_IGNORED = new Set(["hub", "compression", "ws_compression", "ws_no_masking", "no_randomize", "dont_randomize", "first_info_timeout", "signature_handler", "proxy"]);

/** An account a `leafnodes` block names, and where (for leafnode.go validateLeafNode's check). */
export interface LeafAccountRef {
  readonly name: string;
  readonly entry: ConfigEntry;
  /** `remote` or `authorization`, as nats-server's message says. */
  readonly role: "remote" | "authorization";
}

/** `leafnodes { }`. Undefined when it asks for neither a port nor a remote. */
export function leafnodesBlock(entry: ConfigEntry, warnings: string[], accounts: LeafAccountRef[] = []): LeafNodeOptions | undefined {
  if (entry.value.kind !== "map") throw wrongType(entry, "a block");
  const out: LeafNodeOptions = {};
  const problems: ConfigProblem[] = [];
  let reconnect: number | undefined;
  for (const sub of entry.value.entries.values()) {
    const at = nested(sub, `leafnodes.${sub.key}`);
    collect(problems, () => {
      const name = sub.key.toLowerCase();
      switch (name) {
        case "listen": {
          const { host, port } = hostPort(at);
          if (host !== "") out.host = host;
          setPort(out, at, port);
          return;
        }
        case "port":
          setPort(out, at, integer(at));
          return;
        case "host":
        case "net":
          out.host = nonEmptyString(at);
          return;
        case "authorization":
          out.authorization = leafAuthorizationBlock(at, warnings, accounts);
          return;
        case "tls":
          out.tls = tlsBlock(at, warnings);
          return;
        case "reconnect":
        case "reconnect_delay":
        case "reconnect_interval":
          reconnect = durationMs(at);
          return;
        case "remotes":
          out.remotes = remotes(at, warnings, accounts);
          return;
      }
      if (LEAF_IGNORED.has(name)) {
        warnings.push(`${formatPosition(at.keyPos)}: ${JSON.stringify(sub.key)} in "leafnodes" is not supported yet; ignored`);
        return;
      }
      if (!sub.usedAsVariable) throw problem(at, `unknown field ${JSON.stringify(sub.key)}`);
    });
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  if (reconnect !== undefined) for (const r of out.remotes ?? []) r.reconnectDelay ??= reconnect;
  if (out.port === undefined && (out.remotes ?? []).length === 0) return undefined;
  return out;
}

/** nats-server: -1 a random port, 0 no leaf port. */
function setPort(out: LeafNodeOptions, at: ConfigEntry, port: number): void {
  if (port < -1 || port > 65535) throw problem(at, `${JSON.stringify(at.key)} must be a port between -1 and 65535, got ${port}`);
  if (port === 0) delete out.port;
  else out.port = port === -1 ? 0 : port;
}

function hostPort(at: ConfigEntry): { host: string; port: number } {
  const v = at.value;
  if (v.kind === "integer") return { host: "", port: v.value };
  if (v.kind !== "string") throw wrongType(at, 'a port or "host:port"');
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(-?\d+)$/.exec(v.value);
  if (m === null) throw problem(at, `could not parse address string ${JSON.stringify(v.value)}`);
  return { host: m[1] ?? m[2] ?? "", port: Number(m[3]) };
}

/** A duration string (`"2s"`) or a number of seconds, in ms. */
function durationMs(at: ConfigEntry): number {
  const v = at.value;
  if (v.kind === "integer") return v.value * 1000;
  if (v.kind !== "string") throw wrongType(at, "a duration");
  let ms: number;
  try {
    ms = parseGoDuration(v.value);
  } catch (err) {
    throw problem(at, (err as Error).message);
  }
  if (ms <= 0) throw problem(at, `invalid duration ${JSON.stringify(v.value)}`);
  return Math.ceil(ms);
}

function remotes(at: ConfigEntry, warnings: string[], accounts: LeafAccountRef[]): LeafRemoteOptions[] {
  if (at.value.kind !== "array") throw wrongType(at, "an array of remotes");
  return at.value.items.map((item, i) => remote(itemEntry(item, `leafnodes.remotes[${i}]`), warnings, accounts));
}

/**
 * `authorization { }` of the leaf port (opts.go parseLeafAuthorization): the client block's
 * keys, plus `account` for the single user and for each of `users`. The accounts are taken
 * out before the client block's parser reads the rest, then put back on their users.
 */
function leafAuthorizationBlock(at: ConfigEntry, warnings: string[], accounts: LeafAccountRef[]): LeafAuthorization {
  if (at.value.kind !== "map") throw wrongType(at, "a block");
  let account: string | undefined;
  const userAccounts = new Map<number, string>();
  const entries = new Map<string, ConfigEntry>();
  for (const [key, sub] of at.value.entries) {
    const path = nested(sub, `${at.key}.${sub.key}`);
    if (key.toLowerCase() === "account") {
      account = nonEmptyString(path);
      accounts.push({ name: account, entry: path, role: "authorization" });
      continue;
    }
    if (key.toLowerCase() === "users" && sub.value.kind === "array") {
      const items = sub.value.items.map((item, i) => {
        if (item.kind !== "map") return item;
        const kept = new Map<string, ConfigEntry>();
        for (const [k, v] of item.entries) {
          if (k.toLowerCase() !== "account") {
            kept.set(k, v);
            continue;
          }
          const name = nonEmptyString(nested(v, `${path.key}[${i}].${k}`));
          userAccounts.set(i, name);
          accounts.push({ name, entry: nested(v, `${path.key}[${i}].${k}`), role: "authorization" });
        }
        return { ...item, entries: kept };
      });
      entries.set(key, { ...sub, value: { ...sub.value, items } });
      continue;
    }
    entries.set(key, sub);
  }
  const options: LeafAuthorization = authorizationBlock({ ...at, value: { ...at.value, entries } }, warnings).options;
  options.users?.forEach((user, i) => {
    const name = userAccounts.get(i);
    if (name !== undefined) user.account = name;
  });
  if (account !== undefined) options.account = account;
  return options;
}

function strings(at: ConfigEntry): string[] {
  const v = at.value;
  const items: ConfigValue[] = v.kind === "array" ? v.items : [v];
  return items.map((item) => {
    if (item.kind !== "string") throw wrongType(at, "a string or an array of strings");
    return item.value;
  });
}

function remote(entry: ConfigEntry, warnings: string[], accounts: LeafAccountRef[]): LeafRemoteOptions {
  if (entry.value.kind !== "map") throw wrongType(entry, "a block");
  const out: LeafRemoteOptions = { urls: [] };
  for (const sub of entry.value.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    const name = sub.key.toLowerCase();
    switch (name) {
      case "url":
      case "urls":
        out.urls.push(...strings(at));
        continue;
      case "account":
      case "local":
        out.account = nonEmptyString(at);
        accounts.push({ name: out.account, entry: at, role: "remote" });
        continue;
      case "credentials":
      case "creds":
        out.credentialsFile = nonEmptyString(at);
        continue;
      case "nkey":
      case "seed":
        out.nkeySeed = nonEmptyString(at);
        continue;
      case "tls":
        out.tls = remoteTls(at, warnings);
        continue;
      case "deny_imports":
      case "deny_import":
        out.denyImports = strings(at);
        continue;
      case "deny_exports":
      case "deny_export":
        out.denyExports = strings(at);
        continue;
      case "reconnect":
      case "reconnect_delay":
        out.reconnectDelay = durationMs(at);
        continue;
    }
    if (REMOTE_IGNORED.has(name)) {
      warnings.push(`${formatPosition(at.keyPos)}: ${JSON.stringify(sub.key)} in a leafnode remote is not supported yet; ignored`);
      continue;
    }
    if (!sub.usedAsVariable) throw problem(at, `unknown field ${JSON.stringify(sub.key)}`);
  }
  if (out.urls.length === 0) throw problem(entry, "a leafnode remote needs a url");
  return out;
}

function remoteTls(at: ConfigEntry, warnings: string[]): LeafRemoteTls | boolean {
  if (at.value.kind === "boolean") return boolean(at);
  const tls = tlsBlock(at, warnings);
  return {
    ...(tls.caFile !== undefined && { caFile: tls.caFile }),
    ...(tls.certFile !== undefined && { certFile: tls.certFile }),
    ...(tls.keyFile !== undefined && { keyFile: tls.keyFile }),
  };
}

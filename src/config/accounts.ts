/**
 * nats-server's `accounts { }` block (opts.go parseAccounts): each account with its `users`,
 * `exports` and `imports`. What cannot be checked one account at a time (an import of what the
 * other account does not export, cycles) is checked when the server builds its accounts, with
 * the same words.
 *
 * Keys we do not have yet are warnings where ignoring them lets in no one the file keeps out
 * (an account's the payload and leaf node limits) and refused otherwise.
 */
import type { AccountExport, AccountImport, AccountLimits, ServiceResponseType } from "../core/accounts.ts";
import type { Permissions } from "../core/permissions.ts";
import type { AccountOptions } from "../options/options.ts";
import type { AccountJetStreamOptions } from "../jetstream/jetstream-options.ts";
import { boolean, collect, durationString, integer, integerIn, itemEntry, nested, nonEmptyString, problem, string, wrongType } from "./checks.ts";
import { ConfigError, type ConfigProblem } from "./config-error.ts";
import { permissionsBlock, usersList } from "./security.ts";
import { mappingsBlock } from "./mappings.ts";
import { formatPosition, type ConfigEntry, type ConfigValue } from "./value.ts";

export interface MappedAccounts {
  readonly accounts: Record<string, AccountOptions>;
  /** Every user name and nkey of every account, for `no_auth_user`. */
  readonly userNames: ReadonlySet<string>;
}

export function accountsBlock(entry: ConfigEntry, warnings: string[], passwordless: string[]): MappedAccounts {
  if (entry.value.kind !== "map") throw wrongType(entry, "a block of accounts");
  const accounts: Record<string, AccountOptions> = {};
  const userNames = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const sub of entry.value.entries.values()) {
    const at = nested(sub, `accounts.${sub.key}`);
    collect(problems, () => {
      const account = accountBlock(at, warnings, passwordless);
      for (const user of account.users ?? []) {
        const id = user.nkey ?? user.user!;
        // opts.go: the same user in two accounts is an error.
        if (userNames.has(id)) throw problem(at, `duplicate user ${JSON.stringify(id)} detected`);
        userNames.add(id);
      }
      accounts[sub.key] = account;
    });
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  return { accounts, userNames };
}

function accountBlock(entry: ConfigEntry, warnings: string[], passwordless: string[]): AccountOptions {
  const out: AccountOptions = {};
  // nats-server accepts `A: {}` and an account with nothing in it.
  if (entry.value.kind !== "map") throw wrongType(entry, "a block with users, exports and imports");
  const problems: ConfigProblem[] = [];
  let defaults: Permissions | undefined;
  for (const sub of entry.value.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    collect(problems, () => {
      const name = sub.key.toLowerCase();
      if (name === "users") out.users = usersList(at, passwordless);
      else if (name === "default_permissions") defaults = permissionsBlock(at);
      else if (name === "exports") out.exports = list(at, exportEntry);
      else if (name === "imports") out.imports = list(at, importEntry);
      else if (name === "limits") out.limits = limitsBlock(at);
      else if (name === "jetstream" || name === "js") out.jetstream = accountJetStream(at, warnings);
      else if (name === "mappings" || name === "maps") out.mappings = mappingsBlock(at, warnings);
      else if (name === "msg_trace" || name === "trace_dest") out.msgTrace = msgTraceBlock(at);
      else if (!sub.usedAsVariable) throw problem(at, `unknown field ${JSON.stringify(sub.key)}`);
    });
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  // opts.go applyDefaultPermissions: the account's users without permissions of their own get these.
  if (defaults !== undefined) out.users = out.users?.map((u) => (u.permissions === undefined ? { ...u, permissions: defaults } : u));
  return out;
}

/** opts.go parseAccountLimits: connections, subscriptions, payload and leaf nodes. */
function limitsBlock(entry: ConfigEntry): AccountLimits {
  if (entry.value.kind !== "map") throw wrongType(entry, "a block of account limits");
  const out: AccountLimits = {};
  for (const sub of entry.value.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    switch (sub.key.toLowerCase()) {
      case "max_connections":
      case "max_conn":
        out.connections = integerIn(at, -1, 2 ** 31 - 1);
        break;
      case "max_subscriptions":
      case "max_subs":
        out.subscriptions = integerIn(at, -1, 2 ** 31 - 1);
        break;
      case "max_payload":
      case "max_pay":
        out.payload = integerIn(at, -1, 2 ** 31 - 1);
        break;
      case "max_leafnodes":
      case "max_leafs":
        out.leafNodes = integerIn(at, -1, 2 ** 31 - 1);
        break;
      default:
        if (!sub.usedAsVariable) throw problem(at, `Unknown field ${JSON.stringify(sub.key)} parsing account limits`);
    }
  }
  return out;
}

/**
 * opts.go parseJetStreamForAccount: `enabled`/`disabled`, a boolean, or a block of limits, each
 * under nats-server's names; sizes take suffixes (`1G`), -1 is no limit.
 */
function accountJetStream(entry: ConfigEntry, warnings: string[]): boolean | AccountJetStreamOptions {
  const value = entry.value;
  if (value.kind === "boolean") return value.value;
  if (value.kind === "string") {
    const word = value.value.toLowerCase();
    if (word === "enabled" || word === "enable") return true;
    if (word === "disabled" || word === "disable") return false;
    throw problem(entry, `Expected 'enabled' or 'disabled' for string value, got '${value.value}'`);
  }
  if (value.kind !== "map") throw wrongType(entry, "enabled, disabled or a block of JetStream limits");
  const out: AccountJetStreamOptions = {};
  const problems: ConfigProblem[] = [];
  const amount = (at: ConfigEntry): number => {
    const n = integer(at);
    if (n < -1) throw problem(at, `Expected a parseable size for ${JSON.stringify(at.key)}, got ${n}`);
    return n;
  };
  for (const sub of value.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    collect(problems, () => {
      switch (sub.key.toLowerCase()) {
        case "max_memory":
        case "max_mem":
        case "mem":
        case "memory":
          out.maxMemory = amount(at);
          break;
        case "max_store":
        case "max_file":
        case "max_disk":
        case "store":
        case "disk":
          out.maxStore = amount(at);
          break;
        case "max_streams":
        case "streams":
          out.maxStreams = amount(at);
          break;
        case "max_consumers":
        case "consumers":
          out.maxConsumers = amount(at);
          break;
        case "max_bytes_required":
        case "max_stream_bytes":
        case "max_bytes":
          out.maxBytesRequired = boolean(at);
          break;
        case "mem_max_stream_bytes":
        case "memory_max_stream_bytes":
          out.memoryMaxStreamBytes = amount(at);
          break;
        case "disk_max_stream_bytes":
        case "store_max_stream_bytes":
          out.storeMaxStreamBytes = amount(at);
          break;
        case "max_ack_pending":
        case "cluster_traffic":
          warnings.push(`${formatPosition(sub.keyPos)}: account JetStream ${JSON.stringify(sub.key)} is not supported yet; ignored`);
          break;
        default:
          if (!sub.usedAsVariable) throw problem(at, `unknown field ${JSON.stringify(sub.key)}`);
      }
    });
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  return out;
}

/** opts.go parseMsgTrace: a destination subject, or `{ dest, sampling }` (a number or `"N%"`). */
function msgTraceBlock(entry: ConfigEntry): string | { dest: string; sampling?: number } {
  if (entry.value.kind === "string") return entry.value.value;
  if (entry.value.kind !== "map") throw wrongType(entry, "a trace destination or { dest, sampling }");
  let dest: string | undefined;
  let sampling: number | undefined;
  for (const sub of entry.value.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    const name = sub.key.toLowerCase();
    if (name === "dest") dest = nonEmptyString(at);
    else if (name === "sampling") {
      const value = at.value;
      const n = value.kind === "integer" ? value.value : value.kind === "string" ? Number(value.value.replace(/%$/, "")) : Number.NaN;
      if (!Number.isInteger(n)) throw problem(at, `Trace destination sampling value ${JSON.stringify(String(value.kind === "string" || value.kind === "integer" ? value.value : ""))} is invalid`);
      sampling = n;
    } else if (!sub.usedAsVariable) throw problem(at, `unknown field ${JSON.stringify(sub.key)}`);
  }
  if (dest === undefined) throw problem(entry, "a trace destination needs dest");
  return sampling === undefined ? { dest } : { dest, sampling };
}

function list<T>(entry: ConfigEntry, item: (value: ConfigValue, path: string) => T): T[] {
  if (entry.value.kind !== "array") throw wrongType(entry, "an array");
  const problems: ConfigProblem[] = [];
  const out: T[] = [];
  entry.value.items.forEach((value, i) => collect(problems, () => out.push(item(value, `${entry.key}[${i}]`))));
  if (problems.length > 0) throw ConfigError.of(problems);
  return out;
}

const RESPONSE_TYPES: Record<string, ServiceResponseType> = { singleton: "singleton", single: "singleton", stream: "stream", chunked: "chunked" };

/** `{ stream: subject }` or `{ service: subject, response_type, response_threshold }`, with `accounts`. */
function exportEntry(value: ConfigValue, path: string): AccountExport {
  const entry = itemEntry(value, path);
  if (value.kind !== "map") throw wrongType(entry, "a block with a stream or a service");
  const out: AccountExport = {};
  for (const sub of value.entries.values()) {
    const at = nested(sub, `${path}.${sub.key}`);
    switch (sub.key.toLowerCase()) {
      case "stream":
        out.stream = nonEmptyString(at);
        break;
      case "service":
        out.service = nonEmptyString(at);
        break;
      case "accounts":
        out.accounts = names(at);
        break;
      case "response":
      case "response_type": {
        const type = RESPONSE_TYPES[string(at).toLowerCase()];
        if (type === undefined) throw problem(at, `unknown response type: ${JSON.stringify(string(at))}`);
        out.responseType = type;
        break;
      }
      case "threshold":
      case "response_threshold":
      case "response_thresholds":
        out.responseThreshold = durationString(at);
        break;
      case "allow_trace":
        out.allowTrace = boolean(at);
        break;
      default:
        if (!sub.usedAsVariable) throw problem(at, `unknown field ${JSON.stringify(sub.key)}`);
    }
  }
  if ((out.stream === undefined) === (out.service === undefined)) throw problem(entry, "an export names one stream or one service");
  return out;
}

/** `{ stream: { account, subject }, prefix }` or `{ service: { account, subject }, to }`. */
function importEntry(value: ConfigValue, path: string): AccountImport {
  const entry = itemEntry(value, path);
  if (value.kind !== "map") throw wrongType(entry, "a block with a stream or a service");
  const out: AccountImport = {};
  for (const sub of value.entries.values()) {
    const at = nested(sub, `${path}.${sub.key}`);
    switch (sub.key.toLowerCase()) {
      case "stream":
        out.stream = source(at);
        break;
      case "service":
        out.service = source(at);
        break;
      case "prefix":
        out.prefix = nonEmptyString(at);
        break;
      case "to":
      case "local_subject":
        out.to = nonEmptyString(at);
        break;
      case "allow_trace":
        out.allowTrace = boolean(at);
        break;
      default:
        if (!sub.usedAsVariable) throw problem(at, `unknown field ${JSON.stringify(sub.key)}`);
    }
  }
  if ((out.stream === undefined) === (out.service === undefined)) throw problem(entry, "an import names one stream or one service");
  return out;
}

function source(entry: ConfigEntry): { account: string; subject: string } {
  if (entry.value.kind !== "map") throw wrongType(entry, "a block with account and subject");
  let account: string | undefined;
  let subject: string | undefined;
  for (const sub of entry.value.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    const name = sub.key.toLowerCase();
    if (name === "account") account = nonEmptyString(at);
    else if (name === "subject") subject = nonEmptyString(at);
    else if (!sub.usedAsVariable) throw problem(at, `unknown field ${JSON.stringify(sub.key)}`);
  }
  if (account === undefined || subject === undefined) throw problem(entry, "an import needs an account and a subject");
  return { account, subject };
}

function names(entry: ConfigEntry): string[] {
  if (entry.value.kind !== "array") throw wrongType(entry, "an array of account names");
  return entry.value.items.map((item, i) => nonEmptyString(itemEntry(item, `${entry.key}[${i}]`)));
}

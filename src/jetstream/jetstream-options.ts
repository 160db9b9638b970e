/**
 * `createServer({ jetstream })`: `true` for nats-server's defaults, or the options below
 * (nats-server's `jetstream { store_dir, max_memory_store, max_file_store, domain,
 * sync_interval }`). Checked at createServer, like every other option.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidOptionError } from "../base/errors.ts";
import type { AccountJetStreamLimits } from "../core/accounts.ts";
import type { SyncPolicy } from "./store/stream-store.ts";

export interface JetStreamOptions {
  /**
   * Where file-backed streams live. Default: `<os tmpdir>/nats/jetstream`, as nats-server
   * (logged at start, since a temp directory may not survive a reboot).
   */
  storeDir?: string;
  /** Most bytes memory streams may hold together; -1 (default) = no limit. */
  maxMemory?: number;
  /** Most bytes file streams may hold together; -1 (default) = no limit. */
  maxStore?: number;
  /** JetStream domain: the API also answers on `$JS.<domain>.API.>` and PubAcks carry it. */
  domain?: string;
  /**
   * When the file store calls fsync: `"always"` (after every write, before the PubAck), a
   * number of milliseconds (default 120000, nats-server's 2 minutes), or `"never"` (on close
   * only). Writes reach the operating system before the PubAck in every case, so a killed
   * process loses nothing; fsync guards against a power loss.
   */
  syncInterval?: number | "always" | "never";
  /**
   * nats-server 2.12's strict API validation (default true): a stream or consumer request
   * with a field nats-server does not know is refused (`400 10025 invalid JSON: json: unknown
   * field "x"`) rather than the field ignored.
   */
  strict?: boolean;
}

export interface ResolvedJetStreamOptions {
  readonly storeDir: string;
  /** The store directory was not given (it is then logged, as nats-server does). */
  readonly storeDirDefaulted: boolean;
  readonly maxMemory: number;
  readonly maxStore: number;
  readonly domain: string | undefined;
  readonly sync: SyncPolicy;
  readonly strict: boolean;
}

/** nats-server's default `sync_interval`. */
export const DEFAULT_SYNC_INTERVAL_MS = 120_000;

function limit(name: string, value: number | undefined): number {
  if (value === undefined) return -1;
  if (typeof value !== "number" || !Number.isInteger(value) || value < -1 || value === 0) {
    throw new InvalidOptionError(name, `must be a positive integer or -1 (no limit), got ${String(value)}`);
  }
  return value;
}

export function resolveJetStreamOptions(option: boolean | JetStreamOptions | undefined): ResolvedJetStreamOptions | undefined {
  if (option === undefined || option === false) return undefined;
  const options: JetStreamOptions = option === true ? {} : option;
  if (typeof options !== "object" || options === null) throw new InvalidOptionError("jetstream", "must be true or an object");
  if (options.storeDir !== undefined && (typeof options.storeDir !== "string" || options.storeDir === "")) {
    throw new InvalidOptionError("jetstream.storeDir", "must be a non-empty string");
  }
  const domain = options.domain;
  if (domain !== undefined && (typeof domain !== "string" || domain === "" || /[.*>\s]/.test(domain))) {
    throw new InvalidOptionError("jetstream.domain", `must be a name without '.', '*', '>' or spaces, got ${JSON.stringify(domain)}`);
  }
  const sync = options.syncInterval ?? DEFAULT_SYNC_INTERVAL_MS;
  let policy: SyncPolicy;
  if (sync === "always" || sync === "never") policy = sync;
  else if (typeof sync === "number" && Number.isInteger(sync) && sync > 0) policy = { intervalMs: sync };
  else throw new InvalidOptionError("jetstream.syncInterval", `must be "always", "never" or a positive number of ms, got ${String(sync)}`);
  return {
    storeDir: options.storeDir ?? join(tmpdir(), "nats", "jetstream"),
    storeDirDefaulted: options.storeDir === undefined,
    maxMemory: limit("jetstream.maxMemory", options.maxMemory),
    maxStore: limit("jetstream.maxStore", options.maxStore),
    domain,
    sync: policy,
    strict: options.strict !== false,
  };
}

/**
 * An account's own JetStream (nats-server's `accounts { A { jetstream: enabled | { ... } } }`):
 * `true` for no limits of its own, or the limits below. Omitted fields are -1 (no limit).
 */
export interface AccountJetStreamOptions {
  /** Most bytes the account's memory streams may hold together (`max_memory`). */
  maxMemory?: number;
  /** Most bytes the account's file streams may hold together (`max_file`, `max_store`). */
  maxStore?: number;
  /** Most streams (`max_streams`). */
  maxStreams?: number;
  /** Most consumers, over all its streams (`max_consumers`). */
  maxConsumers?: number;
  /** Every stream must set `max_bytes` (`max_bytes_required`). */
  maxBytesRequired?: boolean;
  /** Largest `max_bytes` a memory stream may ask for (`memory_max_stream_bytes`). */
  memoryMaxStreamBytes?: number;
  /** Largest `max_bytes` a file stream may ask for (`storage_max_stream_bytes`). */
  storeMaxStreamBytes?: number;
}

/** An account's JetStream limits: kept with the accounts, since an account JWT carries them too. */
export type { AccountJetStreamLimits } from "../core/accounts.ts";

/** nats-server's `dynamicJSAccountLimits`: an account with JetStream and no limits of its own. */
export const NO_ACCOUNT_LIMITS: AccountJetStreamLimits = {
  maxMemory: -1,
  maxStore: -1,
  maxStreams: -1,
  maxConsumers: -1,
  maxBytesRequired: false,
  memoryMaxStreamBytes: -1,
  storeMaxStreamBytes: -1,
};

/** `undefined` when the account has no JetStream (`false`, or left out). */
export function resolveAccountJetStream(account: string, option: boolean | AccountJetStreamOptions | undefined): AccountJetStreamLimits | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return NO_ACCOUNT_LIMITS;
  const at = `accounts.${account}.jetstream`;
  if (typeof option !== "object" || option === null) throw new InvalidOptionError(at, "must be true, false or an object of limits");
  const bounded = (name: keyof AccountJetStreamOptions, value: number | undefined): number => {
    if (value === undefined || value === -1) return -1;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new InvalidOptionError(`${at}.${name}`, `must be a non-negative integer or -1 (no limit), got ${String(value)}`);
    return value;
  };
  if (option.maxBytesRequired !== undefined && typeof option.maxBytesRequired !== "boolean") throw new InvalidOptionError(`${at}.maxBytesRequired`, "must be a boolean");
  return {
    maxMemory: bounded("maxMemory", option.maxMemory),
    maxStore: bounded("maxStore", option.maxStore),
    maxStreams: bounded("maxStreams", option.maxStreams),
    maxConsumers: bounded("maxConsumers", option.maxConsumers),
    maxBytesRequired: option.maxBytesRequired === true,
    memoryMaxStreamBytes: bounded("memoryMaxStreamBytes", option.memoryMaxStreamBytes),
    storeMaxStreamBytes: bounded("storeMaxStreamBytes", option.storeMaxStreamBytes),
  };
}

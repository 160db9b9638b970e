import type sjsonModule from "secure-json-parse";
import { requireOnUse } from "../base/require-on-use.ts";

/** Loaded with the first CONNECT rather than at import (a CommonJS package: import pays for the CommonJS loader). */
let sjson: typeof sjsonModule | undefined;

/** What a client declared in CONNECT, with nats-server's wire names mapped to camelCase. */
export interface ConnectOptions {
  verbose: boolean;
  pedantic: boolean;
  echo: boolean;
  headers: boolean;
  noResponders: boolean;
  tlsRequired: boolean;
  protocol: number;
  name: string;
  lang: string;
  version: string;
  user: string;
  pass: string;
  authToken: string;
  nkey: string;
  sig: string;
  jwt: string;
  account: string;
  newAccount: boolean;
}

/**
 * Before any CONNECT, and for fields CONNECT leaves out, verbose, pedantic and echo are on:
 * nats-server unmarshals CONNECT over `defaultOpts` (client.go), so `CONNECT {}` means verbose.
 */
export function defaultConnectOptions(): ConnectOptions {
  return {
    verbose: true,
    pedantic: true,
    echo: true,
    headers: false,
    noResponders: false,
    tlsRequired: false,
    protocol: 0,
    name: "",
    lang: "",
    version: "",
    user: "",
    pass: "",
    authToken: "",
    nkey: "",
    sig: "",
    jwt: "",
    account: "",
    newAccount: false,
  };
}

type FieldKind = "bool" | "string" | "int";

/** CONNECT's JSON fields (client.go `ClientOpts`), keyed lower-case as Go's JSON matching is case-insensitive. */
const FIELDS: ReadonlyMap<string, readonly [keyof ConnectOptions, FieldKind]> = new Map([
  ["verbose", ["verbose", "bool"]],
  ["pedantic", ["pedantic", "bool"]],
  ["echo", ["echo", "bool"]],
  ["headers", ["headers", "bool"]],
  ["no_responders", ["noResponders", "bool"]],
  ["tls_required", ["tlsRequired", "bool"]],
  ["protocol", ["protocol", "int"]],
  ["name", ["name", "string"]],
  ["lang", ["lang", "string"]],
  ["version", ["version", "string"]],
  ["user", ["user", "string"]],
  ["pass", ["pass", "string"]],
  ["auth_token", ["authToken", "string"]],
  ["nkey", ["nkey", "string"]],
  ["sig", ["sig", "string"]],
  ["jwt", ["jwt", "string"]],
  ["account", ["account", "string"]],
  ["new_account", ["newAccount", "bool"]],
]);

const INT32_MAX = 2 ** 31 - 1;

/**
 * Applies a CONNECT's JSON over `current`, as Go's `json.Unmarshal` into the client options
 * does: unknown keys are ignored, `null` leaves a field unchanged, a value of the wrong type or
 * anything that is not a JSON object is an error (nats-server then closes without `-ERR`).
 * Prototype-poisoning keys are dropped by secure-json-parse. Returns undefined on error.
 */
export function applyConnect(json: string, current: ConnectOptions): ConnectOptions | undefined {
  let parsed: unknown;
  try {
    sjson ??= requireOnUse("secure-json-parse") as typeof sjsonModule;
    parsed = sjson.parse(json, undefined, { protoAction: "remove", constructorAction: "remove" });
  } catch {
    return undefined;
  }
  if (parsed === null) return current;
  if (typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const next: ConnectOptions = { ...current };
  const record = next as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(parsed)) {
    const field = FIELDS.get(key.toLowerCase());
    if (field === undefined || value === null) continue;
    const [name, kind] = field;
    if (kind === "bool") {
      if (typeof value !== "boolean") return undefined;
    } else if (kind === "string") {
      if (typeof value !== "string") return undefined;
    } else if (typeof value !== "number" || !Number.isInteger(value) || Math.abs(value) > INT32_MAX) {
      return undefined;
    }
    record[name] = value;
  }
  return next;
}

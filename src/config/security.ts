/**
 * nats-server's security blocks mapped onto our options: `authorization { }` (token, user and
 * password, `users` with passwords or nkeys and permissions, default permissions, timeout),
 * `permissions { }` and `tls { }`, with nats-server's keys, aliases and meanings (server/opts.go
 * parseAuthorization, parseUsers, parseUserPermissions, parseVariablePermissions,
 * parseAllowResponses, parseTLS).
 *
 * What we do not support inside these blocks is refused when ignoring it would let in a client
 * the file keeps out (or accept a certificate, cipher or TLS version it excludes), and ignored
 * with a warning otherwise. Where nats-server silently accepts something that does nothing (a
 * password without a user, permissions with only a token), we refuse it too: the file asks for
 * protection it would not get.
 */
import type { AuthCalloutOptions } from "../auth/auth-callout.ts";
import type { AuthOptions, UserConfig } from "../auth/authenticator.ts";
import { loadNkeys } from "../auth/credentials.ts";
import { parseConnectionTypes } from "../auth/connection-types.ts";
import type { Permissions, ResponsePermission, SubjectPermission } from "../core/permissions.ts";
import { isValidSubject } from "../subjects/subject.ts";
import { nodeTls, type TlsOptions } from "../transport/tls.ts";
import {
  boolean,
  collect,
  goDuration,
  integer,
  itemEntry,
  nested,
  nonEmptyString,
  problem,
  secondsOrDuration,
  string,
  wrongType,
} from "./checks.ts";
import { ConfigError, type ConfigProblem } from "./config-error.ts";
import { formatGoDuration } from "./duration.ts";
import { readBoundedFile } from "./parser.ts";
import { DEFAULT_CONFIG_LIMITS } from "./limits.ts";
import { formatPosition, type ConfigEntry, type ConfigMap, type ConfigValue } from "./value.ts";

/** `allow_responses` values nats-server reads as "no limit" (negative); ours are numbers. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** nats-server warns about an authorization timeout above a minute (probably an unquoted `1m`). */
const HIGH_AUTH_TIMEOUT_MS = 60_000;

function blockEntries(entry: ConfigEntry, expected: string): ConfigMap {
  if (entry.value.kind !== "map") throw wrongType(entry, expected);
  return entry.value;
}

function unknownField(entry: ConfigEntry, name: string): ConfigError {
  return problem(entry, `unknown field ${JSON.stringify(name)}`);
}

/** Throws the problems collected, if any. */
function settle(problems: readonly ConfigProblem[]): void {
  if (problems.length > 0) throw ConfigError.of(problems);
}

// --- permissions ------------------------------------------------------------------------------

/**
 * A list of subjects: one string or an array of them. Each must be a valid subject, or (for
 * subscribe) `"subject queue"` to allow or deny one queue group (opts.go checkPermSubjectArray).
 */
function subjects(entry: ConfigEntry, queues: boolean): string[] {
  const value = entry.value;
  let items: ConfigValue[];
  if (value.kind === "string") items = [value];
  else if (value.kind === "array") items = value.items;
  else throw wrongType(entry, "a subject or an array of subjects");
  return items.map((item, i) => {
    const at = itemEntry(item, value.kind === "array" ? `${entry.key}[${i}]` : entry.key);
    if (item.kind !== "string") throw wrongType(at, "a subject string");
    const text = item.value;
    if (isValidSubject(text)) return text;
    const fields = text.trim().split(/\s+/);
    if (fields.length !== 2 || fields[0] === "") throw problem(at, `subject ${JSON.stringify(text)} is not a valid subject`);
    if (!isValidSubject(fields[0]!)) throw problem(at, `subject ${JSON.stringify(fields[0])} is not a valid subject`);
    // nats-server accepts "subject queue" in a publish list too, where it matches nothing: an
    // allow that allows nothing, or a deny that denies nothing. Refused rather than ignored.
    if (!queues) throw problem(at, `${JSON.stringify(text)}: a queue group applies to subscribe permissions only`);
    return text;
  });
}

/**
 * `publish` or `subscribe`: a list (allow only, the old style) or `{ allow, deny }`. An empty
 * block restricts nothing (undefined), as nats-server.
 */
export function subjectPermission(entry: ConfigEntry, queues: boolean): SubjectPermission | undefined {
  const value = entry.value;
  if (value.kind !== "map") {
    if (value.kind !== "string" && value.kind !== "array") throw wrongType(entry, "a subject, an array of subjects, or a block with allow and deny");
    return { allow: subjects(entry, queues) };
  }
  if (value.entries.size === 0) return undefined;
  const out: SubjectPermission = {};
  const problems: ConfigProblem[] = [];
  for (const sub of value.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    collect(problems, () => {
      const name = sub.key.toLowerCase();
      if (name === "allow") out.allow = subjects(at, queues);
      else if (name === "deny") out.deny = subjects(at, queues);
      else if (!sub.usedAsVariable) throw problem(at, `unknown field name ${JSON.stringify(sub.key)} parsing subject permissions, only 'allow' or 'deny' are permitted`);
    });
  }
  settle(problems);
  return out;
}

/**
 * `allow_responses`: `true` (1 reply within 2 minutes), `false`, or `{ max, expires }`. As in
 * nats-server, 0 means the default and a negative value means no limit.
 */
function allowResponses(entry: ConfigEntry): boolean | ResponsePermission | undefined {
  const value = entry.value;
  if (value.kind === "boolean") return value.value ? true : undefined;
  if (value.kind !== "map") throw wrongType(entry, "a boolean or a block of max and expires");
  const out: ResponsePermission = {};
  const problems: ConfigProblem[] = [];
  for (const sub of value.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    collect(problems, () => {
      const name = sub.key.toLowerCase();
      if (name === "max" || name === "max_msgs" || name === "max_messages" || name === "max_responses") {
        const max = integer(at);
        if (max < 0) out.max = UNLIMITED;
        else if (max > 0) out.max = max;
        else delete out.max;
      } else if (name === "expires" || name === "expiration" || name === "ttl") {
        if (at.value.kind !== "string") throw wrongType(at, 'a duration string such as "2m"');
        const ms = goDuration(at, at.value.value);
        if (ms < 0) out.expires = UNLIMITED;
        else if (ms > 0) out.expires = ms;
        else delete out.expires;
      } else if (!sub.usedAsVariable) {
        throw problem(at, `unknown field ${JSON.stringify(sub.key)} parsing permissions`);
      }
    });
  }
  settle(problems);
  return out;
}

/** A `permissions { publish, subscribe, allow_responses }` block (and nats-server's aliases). */
export function permissionsBlock(entry: ConfigEntry): Permissions {
  const map = blockEntries(entry, "a block of publish, subscribe and allow_responses permissions");
  const out: Permissions = {};
  const problems: ConfigProblem[] = [];
  for (const sub of map.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    collect(problems, () => {
      switch (sub.key.toLowerCase()) {
        case "pub":
        case "publish":
        case "import": {
          const publish = subjectPermission(at, false);
          if (publish === undefined) delete out.publish;
          else out.publish = publish;
          break;
        }
        case "sub":
        case "subscribe":
        case "export": {
          const subscribe = subjectPermission(at, true);
          if (subscribe === undefined) delete out.subscribe;
          else out.subscribe = subscribe;
          break;
        }
        case "publish_allow_responses":
        case "allow_responses": {
          const responses = allowResponses(at);
          if (responses === undefined) delete out.allowResponses;
          else out.allowResponses = responses;
          break;
        }
        default:
          if (!sub.usedAsVariable) throw problem(at, `unknown field ${JSON.stringify(sub.key)} parsing permissions`);
      }
    });
  }
  settle(problems);
  return out;
}

// --- authorization ----------------------------------------------------------------------------

/** What an `authorization` block asks for. */
export interface MappedAuthorization {
  readonly options: AuthOptions;
  /** The names of the `users` list (no_auth_user must be one of them); undefined without a list. */
  readonly userNames: ReadonlySet<string> | undefined;
  /**
   * `file:line:column: ...` of each user without a password or nkey: only a client certificate
   * (tls `verify_and_map`) lets such a user in here, where nats-server takes its name with an
   * empty password. A warning unless the configuration maps certificates.
   */
  readonly passwordless: readonly string[];
}

/** `allowed_connection_types`: the list, upper-cased; a type nats-server does not know is an error, as in opts.go. */
function connectionTypes(entry: ConfigEntry): string[] {
  const value = entry.value;
  const items = value.kind === "array" ? value.items : [value];
  const types: string[] = [];
  for (const item of items) {
    if (item.kind !== "string") throw wrongType(itemEntry(item, entry.key), "a connection type string (STANDARD, WEBSOCKET, ...)");
    types.push(item.value);
  }
  const { allowed, unknown } = parseConnectionTypes(types);
  if (unknown.length > 0) throw problem(entry, `invalid connection types ${JSON.stringify(unknown)}`);
  return [...allowed];
}

/** `proxy_required: true` (nats-server 2.12): refused, false is fine. */
function proxyRequired(entry: ConfigEntry): void {
  if (boolean(entry)) throw problem(entry, `${JSON.stringify(entry.key)} is not supported (PROXY protocol), and ignoring it would let in clients that do not come through the proxy: remove it to run without it`);
}

/** One entry of `users`: a user with a password, or an nkey user; with optional permissions. */
function userEntry(item: ConfigValue, path: string, passwordless: string[]): UserConfig {
  const entry = itemEntry(item, path);
  if (item.kind !== "map") throw wrongType(entry, "a block with a user and password, or an nkey");
  let user: string | undefined;
  let password: string | undefined;
  let nkey: string | undefined;
  let permissions: Permissions | undefined;
  let allowedConnectionTypes: string[] | undefined;
  const problems: ConfigProblem[] = [];
  for (const sub of item.entries.values()) {
    const at = nested(sub, `${path}.${sub.key}`);
    collect(problems, () => {
      switch (sub.key.toLowerCase()) {
        case "nkey":
          nkey = nonEmptyString(at);
          break;
        case "user":
        case "username":
          user = nonEmptyString(at);
          break;
        case "pass":
        case "password":
          password = string(at);
          break;
        case "permission":
        case "permissions":
        case "authorization":
          permissions = permissionsBlock(at);
          break;
        case "allowed_connection_types":
        case "connection_types":
        case "clients":
          allowedConnectionTypes = connectionTypes(at);
          break;
        case "proxy_required":
          proxyRequired(at);
          break;
        default:
          if (!sub.usedAsVariable) throw unknownField(at, sub.key);
      }
    });
  }
  settle(problems);
  if (nkey !== undefined) {
    if (user !== undefined || password !== undefined) throw problem(entry, "nkey users do not take usernames or passwords");
    if (!isUserNkey(nkey)) throw problem(entry, `not a valid public nkey for a user: ${JSON.stringify(nkey)}`);
    const out: UserConfig = { nkey };
    if (permissions !== undefined) out.permissions = permissions;
    if (allowedConnectionTypes !== undefined) out.allowedConnectionTypes = allowedConnectionTypes;
    return out;
  }
  if (user === undefined) throw problem(entry, "user entry requires a user (or an nkey)");
  if (password === undefined) {
    passwordless.push(
      `${formatPosition(entry.keyPos)}: user ${JSON.stringify(user)} has no password: nats-embedded lets it in only through a client certificate (tls verify_and_map), where nats-server would accept its name with an empty password`,
    );
  }
  const out: UserConfig = { user };
  if (password !== undefined) out.password = password;
  if (permissions !== undefined) out.permissions = permissions;
  if (allowedConnectionTypes !== undefined) out.allowedConnectionTypes = allowedConnectionTypes;
  return out;
}

function isUserNkey(key: string): boolean {
  if (!key.startsWith("U")) return false;
  try {
    loadNkeys().fromPublic(key);
    return true;
  } catch {
    return false;
  }
}

/** `users: [ ... ]`: checked for duplicates, as nats-server. */
export function usersList(entry: ConfigEntry, passwordless: string[]): UserConfig[] {
  if (entry.value.kind !== "array") throw wrongType(entry, "an array of users");
  const users: UserConfig[] = [];
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  entry.value.items.forEach((item, i) => {
    collect(problems, () => {
      const user = userEntry(item, `${entry.key}[${i}]`, passwordless);
      const id = user.nkey ?? user.user!;
      if (seen.has(id)) throw problem(itemEntry(item, `${entry.key}[${i}]`), `duplicate ${user.nkey !== undefined ? "nkey" : "user"} ${JSON.stringify(id)} detected`);
      seen.add(id);
      users.push(user);
    });
  });
  settle(problems);
  return users;
}

/** A list of strings (`auth_users`, `allowed_accounts`). */
function stringList(entry: ConfigEntry): string[] {
  if (entry.value.kind !== "array") throw wrongType(entry, "an array of strings");
  return entry.value.items.map((item, i) => nonEmptyString(itemEntry(item, `${entry.key}[${i}]`)));
}

/**
 * `auth_callout { issuer, auth_users, account, xkey, allowed_accounts }` (opts.go
 * parseAuthCallout, with its aliases). That the users and accounts exist is checked by the server.
 */
function authCalloutBlock(entry: ConfigEntry): AuthCalloutOptions {
  const map = blockEntries(entry, "a block");
  let issuer: string | undefined;
  let authUsers: string[] | undefined;
  let account: string | undefined;
  let xkey: string | undefined;
  let allowedAccounts: string[] | undefined;
  const problems: ConfigProblem[] = [];
  for (const sub of map.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    collect(problems, () => {
      switch (sub.key.toLowerCase()) {
        case "issuer":
          issuer = string(at);
          if (!/^A[A-Z2-7]{55}$/.test(issuer)) throw problem(at, `expected the issuer to be a valid public account nkey, got ${JSON.stringify(issuer)}`);
          break;
        case "account":
        case "acc":
          account = nonEmptyString(at);
          break;
        case "auth_users":
        case "users":
          authUsers = stringList(at);
          break;
        case "xkey":
        case "key":
          xkey = string(at);
          if (!/^X[A-Z2-7]{55}$/.test(xkey)) throw problem(at, `expected the xkey to be a valid public curve key, got ${JSON.stringify(xkey)}`);
          break;
        case "allowed_accounts":
          allowedAccounts = stringList(at);
          break;
        default:
          if (!sub.usedAsVariable) throw unknownField(at, sub.key);
      }
    });
  }
  settle(problems);
  if (issuer === undefined) throw problem(entry, "an auth callout needs an issuer");
  if (authUsers === undefined || authUsers.length === 0) throw problem(entry, "an auth callout needs auth_users, the users its service connects as");
  return {
    issuer,
    authUsers,
    ...(account === undefined ? {} : { account }),
    ...(xkey === undefined ? {} : { xkey }),
    ...(allowedAccounts === undefined ? {} : { allowedAccounts }),
  };
}

/**
 * The top-level `authorization { }` block: one method (a token, a user and password, or a
 * `users` list), default `permissions` for the users that have none of their own, `timeout`.
 */
export function authorizationBlock(entry: ConfigEntry, warnings: string[]): MappedAuthorization {
  const map = blockEntries(entry, "a block");
  let token: string | undefined;
  let user: string | undefined;
  let password: string | undefined;
  let timeout: number | undefined;
  let users: UserConfig[] | undefined;
  let defaults: { permissions: Permissions; entry: ConfigEntry } | undefined;
  let callout: AuthCalloutOptions | undefined;
  const passwordless: string[] = [];
  const problems: ConfigProblem[] = [];
  for (const sub of map.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    collect(problems, () => {
      switch (sub.key.toLowerCase()) {
        case "token":
          token = nonEmptyString(at);
          break;
        case "user":
        case "username":
          user = nonEmptyString(at);
          break;
        case "pass":
        case "password":
          password = string(at);
          break;
        case "timeout":
          timeout = secondsOrDuration(at);
          if (timeout !== undefined && timeout > HIGH_AUTH_TIMEOUT_MS) {
            warnings.push(`${formatPosition(at.keyPos)}: ${JSON.stringify(at.key)} of ${formatGoDuration(timeout)} is high, consider keeping it under 60 seconds (an unquoted 1m is one million seconds: write "1m")`);
          }
          break;
        case "users":
          users = usersList(at, passwordless);
          break;
        case "default_permission":
        case "default_permissions":
        case "permissions":
          defaults = { permissions: permissionsBlock(at), entry: at };
          break;
        case "auth_callout":
        case "auth_hook":
          callout = authCalloutBlock(at);
          break;
        case "proxy_required":
          proxyRequired(at);
          break;
        default:
          if (!sub.usedAsVariable) throw unknownField(at, sub.key);
      }
    });
  }
  settle(problems);

  // opts.go processConfigFileLine's checks, then ours for what nats-server would silently not enforce.
  if (token !== undefined && (user !== undefined || password !== undefined)) throw problem(entry, "cannot have a user/pass and token");
  if (users !== undefined && user !== undefined) throw problem(entry, "can not have a single user/pass and a users array");
  if (users !== undefined && token !== undefined) throw problem(entry, "can not have a token and a users array");
  if (password !== undefined && user === undefined) {
    throw problem(entry, "a password without a user: nats-server would require no authentication at all; add the user, or remove the password");
  }
  if (user !== undefined && password === undefined) {
    throw problem(entry, `user ${JSON.stringify(user)} has no password: nats-server would let it in by its name alone; add a password`);
  }
  if (users !== undefined && users.length === 0) {
    throw problem(entry, "an empty users array: nats-server would let any client in without credentials; add users, or remove authorization");
  }

  // no_auth_user must name a user of the list as written (not the one-user list made below).
  const userNames = users === undefined ? undefined : new Set(users.flatMap((u) => (u.user === undefined ? [] : [u.user])));
  const options: AuthOptions = {};
  if (token !== undefined) options.token = token;
  if (timeout !== undefined) options.timeout = timeout;
  if (defaults !== undefined) {
    if (users !== undefined) {
      // opts.go applyDefaultPermissions: for every user without permissions of its own.
      users = users.map((u) => (u.permissions === undefined ? { ...u, permissions: defaults!.permissions } : u));
    } else if (user !== undefined) {
      // nats-server ignores them with a single user; we enforce them, as a one-user list.
      users = [{ user, password: password!, permissions: defaults.permissions }];
      user = undefined;
      password = undefined;
    } else {
      const why = token !== undefined ? "a token has no permissions" : "there are no users";
      throw problem(defaults.entry, `${JSON.stringify(defaults.entry.key)} would restrict nothing (${why}; nats-server ignores them): define users, or remove the permissions`);
    }
  }
  if (user !== undefined) {
    options.user = user;
    options.password = password!;
  }
  if (users !== undefined) options.users = users;
  if (callout !== undefined) options.callout = callout;
  // The callout's own users may be in accounts { }; everyone else is the service's to judge.
  if (token === undefined && user === undefined && users === undefined && callout === undefined) {
    warnings.push(`${formatPosition(entry.keyPos)}: ${JSON.stringify(entry.key)} sets no token, user or users: any client may connect`);
  }
  return { options, userNames, passwordless };
}

// --- tls --------------------------------------------------------------------------------------

/** Keys of nats-server's `tls { }` we ignore, with a warning saying why that is safe. */
const TLS_IGNORED: Readonly<Record<string, { readonly check: (entry: ConfigEntry) => unknown; readonly why: string }>> = {
  insecure: { check: boolean, why: "it only skips verifying the other side's certificate when nats-server is the client" },
  allow_insecure_cipher_suites: { check: boolean, why: "it only matters with cipher_suites, which is refused" },
  connection_rate_limit: { check: integer, why: "TLS handshakes are not rate limited" },
};

/** Keys of nats-server's `tls { }` we refuse, and why ignoring them would weaken the server. */
const TLS_REFUSED: Readonly<Record<string, string>> = {
  cipher_suites: "ignoring it would accept cipher suites the list leaves out",
  curve_preferences: "ignoring it would accept curves the list leaves out",
  cert_store: "the operating system's certificate store is not supported: use cert_file and key_file",
  cert_match_by: "the operating system's certificate store is not supported: use cert_file and key_file",
  cert_match: "the operating system's certificate store is not supported: use cert_file and key_file",
  cert_match_skip_invalid: "the operating system's certificate store is not supported: use cert_file and key_file",
  ca_certs_match: "the operating system's certificate store is not supported: use ca_file",
  certs: "several certificates (chosen by SNI) are not supported: use cert_file and key_file",
  certificates: "several certificates (chosen by SNI) are not supported: use cert_file and key_file",
};

/** `handshake_first` (`first`, `immediate`): a boolean, or nats-server's words for one. */
function handshakeFirst(entry: ConfigEntry): boolean {
  const value = entry.value;
  if (value.kind === "boolean") return value.value;
  if (value.kind !== "string") throw wrongType(entry, "a boolean or a string");
  const text = value.value.toLowerCase();
  if (text === "true" || text === "on") return true;
  if (text === "false" || text === "off") return false;
  let isDuration = text === "auto" || text === "auto_fallback";
  if (!isDuration) {
    try {
      goDuration(entry, value.value);
      isDuration = true;
    } catch {
      isDuration = false;
    }
  }
  if (isDuration) {
    throw problem(entry, `${JSON.stringify(entry.key)}: ${JSON.stringify(value.value)} (TLS first, falling back to TLS after INFO for older clients) is not supported yet: use true or false`);
  }
  throw problem(entry, `field ${JSON.stringify(entry.key)}'s value ${JSON.stringify(value.value)} is invalid`);
}

/** `min_version`: "1.2" is what Node enforces anyway; more cannot be asked for yet. */
function minVersion(entry: ConfigEntry): void {
  if (entry.value.kind !== "string") throw wrongType(entry, 'a TLS version string such as "1.2"');
  const version = entry.value.value;
  if (version === "1.0" || version === "1.1") throw problem(entry, `error parsing tls config: unsupported TLS version: TLS ${version}`);
  if (version !== "1.2" && version !== "1.3") throw problem(entry, `error parsing tls config: unknown version: ${version}`);
  const { DEFAULT_MIN_VERSION } = nodeTls();
  const floor = DEFAULT_MIN_VERSION === "TLSv1.3" ? "1.3" : DEFAULT_MIN_VERSION === "TLSv1.2" ? "1.2" : "older";
  if (version === "1.3" && floor !== "1.3" || version === "1.2" && floor === "older") {
    throw problem(entry, `${JSON.stringify(entry.key)} ${version} is not supported yet, and ignoring it would accept TLS ${floor}: remove it to run with Node's minimum`);
  }
}

/** Reads a certificate or key file (bounded, regular files only), for the checks at load time. */
function readPem(entry: ConfigEntry, path: string): string {
  try {
    return readBoundedFile(path, DEFAULT_CONFIG_LIMITS.maxFileSize);
  } catch (err) {
    throw problem(entry, `error opening ${JSON.stringify(entry.key)} ${path}: ${(err as Error).message}`);
  }
}

/**
 * The top-level `tls { }` block. The certificate, key and CA files are read and checked here,
 * so that a missing file or a key that does not match is reported at its line (the server reads
 * them again when it starts). Relative paths are relative to the working directory, as in
 * nats-server.
 */
export function tlsBlock(entry: ConfigEntry, warnings: string[]): TlsOptions {
  const map = blockEntries(entry, "a block");
  const out: TlsOptions = {};
  const files: Partial<Record<"certFile" | "keyFile" | "caFile", ConfigEntry>> = {};
  const problems: ConfigProblem[] = [];
  const file = (at: ConfigEntry, option: "certFile" | "keyFile" | "caFile"): void => {
    if (at.value.kind !== "string") throw wrongType(at, "a file name");
    if (at.value.value === "") throw problem(at, `${JSON.stringify(at.key)} must not be empty`);
    out[option] = at.value.value;
    files[option] = at;
  };
  for (const sub of map.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    collect(problems, () => {
      const name = sub.key.toLowerCase();
      switch (name) {
        case "cert_file":
          return file(at, "certFile");
        case "key_file":
          return file(at, "keyFile");
        case "ca_file":
          return file(at, "caFile");
        case "verify":
          out.verify = boolean(at);
          return;
        case "verify_and_map":
          // opts.go: true also turns verify on; false leaves verify as it is.
          out.verifyAndMap = boolean(at);
          return;
        case "timeout": {
          const ms = secondsOrDuration(at);
          if (ms === undefined) delete out.timeout;
          else out.timeout = ms;
          return;
        }
        case "handshake_first":
        case "first":
        case "immediate":
          out.handshakeFirst = handshakeFirst(at);
          return;
        case "min_version":
          return minVersion(at);
        case "verify_cert_and_check_known_urls":
          if (boolean(at)) throw problem(at, "verify_cert_and_check_known_urls not supported in this context");
          return;
        case "pinned_certs":
          if (at.value.kind !== "array") throw wrongType(at, "an array of hex-encoded SHA-256 fingerprints");
          if (at.value.items.length === 0) return;
          throw problem(at, `${JSON.stringify(at.key)} is not supported yet, and ignoring it would accept client certificates the list leaves out: remove it to run without it`);
        case "ocsp_peer":
          if (at.value.kind === "boolean" && !at.value.value) return;
          throw problem(at, `${JSON.stringify(at.key)} is not supported yet, and ignoring it would accept revoked client certificates: remove it (or set it to false) to run without it`);
      }
      const ignored = TLS_IGNORED[name];
      if (ignored !== undefined) {
        ignored.check(at);
        warnings.push(`${formatPosition(at.keyPos)}: ${JSON.stringify(at.key)} is not supported; ignored (${ignored.why})`);
        return;
      }
      const refused = TLS_REFUSED[name];
      if (refused !== undefined) throw problem(at, `${JSON.stringify(at.key)} is not supported, and ${refused}: remove it to run without it`);
      throw problem(at, `error parsing tls config, unknown field ${JSON.stringify(sub.key)}`);
    });
  }
  settle(problems);

  if (out.certFile === undefined && out.keyFile === undefined) throw problem(entry, `${JSON.stringify(entry.key)} needs cert_file and key_file`);
  if (out.keyFile === undefined) throw problem(entry, "missing 'key_file' in TLS configuration");
  if (out.certFile === undefined) throw problem(entry, "missing 'cert_file' in TLS configuration");
  if ((out.verify === true || out.verifyAndMap === true) && out.caFile === undefined) {
    throw problem(entry, `${JSON.stringify(entry.key)}: verifying client certificates needs ca_file (nats-embedded does not fall back to the system's CAs)`);
  }
  const cert = readPem(files.certFile!, out.certFile);
  const key = readPem(files.keyFile!, out.keyFile);
  const ca = files.caFile === undefined ? undefined : readPem(files.caFile, out.caFile!);
  try {
    nodeTls().createSecureContext({ cert, key });
  } catch (err) {
    throw problem(entry, `error parsing X509 certificate/key pair (${out.certFile}, ${out.keyFile}): ${(err as Error).message}`);
  }
  if (ca !== undefined) {
    try {
      nodeTls().createSecureContext({ ca });
    } catch (err) {
      throw problem(files.caFile!, `failed to parse root ca certificate ${out.caFile}: ${(err as Error).message}`);
    }
    if (!/-----BEGIN CERTIFICATE-----/.test(ca)) throw problem(files.caFile!, `failed to parse root ca certificate ${out.caFile}: no PEM certificate in it`);
  }
  return out;
}

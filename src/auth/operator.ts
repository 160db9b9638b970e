/**
 * Operator mode (decentralized JWT authentication), as nats-server's jwt.go and auth.go: the
 * server trusts operators; an operator signs accounts; an account (or one of its signing keys)
 * signs users. A client sends its user JWT in CONNECT and signs the server's nonce with the
 * user's key (a `.creds` file holds both), unless the JWT is a bearer token. The account JWTs
 * come from the resolver (here `MEMORY` with `resolver_preload`).
 *
 * JWTs are decoded and their signatures verified by `@nats-io/jwt` (on `@nats-io/nkeys`), loaded
 * only when operator mode is configured.
 */
import { InvalidOptionError } from "../base/errors.ts";
import type { AccountDefinition, AccountExport, AccountImport, AccountJetStreamLimits } from "../core/accounts.ts";
import type { AuthContext, AuthenticatedUser, AuthResult, ConnectAuthenticator, ConnectCredentials } from "../core/identity.ts";
import { AUTH_TIMEOUT } from "../base/constants.ts";
import { AuthCallout, calloutTimeout, type CalloutBus, type CalloutPlacement } from "./auth-callout.ts";
import { verifyNonceSignature } from "./credentials.ts";
import { readJwtDirectory } from "./jwt-directory.ts";
import { decodeJwt } from "./nkey-jwt.ts";
import { permissionsOf } from "./jwt-permissions.ts";
import { isActivated, tokenProblem } from "./activation.ts";
import { isSubjectSubset } from "../core/account-links.ts";
import { SubjectMappings, type MappingDestination, type SubjectMappingOptions } from "../core/subject-mappings.ts";
import { connectionTypeAllowed } from "./connection-types.ts";
import { connectWindow, sourceAllowed, sourceList, timeRanges } from "./user-jwt-limits.ts";
import { requireOnUse } from "../base/require-on-use.ts";


/** Operator mode's options: nats-server's `operator`, `resolver`, `resolver_preload`. */
export interface OperatorOptions {
  /** The trusted operators' JWTs (the text of each). */
  operators: string[];
  /** Account JWTs by account public key (`resolver_preload`). */
  accounts?: Record<string, string>;
  /**
   * The directory resolver (nats-server's `resolver { type: full, dir }`): account JWTs are
   * read from `<dir>/<account key>.jwt` at start, and claim updates pushed on
   * `$SYS.REQ.CLAIMS.UPDATE` are written there. Without it the resolver is `MEMORY`.
   */
  resolver?: { dir: string };
  /** Milliseconds a client has to authenticate. Default 2000. */
  timeout?: number;
}

interface Claims {
  iss: string;
  sub: string;
  name?: string;
  iat?: number;
  exp?: number;
  nbf?: number;
  nats?: Record<string, unknown>;
}

type Decode = (jwt: string) => Claims;

function decoder(): Decode {
  return (requireOnUse("@nats-io/jwt") as { decode: Decode }).decode;
}

interface ScopedKey {
  readonly template: Record<string, unknown>;
}

interface TrustedAccount {
  readonly key: string;
  readonly name: string;
  readonly expires: number | undefined;
  /** Signing keys, with the template of the scoped ones. */
  readonly signingKeys: ReadonlyMap<string, ScopedKey | undefined>;
  /** User key (or `*`) → seconds: users issued at or before are revoked. */
  readonly revocations: Readonly<Record<string, number>>;
  /** Exports and imports as written; an import's activation token is checked by {@link TrustedOperators.definition}. */
  readonly definition: AccountDefinition;
  /** Per import of `definition` (same order): the token it carries for a `token_req` export, if any. */
  readonly importTokens: readonly (ImportToken | undefined)[];
  /** Its exports that require a token, with their `revocations`. */
  readonly privateExports: readonly PrivateExport[];
  /**
   * Why the JWT fails validation though its signature is trusted (an import's activation token
   * is malformed or for another account): nats-server keeps such an account out, so its users
   * are refused and nothing links to it. Undefined for a valid account.
   */
  readonly invalid: string | undefined;
  /** The account JWT itself, for claim lookups. */
  readonly jwt: string;
  /** Its `iat`: an update older than what is held is not taken. */
  readonly issuedAt: number;
  /** Its JetStream limits; undefined when the JWT does not enable JetStream. */
  readonly jetstream: AccountJetStreamLimits | undefined;
  /** The JWT's `authorization` (auth callout), when it names auth users. */
  readonly callout: AccountCallout | undefined;
}

/** An account JWT's `authorization` claim: its users are checked here, every other user of the account goes to its service. */
interface AccountCallout {
  readonly authUsers: readonly string[];
  /** Accounts (keys) the service may place users in besides this one; `*` for any. */
  readonly allowedAccounts: readonly string[];
  readonly xkey: string | undefined;
}

/** An import's activation token and what it is checked against. */
interface ImportToken {
  readonly exporter: string;
  readonly kind: "stream" | "service";
  readonly subject: string;
  readonly token: string;
}

/** An export with `token_req`. */
interface PrivateExport {
  readonly kind: "stream" | "service";
  readonly subject: string;
  readonly revocations: Readonly<Record<string, number>>;
}

/** The operators, and the accounts they signed. */
export class TrustedOperators {
  readonly #accounts = new Map<string, TrustedAccount>();
  /** The system account named by the operator JWT, if any. */
  readonly systemAccount: string | undefined;
  readonly timeout: number | undefined;
  /** Account JWT files of the directory resolver that were not taken, with why (for the log). */
  readonly skipped: string[] = [];
  readonly #decode: Decode;
  #operatorKeys = new Set<string>();

  constructor(options: OperatorOptions) {
    this.#decode = decoder();
    if (options.operators.length === 0) throw new InvalidOptionError("operator", "at least one operator JWT is needed");
    const operatorKeys = new Set<string>();
    let systemAccount: string | undefined;
    for (const [i, jwt] of options.operators.entries()) {
      const claims = this.#claims(`operator[${i}]`, jwt);
      if (typeOf(claims) !== "operator") throw new InvalidOptionError(`operator[${i}]`, "not an operator JWT");
      // jwt.go: an operator JWT is self-signed.
      if (claims.iss !== claims.sub) throw new InvalidOptionError(`operator[${i}]`, "an operator JWT must be issued by the operator");
      operatorKeys.add(claims.sub);
      for (const key of signingKeys(claims.nats)) operatorKeys.add(key[0]);
      const sys = claims.nats?.["system_account"];
      if (typeof sys === "string" && sys !== "") systemAccount ??= sys;
    }
    this.systemAccount = systemAccount;
    this.timeout = options.timeout;
    this.#operatorKeys = operatorKeys;
    const dir = options.resolver?.dir;
    if (dir !== undefined) {
      const stored = readJwtDirectory(dir);
      this.skipped.push(...stored.skipped);
      for (const [key, jwt] of stored.jwts) {
        const account = this.#account(jwt, key);
        if (typeof account === "string") this.skipped.push(`${key}.jwt: ${account}`);
        else this.#accounts.set(key, account);
      }
    }
    for (const [key, jwt] of Object.entries(options.accounts ?? {})) {
      const at = `resolver_preload.${key}`;
      const account = this.#account(jwt, key);
      if (typeof account === "string") throw new InvalidOptionError(at, account);
      // A stored JWT newer than the preloaded one wins, as a claim update would.
      const held = this.#accounts.get(key);
      if (held === undefined || held.issuedAt <= account.issuedAt) this.#accounts.set(key, account);
    }
  }

  /** An account JWT checked as the resolver checks it: the account, or why not. */
  #account(jwt: string, expectedKey: string | undefined): TrustedAccount | string {
    let claims: Claims;
    try {
      claims = this.#decode(jwt.trim());
    } catch (err) {
      return `invalid JWT: ${(err as Error).message}`;
    }
    if (typeOf(claims) !== "account") return "not an account JWT";
    if (expectedKey !== undefined && claims.sub !== expectedKey) return `the JWT is for account ${claims.sub}`;
    if (!this.#operatorKeys.has(claims.iss)) return "the account JWT is not signed by a trusted operator";
    const nats = claims.nats ?? {};
    const { definition, importTokens, privateExports, mappingProblem } = accountDefinition(nats);
    const problems = importTokens.map((t) => (t === undefined ? undefined : tokenProblem({ importer: claims.sub, ...t }, t.exporter, this.#decode)));
    return {
      invalid: mappingProblem ?? problems.find((p) => p !== undefined),
      key: claims.sub,
      name: claims.name ?? claims.sub,
      expires: claims.exp === undefined || claims.exp === 0 ? undefined : claims.exp * 1000,
      signingKeys: new Map(signingKeys(nats)),
      revocations: isRecord(nats["revocations"]) ? (nats["revocations"] as Record<string, number>) : {},
      definition,
      importTokens,
      privateExports,
      jwt: jwt.trim(),
      issuedAt: claims.iat ?? 0,
      jetstream: jetstreamLimits(nats),
      callout: accountCallout(nats),
    };
  }

  /**
   * A claim update (accounts.go `updateAccountWithClaimJWT`, DirJWTStore `saveIfNewer`): the
   * account as now trusted, `"older"` when what is held is newer (kept, and not an error, as in
   * nats-server), or why the JWT is refused. `known` restricts updates to accounts already held
   * (the MEMORY resolver's rule).
   */
  update(jwt: string, expectedKey: string | undefined, known: boolean): { key: string; definition: AccountDefinition } | "older" | "unknown" | string {
    const account = this.#account(jwt, expectedKey);
    if (typeof account === "string") return account;
    if (account.invalid !== undefined) return account.invalid;
    const held = this.#accounts.get(account.key);
    if (held === undefined && known) return "unknown";
    if (held !== undefined && held.issuedAt > account.issuedAt) return "older";
    this.#accounts.set(account.key, account);
    return { key: account.key, definition: this.#definition(account) };
  }

  /**
   * The account as the router takes it: each import that carries an activation token is marked
   * activated when the token passes against its exporter as now held (activation.ts).
   */
  #definition(account: TrustedAccount): AccountDefinition {
    if (account.importTokens.every((t) => t === undefined)) return account.definition;
    const now = Date.now();
    const imports = (account.definition.imports ?? []).map((imp, i) => {
      const token = account.importTokens[i];
      const exporter = token === undefined ? undefined : this.#accounts.get(token.exporter);
      if (token === undefined || exporter === undefined) return imp;
      const exported = exporter.privateExports.find((e) => e.kind === token.kind && isSubjectSubset(token.subject, e.subject));
      const issuer = { key: exporter.key, signingKeys: exporter.signingKeys, revocations: exported?.revocations ?? {} };
      return isActivated({ importer: account.key, ...token }, issuer, this.#decode, now) ? { ...imp, activated: true } : imp;
    });
    return { ...account.definition, imports };
  }

  /** The account JWT held for `key` (claim lookups). */
  accountJwt(key: string): string | undefined {
    return this.#accounts.get(key)?.jwt;
  }

  /** Every account key held (claim lists). */
  accountKeys(): string[] {
    return [...this.#accounts.keys()];
  }

  /** The accounts as the router needs them, by public key. */
  accountDefinitions(): Record<string, AccountDefinition> {
    const out: Record<string, AccountDefinition> = {};
    for (const [key, account] of this.#accounts) if (account.invalid === undefined) out[key] = this.#definition(account);
    return out;
  }

  /** The accounts whose JWT enables JetStream, by public key, with their limits. */
  jetstreamAccounts(): Map<string, AccountJetStreamLimits> {
    const out = new Map<string, AccountJetStreamLimits>();
    for (const [key, account] of this.#accounts) if (account.jetstream !== undefined) out.set(key, account.jetstream);
    return out;
  }

  has(account: string): boolean {
    return this.#accounts.has(account);
  }

  /** The user a CONNECT's JWT proves, or why not (nats-server logs the reason; clients see `Authorization Violation`). */
  user(connect: ConnectCredentials, nonce: string | undefined, context?: AuthContext, now = Date.now()): AuthenticatedUser | string {
    if (connect.jwt === "") return "no user JWT";
    let claims: Claims;
    try {
      claims = this.#decode(connect.jwt);
    } catch (err) {
      return `invalid user JWT: ${(err as Error).message}`;
    }
    return this.#admit(claims, connect, nonce, now, context);
  }

  /** The accounts whose JWT asks for an auth callout, with its settings. */
  callouts(): Map<string, AccountCallout> {
    const out = new Map<string, AccountCallout>();
    for (const [key, account] of this.#accounts) if (account.callout !== undefined) out.set(key, account.callout);
    return out;
  }

  /**
   * A user JWT the auth callout service returned for an account whose JWT has `authorization`
   * (auth_callout.go): issued by that account, or by an allowed one, or by one of their signing
   * keys; the user never signs a nonce.
   */
  calloutPlacement(calloutAccount: string): CalloutPlacement {
    const callout = this.#accounts.get(calloutAccount)?.callout;
    const allowed = new Set(callout?.allowedAccounts ?? []);
    return {
      responseSignedBy: (issuer, sealed) => sealed || issuer === calloutAccount || (this.#accounts.get(calloutAccount)?.signingKeys.has(issuer) ?? false),
      place: (claims) => {
        const nats = claims.nats ?? {};
        const issuerAccount = typeof nats["issuer_account"] === "string" && nats["issuer_account"] !== "" ? nats["issuer_account"] : claims.iss;
        if (issuerAccount !== calloutAccount && !allowed.has("*") && !allowed.has(issuerAccount)) return false;
        const user = this.#admit(claims as Claims, undefined, undefined, Date.now());
        return typeof user === "string" ? false : user;
      },
    };
  }

  /** Checks a decoded user JWT; with no CONNECT, there is no nonce to check (a callout's user). */
  #admit(claims: Claims, connect: ConnectCredentials | undefined, nonce: string | undefined, now: number, context?: AuthContext): AuthenticatedUser | string {
    if (typeOf(claims) !== "user") return "not a user JWT";
    const nats = claims.nats ?? {};
    const issuerAccount = typeof nats["issuer_account"] === "string" && nats["issuer_account"] !== "" ? nats["issuer_account"] : claims.iss;
    const account = this.#accounts.get(issuerAccount);
    if (account === undefined) return `account ${issuerAccount} not found`;
    if (account.invalid !== undefined) return `account ${issuerAccount} not valid: ${account.invalid}`;
    let template: Record<string, unknown> | undefined;
    if (claims.iss !== account.key) {
      if (!account.signingKeys.has(claims.iss)) return "user JWT not issued by its account or one of its signing keys";
      template = account.signingKeys.get(claims.iss)?.template;
    }
    if (claims.exp !== undefined && claims.exp !== 0 && claims.exp * 1000 <= now) return "user JWT expired";
    if (claims.nbf !== undefined && claims.nbf !== 0 && claims.nbf * 1000 > now) return "user JWT not yet valid";
    if (account.expires !== undefined && account.expires <= now) return "account expired";
    const issued = claims.iat ?? 0;
    const revokedAt = account.revocations[claims.sub] ?? account.revocations["*"];
    if (revokedAt !== undefined && issued <= revokedAt) return "user JWT revoked";
    const limits = template ?? nats;
    // auth.go checks the connection type after the scoped signer's template is applied.
    const types = Array.isArray(limits["allowed_connection_types"]) ? limits["allowed_connection_types"].filter((t): t is string => typeof t === "string") : [];
    if (context !== undefined && !connectionTypeAllowed(types, context.transport)) return "Connection type not allowed";
    if (connect !== undefined && limits["bearer_token"] !== true) {
      if (nonce === undefined || !verifyNonceSignature(claims.sub, nonce, connect.sig)) return "signature of the nonce does not verify";
    }
    if (context !== undefined && !sourceAllowed(sourceList(limits["src"]), context.remoteAddress)) return `Bad src Ip ${context.remoteAddress ?? ""}`;
    const window = connectWindow(timeRanges(limits["times"]), typeof limits["times_location"] === "string" ? limits["times_location"] : "", now);
    if (!window.allowed) return "Outside connect times";
    const expires = [claims.exp === undefined || claims.exp === 0 ? undefined : claims.exp * 1000, account.expires, window.validForMs === undefined ? undefined : now + window.validForMs].filter(
      (x): x is number => x !== undefined,
    );
    const name = connect === undefined && claims.name !== undefined && claims.name !== "" ? claims.name : claims.sub;
    const user: AuthenticatedUser = { user: name, account: account.key, permissions: permissionsOf(limits) };
    if (typeof limits["subs"] === "number" && limits["subs"] >= 0) user.maxSubscriptions = limits["subs"];
    if (typeof limits["payload"] === "number" && limits["payload"] >= 0) user.maxPayload = limits["payload"];
    if (expires.length > 0) user.expires = Math.min(...expires);
    return user;
  }

  #claims(at: string, jwt: string): Claims {
    try {
      return this.#decode(jwt.trim());
    } catch (err) {
      throw new InvalidOptionError(at, `invalid JWT: ${(err as Error).message}`);
    }
  }
}

/** Authentication in operator mode: every client needs a user JWT (the nonce is always sent). */
export class OperatorAuthenticator implements ConnectAuthenticator {
  readonly required = true;
  readonly needsNonce = true;
  readonly timeout: number | undefined;
  readonly noAuthUser = undefined;
  readonly #trusted: TrustedOperators;
  /** Auth callouts by the account whose JWT asks for one. */
  readonly #callouts = new Map<string, { readonly callout: AuthCallout; readonly authUsers: ReadonlySet<string> }>();

  /** @param bus How an account's auth callout reaches its service; needed when an account JWT has `authorization`. */
  constructor(trusted: TrustedOperators, bus?: CalloutBus) {
    this.#trusted = trusted;
    this.timeout = trusted.timeout;
    for (const [key, settings] of trusted.callouts()) {
      if (bus === undefined) throw new InvalidOptionError("operator", `account ${key} asks for an auth callout, which needs a server to send its requests`);
      const options = { issuer: key, authUsers: [...settings.authUsers], account: key, ...(settings.xkey === undefined ? {} : { xkey: settings.xkey }) };
      this.#callouts.set(key, { callout: new AuthCallout(options, bus, trusted.calloutPlacement(key)), authUsers: new Set(settings.authUsers) });
    }
  }

  authenticate(connect: ConnectCredentials, context: AuthContext, nonce: string | undefined): AuthResult | Promise<AuthResult> {
    const entry = this.#calloutFor(connect);
    if (entry !== undefined) {
      return entry.callout.authorize(connect, context, nonce, calloutTimeout(this.timeout ?? AUTH_TIMEOUT)).then((r) => entry.callout.restrict(r));
    }
    const user = this.#trusted.user(connect, nonce, context);
    if (typeof user === "string") return false;
    // An auth user of a callout account may not publish requests that look like the server's.
    const account = user.account === undefined ? undefined : this.#callouts.get(user.account);
    return account === undefined ? user : account.callout.restrict(user);
  }

  /**
   * auth.go: a user JWT of an account with an auth callout goes to the service unless it is one
   * of the account's auth users. The JWT is verified first: a forged one is refused as usual.
   */
  #calloutFor(connect: ConnectCredentials): { readonly callout: AuthCallout } | undefined {
    if (this.#callouts.size === 0 || connect.jwt === "") return undefined;
    let claims: Claims;
    try {
      claims = decodeJwt(connect.jwt) as Claims;
    } catch {
      return undefined;
    }
    const nats = claims.nats ?? {};
    const account = typeof nats["issuer_account"] === "string" && nats["issuer_account"] !== "" ? nats["issuer_account"] : claims.iss;
    const entry = this.#callouts.get(account);
    if (entry === undefined || entry.authUsers.has(claims.sub)) return undefined;
    return entry;
  }

  /** There are no named users to act as in-process. */
  lookup(): AuthenticatedUser | undefined {
    return undefined;
  }
}

/**
 * An account JWT's `mappings` (`{ "src": [{ subject, weight?, cluster? }] }`), as accounts.go
 * `updateAccountClaimsWithRefresh` adds them: a weight of 0 or none is 100. A destination for a
 * named cluster is left out (nats-server uses it only inside that cluster). What jwt's
 * `Mapping.Validate` calls an error (a destination with a wildcard, weights over 100) makes the
 * whole account JWT invalid, as in nats-server; a mapping that is otherwise refused is skipped.
 */
function jwtMappings(value: unknown): { mappings: SubjectMappingOptions | undefined; problem: string | undefined } {
  if (!isRecord(value)) return { mappings: undefined, problem: undefined };
  const out: Record<string, MappingDestination[]> = {};
  for (const [source, list] of Object.entries(value)) {
    if (!Array.isArray(list)) continue;
    const destinations: MappingDestination[] = [];
    let total = 0;
    for (const d of list as unknown[]) {
      if (!isRecord(d) || typeof d["subject"] !== "string") continue;
      const subject = d["subject"];
      if (subject.split(".").some((t) => t === "*" || t === ">")) {
        return { mappings: undefined, problem: `Subject ${JSON.stringify(subject)} in weighted mapping ${JSON.stringify(source)} is not allowed to contains wildcard` };
      }
      const weight = typeof d["weight"] === "number" && d["weight"] > 0 ? d["weight"] : 100;
      total += weight;
      if (typeof d["cluster"] === "string" && d["cluster"] !== "") continue;
      destinations.push({ destination: subject, weight });
    }
    if (total > 100) return { mappings: undefined, problem: `Mapping ${JSON.stringify(source)} exceeds 100% among all of it's weighted to mappings` };
    if (destinations.length === 0) continue;
    try {
      new SubjectMappings({ [source]: destinations }, "mappings");
      out[source] = destinations;
    } catch {
      // nats-server logs a mapping it cannot add and carries on without it.
    }
  }
  return { mappings: Object.keys(out).length === 0 ? undefined : out, problem: undefined };
}

/** An account JWT's `authorization`: none unless it names auth users (nats-server's hasExternalAuth). */
function accountCallout(nats: Record<string, unknown>): AccountCallout | undefined {
  const auth = nats["authorization"];
  if (!isRecord(auth)) return undefined;
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v !== "") : []);
  const authUsers = strings(auth["auth_users"]);
  if (authUsers.length === 0) return undefined;
  const xkey = typeof auth["xkey"] === "string" && auth["xkey"] !== "" ? auth["xkey"] : undefined;
  return { authUsers, allowedAccounts: strings(auth["allowed_accounts"]), xkey };
}

function typeOf(claims: Claims): string | undefined {
  const type = claims.nats?.["type"];
  return typeof type === "string" ? type : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `signing_keys`: plain keys, or scoped ones (`{ kind: "user_scope", key, template }`). */
function signingKeys(nats: Record<string, unknown> | undefined): [string, ScopedKey | undefined][] {
  const keys = nats?.["signing_keys"];
  if (!Array.isArray(keys)) return [];
  const out: [string, ScopedKey | undefined][] = [];
  for (const key of keys as unknown[]) {
    if (typeof key === "string") out.push([key, undefined]);
    else if (isRecord(key) && typeof key["key"] === "string") out.push([key["key"], { template: isRecord(key["template"]) ? key["template"] : {} }]);
  }
  return out;
}

/** An account JWT's exports and imports, as the router's account definition, with what activation tokens need. */
function accountDefinition(nats: Record<string, unknown>): {
  definition: AccountDefinition;
  importTokens: (ImportToken | undefined)[];
  privateExports: PrivateExport[];
  mappingProblem: string | undefined;
} {
  const exports: AccountExport[] = [];
  const privateExports: PrivateExport[] = [];
  for (const e of Array.isArray(nats["exports"]) ? (nats["exports"] as unknown[]) : []) {
    if (!isRecord(e) || typeof e["subject"] !== "string") continue;
    const kind = e["type"] === "service" ? "service" : "stream";
    // A private export: each importer needs an activation token the exporter signed for it.
    if (e["token_req"] === true) {
      privateExports.push({ kind, subject: e["subject"], revocations: isRecord(e["revocations"]) ? (e["revocations"] as Record<string, number>) : {} });
    }
    const tokenRequired = e["token_req"] === true ? { tokenRequired: true } : {};
    if (kind === "service") {
      const exp: AccountExport = { service: e["subject"], ...tokenRequired };
      const type = typeof e["response_type"] === "string" ? e["response_type"].toLowerCase() : "singleton";
      if (type === "stream" || type === "chunked") exp.responseType = type;
      if (typeof e["response_threshold"] === "number" && e["response_threshold"] > 0) exp.responseThreshold = Math.max(1, Math.round(e["response_threshold"] / 1e6));
      exports.push(exp);
    } else {
      exports.push({ stream: e["subject"], ...tokenRequired });
    }
  }
  const imports: AccountImport[] = [];
  const importTokens: (ImportToken | undefined)[] = [];
  for (const i of Array.isArray(nats["imports"]) ? (nats["imports"] as unknown[]) : []) {
    if (!isRecord(i) || typeof i["subject"] !== "string" || typeof i["account"] !== "string") continue;
    const source = { account: i["account"], subject: i["subject"] };
    const local = typeof i["local_subject"] === "string" && i["local_subject"] !== "" ? i["local_subject"] : undefined;
    const to = typeof i["to"] === "string" && i["to"] !== "" ? i["to"] : undefined;
    const kind = i["type"] === "service" ? "service" : "stream";
    // jwt Import.Validate: a service import's `to`, when set, is the subject the token must cover.
    const tokenSubject = kind === "service" && to !== undefined ? to : i["subject"];
    const token = typeof i["token"] === "string" && i["token"] !== "" ? { exporter: i["account"], kind, subject: tokenSubject, token: i["token"] } as const : undefined;
    // accounts.go: a service's local_subject is what the importer publishes on; without it,
    // the importer publishes on `subject` and the exporter hears `to` (when set).
    if (i["type"] === "service") {
      if (local !== undefined) imports.push({ service: source, to: local });
      else if (to !== undefined) imports.push({ service: { account: i["account"], subject: to }, to: i["subject"] });
      else imports.push({ service: source });
    }
    else if (local !== undefined) imports.push({ stream: source, to: local });
    else imports.push({ stream: source, ...(to === undefined ? {} : { prefix: to }) });
    importTokens.push(token);
  }
  // An account JWT's limits as nats-server decodes them: a missing one is zero, so an account
  // JWT without `limits` admits no connection (nsc writes -1, no limit, for each).
  const limits = isRecord(nats["limits"]) ? nats["limits"] : {};
  const limit = (key: string): number => (typeof limits[key] === "number" ? (limits[key] as number) : 0);
  const out: AccountDefinition = { limits: { connections: limit("conn"), subscriptions: limit("subs") } };
  // Unlike conn and subs, a missing payload or leaf limit is read as none: zero would refuse
  // every non-empty message (every leaf link) of JWTs written by hand or by libraries that
  // leave the field out.
  if (typeof limits["payload"] === "number" && limits["payload"] >= 0) out.limits!.payload = limits["payload"];
  if (typeof limits["leaf"] === "number" && limits["leaf"] >= 0) out.limits!.leafNodes = limits["leaf"];
  if (exports.length > 0) out.exports = exports;
  if (imports.length > 0) out.imports = imports;
  const { mappings, problem } = jwtMappings(nats["mappings"]);
  if (mappings !== undefined) out.mappings = mappings;
  return { definition: out, importTokens, privateExports, mappingProblem: problem };
}

/**
 * accounts.go `UpdateAccountClaimsWithRefresh`: JetStream is on when the flat limits, or a tier's,
 * allow memory or disk storage (non-zero); flat limits win over tiers. Only the R1 tier applies
 * to a server without a cluster. A per-stream byte limit or `max_ack_pending` of 0 means none.
 */
function jetstreamLimits(nats: Record<string, unknown>): AccountJetStreamLimits | undefined {
  const limits = isRecord(nats["limits"]) ? nats["limits"] : {};
  const read = (from: Record<string, unknown>, tier?: string): AccountJetStreamLimits => {
    const n = (key: string): number => (typeof from[key] === "number" ? (from[key] as number) : 0);
    const unlimitedIfZero = (key: string): number => (n(key) === 0 ? -1 : n(key));
    return {
      maxMemory: n("mem_storage"),
      maxStore: n("disk_storage"),
      maxStreams: n("streams"),
      maxConsumers: n("consumer"),
      maxBytesRequired: from["max_bytes_required"] === true,
      memoryMaxStreamBytes: unlimitedIfZero("mem_max_stream_bytes"),
      storeMaxStreamBytes: unlimitedIfZero("disk_max_stream_bytes"),
      ...(tier === undefined ? {} : { tier }),
    };
  };
  const flat = read(limits);
  if (flat.maxMemory !== 0 || flat.maxStore !== 0) return flat;
  const tiers = isRecord(limits["tiered_limits"]) ? limits["tiered_limits"] : {};
  const r1 = isRecord(tiers["R1"]) ? read(tiers["R1"], "R1") : undefined;
  if (r1 !== undefined && (r1.maxMemory !== 0 || r1.maxStore !== 0)) return r1;
  // Another tier alone enables JetStream in nats-server too; R1 streams then have no room.
  const enabledElsewhere = Object.values(tiers).some((tier) => isRecord(tier) && ((typeof tier["mem_storage"] === "number" && tier["mem_storage"] !== 0) || (typeof tier["disk_storage"] === "number" && tier["disk_storage"] !== 0)));
  return enabledElsewhere ? { ...read({}, "R1"), memoryMaxStreamBytes: -1, storeMaxStreamBytes: -1 } : undefined;
}

/**
 * Who may connect, and as whom: nats-server's authentication methods (auth.go
 * processClientOrLeafAuthentication) — a token, a single user/password, a list of users
 * (plain or bcrypt passwords, or nkeys signing the server's nonce), `no_auth_user` — and a
 * host-supplied `authenticate` function that can replace them all.
 */
import { AUTH_TIMEOUT } from "../base/constants.ts";
import { InvalidOptionError } from "../base/errors.ts";
import { AuthCallout, calloutTimeout, checkCalloutOptions, type AuthCalloutOptions, type CalloutBus } from "./auth-callout.ts";
import { connectionTypeAllowed, parseConnectionTypes } from "./connection-types.ts";
import { checkSecret, isBcrypt, loadBcrypt, loadNkeys, verifyNonceSignature } from "./credentials.ts";
import type { Permissions } from "../core/permissions.ts";
import type { AuthContext, AuthenticatedUser, AuthResult, ConnectAuthenticator, ConnectCredentials } from "../core/identity.ts";

export type { AuthContext, AuthenticatedUser, AuthResult, ConnectCredentials } from "../core/identity.ts";

/** One entry of `users`: a user with a password, or an nkey user. */
export interface UserConfig {
  /** User name (for password users). */
  user?: string;
  /** Plain text or a bcrypt hash (`$2a$...`). */
  password?: string;
  /** Public user nkey (`U...`): the client proves it holds the seed by signing the nonce. */
  nkey?: string;
  permissions?: Permissions;
  /** The account the user is in; set for the users listed under `accounts`. */
  account?: string;
  /**
   * `allowed_connection_types`: the kinds of connection the user may come in over (`STANDARD`,
   * `WEBSOCKET`, `IN_PROCESS` for `server.connect()`, `LEAFNODE`, ...). Absent or empty: any.
   */
  allowedConnectionTypes?: string[];
}

/** The host's own authentication, sync or async. */
export type AuthenticateFn = (connect: ConnectCredentials, context: AuthContext) => AuthResult | Promise<AuthResult>;

/** nats-server's `authorization { }` block, plus the host hook. */
export interface AuthOptions {
  /** A single token (`auth_token` in CONNECT); plain or bcrypt. */
  token?: string;
  /** A single user. */
  user?: string;
  password?: string;
  /** Users with passwords and/or nkeys, each with optional permissions. */
  users?: UserConfig[];
  /** Clients that send no credentials connect as this user (must be in `users`). */
  noAuthUser?: string;
  /** Milliseconds a client has to authenticate. Default 2000 (nats-server `AUTH_TIMEOUT`). */
  timeout?: number;
  /** Decides alone when given: return a user (and permissions) or a refusal. */
  authenticate?: AuthenticateFn;
  /** nats-server's `auth_callout`: a service decides for every client but its own users. */
  callout?: AuthCalloutOptions;
}

/** Authentication compiled from {@link AuthOptions}. */
export class Authenticator implements ConnectAuthenticator {
  /** Whether clients must authenticate at all. */
  readonly required: boolean;
  /** Whether INFO carries a nonce (nkey users exist, or the host's hook may want one). */
  readonly needsNonce: boolean;
  readonly timeout: number | undefined;
  readonly noAuthUser: AuthenticatedUser | undefined;
  readonly #options: AuthOptions;
  readonly #byName = new Map<string, UserConfig>();
  readonly #byNkey = new Map<string, UserConfig>();
  readonly #mapCertificates: boolean;
  /** The auth callout, when configured. */
  readonly callout: AuthCallout | undefined;

  /**
   * @param mapCertificates TLS `verifyAndMap`: a verified client certificate names the user
   *   (an email or DNS subjectAltName, the full subject, or its CN must equal a `users` name).
   * @param bus How the auth callout reaches its service; needed when `callout` is configured.
   */
  constructor(options: AuthOptions | undefined, mapCertificates = false, bus?: CalloutBus) {
    this.#options = options ?? {};
    this.#mapCertificates = mapCertificates;
    const o = this.#options;
    for (const u of o.users ?? []) {
      if (u.nkey !== undefined) {
        if (!/^U[A-Z2-7]{55}$/.test(u.nkey)) throw new InvalidOptionError("authorization.users", `"${u.nkey}" is not a user nkey`);
        this.#byNkey.set(u.nkey, u);
      }
      if (u.user !== undefined) {
        // nats-server refuses it too: which password, which account?
        if (this.#byName.has(u.user)) throw new InvalidOptionError("authorization.users", `duplicate user "${u.user}"`);
        this.#byName.set(u.user, u);
      }
      if (u.user === undefined && u.nkey === undefined) throw new InvalidOptionError("authorization.users", "an entry needs a user or an nkey");
      const unknown = parseConnectionTypes(u.allowedConnectionTypes ?? []).unknown;
      if (unknown.length > 0) throw new InvalidOptionError("authorization.users", `invalid connection types ${JSON.stringify(unknown)}`);
    }
    if ((o.user === undefined) !== (o.password === undefined)) {
      throw new InvalidOptionError("authorization", "user and password go together");
    }
    if (o.token !== undefined && (o.user !== undefined || (o.users?.length ?? 0) > 0)) {
      // nats-server refuses this combination too.
      throw new InvalidOptionError("authorization", "a token cannot be combined with users");
    }
    if (o.timeout !== undefined && (!Number.isInteger(o.timeout) || o.timeout <= 0)) {
      throw new InvalidOptionError("authorization.timeout", `must be a positive integer (ms), got ${o.timeout}`);
    }
    if (o.callout !== undefined) {
      if (o.authenticate !== undefined) throw new InvalidOptionError("authorization.callout", "cannot be combined with authenticate");
      checkCalloutOptions(o.callout, (name) => this.#byName.has(name) || this.#byNkey.has(name));
      if (bus === undefined) throw new InvalidOptionError("authorization.callout", "needs a server to send its requests");
      this.callout = new AuthCallout(o.callout, bus);
    }
    this.required = o.token !== undefined || o.user !== undefined || (o.users?.length ?? 0) > 0 || o.authenticate !== undefined || this.callout !== undefined;
    // The service may want to check a client's nkey signature (client_info.nonce).
    this.needsNonce = this.#byNkey.size > 0 || o.authenticate !== undefined || this.callout !== undefined;
    // Loaded now rather than inside the first client's CONNECT. A bcrypt load that fails
    // is retried, and reported as a refused login, by the first check.
    if (this.#byNkey.size > 0) loadNkeys();
    const secrets = [o.token, o.password, ...(o.users ?? []).map((u) => u.password)];
    if (secrets.some((s) => s !== undefined && isBcrypt(s))) loadBcrypt().catch(() => undefined);
    this.timeout = o.timeout;
    if (o.noAuthUser !== undefined) {
      const entry = this.#byName.get(o.noAuthUser);
      if (entry === undefined) throw new InvalidOptionError("authorization.noAuthUser", `"${o.noAuthUser}" is not in users`);
      this.noAuthUser = asUser(o.noAuthUser, entry);
    }
  }

  /** Checks a CONNECT; `nonce` is the one this connection's INFO carried, if any. */
  authenticate(connect: ConnectCredentials, context: AuthContext, nonce: string | undefined): AuthResult | Promise<AuthResult> {
    const o = this.#options;
    if (o.authenticate !== undefined) return o.authenticate(connect, context);
    const callout = this.callout;
    if (callout === undefined) return this.#local(connect, context, nonce);
    const ask = (): Promise<AuthResult> => callout.authorize(connect, context, nonce, calloutTimeout(this.timeout ?? AUTH_TIMEOUT)).then((r) => callout.restrict(r));
    // auth.go: the service's own users are checked here, and so, when allowed_accounts is set,
    // are users of the other named accounts; everyone else (users of $G included) is the service's to judge.
    if (callout.isAuthUser(connect)) return then(this.#local(connect, context, nonce), (r) => callout.restrict(r));
    if (!callout.delegatesAll) {
      const decide = (r: AuthResult): AuthResult | Promise<AuthResult> => (r !== false && r !== null && r !== undefined && !callout.delegates(r.account) ? callout.restrict(r) : ask());
      const local = this.#local(connect, context, nonce);
      return local instanceof Promise ? local.then(decide) : decide(local);
    }
    return ask();
  }

  #local(connect: ConnectCredentials, context: AuthContext, nonce: string | undefined): AuthResult | Promise<AuthResult> {
    const o = this.#options;
    if (this.#mapCertificates && this.#byName.size > 0 && context.tls !== undefined) return this.#fromCertificate(context.tls, context.transport);
    if (connect.nkey !== "" && this.#byNkey.size > 0) {
      const entry = this.#byNkey.get(connect.nkey);
      if (entry === undefined || nonce === undefined || !verifyNonceSignature(connect.nkey, nonce, connect.sig)) return false;
      if (!connectionTypeAllowed(entry.allowedConnectionTypes, context.transport)) return false;
      return asUser(connect.nkey, entry);
    }
    if (connect.user !== "" && this.#byName.size > 0) {
      const entry = this.#byName.get(connect.user);
      if (entry?.password === undefined) return false;
      if (!connectionTypeAllowed(entry.allowedConnectionTypes, context.transport)) return false;
      return then(checkSecret(connect.pass, entry.password), (ok) => ok && asUser(connect.user, entry));
    }
    if (o.token !== undefined) {
      if (connect.authToken === "") return this.#noAuth(connect, context);
      return then(checkSecret(connect.authToken, o.token), (ok) => ok && { user: "[token]" });
    }
    if (o.user !== undefined && o.password !== undefined) {
      if (connect.user === "") return this.#noAuth(connect, context);
      if (connect.user !== o.user) return false;
      return then(checkSecret(connect.pass, o.password), (ok) => ok && { user: o.user! });
    }
    return this.#noAuth(connect, context);
  }

  /** A configured user by name (or nkey), for `server.as(name)`. */
  lookup(name: string): AuthenticatedUser | undefined {
    const entry = this.#byName.get(name) ?? this.#byNkey.get(name);
    return entry === undefined ? undefined : asUser(name, entry);
  }

  /** TLS verify_and_map: the certificate's names, most specific first, against `users`. */
  #fromCertificate(tls: NonNullable<AuthContext["tls"]>, transport: string): AuthResult {
    if (!tls.authorized) return false;
    const cn = /(?:^|,)CN=([^,]+)/.exec(tls.subject ?? "")?.[1];
    for (const name of [...tls.altNames, tls.subject, cn]) {
      if (name === undefined) continue;
      const entry = this.#byName.get(name);
      // auth.go: the mapping lookup skips users not allowed on the connection type.
      if (entry !== undefined && connectionTypeAllowed(entry.allowedConnectionTypes, transport)) return asUser(name, entry);
    }
    return false;
  }

  /** No credentials: `no_auth_user` if configured and the client sent none at all. */
  #noAuth(connect: ConnectCredentials, context: AuthContext): AuthResult {
    const sentNothing = connect.user === "" && connect.pass === "" && connect.authToken === "" && connect.nkey === "";
    const user = this.noAuthUser;
    if (!sentNothing || user === undefined) return false;
    // auth.go: no_auth_user stands for its entry in users, connection types included.
    return connectionTypeAllowed(this.#byName.get(user.user)?.allowedConnectionTypes, context.transport) && user;
  }
}

function asUser(name: string, entry: UserConfig): AuthenticatedUser {
  return entry.account === undefined ? { user: name, permissions: entry.permissions } : { user: name, permissions: entry.permissions, account: entry.account };
}

/** Applies `fn` to a value or a promise of it, staying synchronous when the value is. */
function then<T, R>(value: T | Promise<T>, fn: (v: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

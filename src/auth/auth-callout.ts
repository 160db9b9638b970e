/**
 * Auth callout, as nats-server 2.10's (`authorization { auth_callout { } }`): a client that is not
 * one of the callout service's own users is not judged here. The server sends an authorization
 * request JWT, signed with its own nkey, on `$SYS.REQ.USER.AUTH` in the callout account; the
 * service answers with an authorization response JWT carrying a user JWT (issued by the
 * configured issuer, `aud` naming the account) or an error. The connection then becomes that
 * user, with the JWT's permissions, subscription limit and expiry.
 *
 * Everything the service sends is untrusted: any failure to decode, verify or match is a refusal,
 * never an exception, and the number of requests awaiting an answer is capped.
 */
import { randomBytes } from "node:crypto";
import { InvalidOptionError } from "../base/errors.ts";
import type { AuthContext, AuthenticatedUser, AuthResult, ConnectCredentials } from "../core/identity.ts";
import type { Permissions } from "../core/permissions.ts";
import { loadNkeys } from "./credentials.ts";
import { decodeJwt, encodeJwt, newNkey, NKEY_PREFIX, type JwtClaims, type NkeySigner } from "./nkey-jwt.ts";
import { permissionsOf } from "./jwt-permissions.ts";

const GLOBAL = "$G";

/** The subject nats-server sends authorization requests on, in the callout account. */
export const AUTH_CALLOUT_SUBJECT = "$SYS.REQ.USER.AUTH";
/** nats-server's `aud` of an authorization request. */
const AUTH_REQUEST_AUDIENCE = "nats-authorization-request";
/** The header naming the server's curve key when the request is encrypted. */
export const AUTH_REQUEST_XKEY_HEADER = "Nats-Server-Xkey";
/**
 * Requests awaiting the service at once, by default. nats-server has no cap; without one, a burst
 * of connections to a slow service holds a request, a timer and a connection each, without bound.
 */
export const DEFAULT_MAX_PENDING_CALLOUTS = 256;

/** `authorization { auth_callout { } }`. */
export interface AuthCalloutOptions {
  /** The account public key (`A...`) that issues the user JWTs the service returns. */
  issuer: string;
  /** Users (names or nkeys from `users`) the service connects as: they bypass the callout. */
  authUsers: string[];
  /** The account the service subscribes in; `$G` when absent. */
  account?: string;
  /** The service's curve public key (`X...`): requests are sealed to it, responses may be. */
  xkey?: string;
  /**
   * Accounts whose locally authenticated users are delegated to the service too; users of other
   * accounts keep what the server decided. Empty or absent: every account is delegated.
   */
  allowedAccounts?: string[];
  /** Requests awaiting an answer at once; beyond it a client is refused at once. Default 256. */
  maxPending?: number;
}

/** The server fields of a request (`server_id`). */
export interface CalloutServerInfo {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly version: string;
}

/** What the callout needs of the server: a request in one account, and who the server is. */
export interface CalloutBus {
  readonly server: CalloutServerInfo;
  /** The server's nkey, which signs the requests. */
  readonly signer: NkeySigner;
  hasAccount(name: string): boolean;
  /** Resolves with the reply's payload; rejects on timeout or when nobody listens. */
  request(account: string, subject: string, payload: Uint8Array, headers: Record<string, string> | undefined, timeout: number): Promise<Uint8Array>;
}

/** A curve key pair of @nats-io/nkeys: it seals and opens. */
type CurveKeyPair = ReturnType<typeof import("@nats-io/nkeys").createCurve>;

const NKEY = (prefix: string): RegExp => new RegExp(`^${prefix}[A-Z2-7]{55}$`);

/** Operator mode's rules for an answer, which only the account JWTs can decide. */
export interface CalloutPlacement {
  /** Whether the response may be signed by `issuer` (its `issuer_account`, else its `iss`); `sealed` answers came through the xkey. */
  responseSignedBy(issuer: string, sealed: boolean): boolean;
  /** The user a verified user JWT (for the right user nkey, within its dates) makes, or a refusal. */
  place(claims: JwtClaims): AuthResult;
}

/** Checks the options against the users that exist; throws what is wrong. */
export function checkCalloutOptions(options: AuthCalloutOptions, userExists: (name: string) => boolean): void {
  if (!NKEY("A").test(options.issuer)) throw new InvalidOptionError("authorization.auth_callout.issuer", `"${options.issuer}" is not an account public key`);
  // nats-server refuses a callout nobody can serve: the service must be able to connect.
  if (options.authUsers.length === 0) throw new InvalidOptionError("authorization.auth_callout.auth_users", "at least one auth user is needed");
  for (const name of options.authUsers) {
    if (!userExists(name)) throw new InvalidOptionError("authorization.auth_callout.auth_users", `"${name}" is not a configured user`);
  }
  if (options.xkey !== undefined && !NKEY("X").test(options.xkey)) throw new InvalidOptionError("authorization.auth_callout.xkey", `"${options.xkey}" is not a curve public key`);
  const max = options.maxPending;
  if (max !== undefined && (!Number.isInteger(max) || max <= 0)) throw new InvalidOptionError("authorization.auth_callout.maxPending", `must be a positive integer, got ${max}`);
}

/** Sends authorization requests and judges the answers. */
export class AuthCallout {
  readonly #options: AuthCalloutOptions;
  readonly #bus: CalloutBus;
  readonly #account: string;
  readonly #maxPending: number;
  readonly #authUsers: ReadonlySet<string>;
  readonly #curve: CurveKeyPair | undefined;
  readonly #allowedAccounts: ReadonlySet<string>;
  readonly #placement: CalloutPlacement | undefined;
  #pending = 0;

  /**
   * @param placement Operator mode: who may sign the answer and where its user goes, by the
   *   account JWTs; configuration mode (the issuer and `aud`) when absent.
   */
  constructor(options: AuthCalloutOptions, bus: CalloutBus, placement?: CalloutPlacement) {
    this.#options = options;
    this.#placement = placement;
    this.#bus = bus;
    this.#account = options.account ?? GLOBAL;
    if (!bus.hasAccount(this.#account)) throw new InvalidOptionError("authorization.auth_callout.account", `"${this.#account}" is not a configured account`);
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING_CALLOUTS;
    this.#authUsers = new Set(options.authUsers);
    this.#allowedAccounts = new Set(options.allowedAccounts ?? []);
    for (const name of this.#allowedAccounts) {
      if (!bus.hasAccount(name)) throw new InvalidOptionError("authorization.auth_callout.allowed_accounts", `"${name}" is not a configured account`);
    }
    this.#curve = options.xkey === undefined ? undefined : loadNkeys().createCurve();
  }

  /** Whether the CONNECT names one of the service's own users (by name or nkey). */
  isAuthUser(connect: ConnectCredentials): boolean {
    return (connect.nkey !== "" && this.#authUsers.has(connect.nkey)) || (connect.user !== "" && this.#authUsers.has(connect.user));
  }

  /** Whether every locally authenticated user goes to the service (no `allowed_accounts`). */
  get delegatesAll(): boolean {
    return this.#allowedAccounts.size === 0;
  }

  /** Whether a user the server authenticated into `account` still goes to the service. */
  delegates(account: string | undefined): boolean {
    return account === undefined || account === GLOBAL || this.#allowedAccounts.size === 0 || this.#allowedAccounts.has(account);
  }

  /**
   * auth.go: a client admitted into the callout account may not publish authorization requests
   * itself, so no one there can pose as the server to the service.
   */
  restrict(result: AuthResult): AuthResult {
    if (result === false || result === null || result === undefined) return result;
    if ((result.account ?? GLOBAL) !== this.#account) return result;
    return { ...result, permissions: denyPublish(result.permissions, AUTH_CALLOUT_SUBJECT) };
  }

  /** Asks the service; any failure, including a timeout, is a refusal. */
  async authorize(connect: ConnectCredentials, context: AuthContext, nonce: string | undefined, timeout: number): Promise<AuthResult> {
    if (this.#pending >= this.#maxPending) return false;
    this.#pending++;
    try {
      return await this.#authorize(connect, context, nonce, timeout);
    } catch {
      return false;
    } finally {
      this.#pending--;
    }
  }

  async #authorize(connect: ConnectCredentials, context: AuthContext, nonce: string | undefined, timeout: number): Promise<AuthResult> {
    const userKey = newNkey(NKEY_PREFIX.user).publicKey;
    const server = this.#bus.server;
    const now = Date.now();
    const request = encodeJwt(
      {
        sub: this.#options.issuer,
        aud: AUTH_REQUEST_AUDIENCE,
        // Rounded up: with a sub-second timeout, rounding down could name a second already begun.
        exp: Math.ceil((now + timeout) / 1000),
        nats: {
          type: "authorization_request",
          version: 2,
          server_id: { name: server.name, host: server.host, id: server.id, version: server.version, ...(this.#curve === undefined ? {} : { xkey: this.#curve.getPublicKey() }) },
          user_nkey: userKey,
          client_info: clientInfo(connect, context, nonce),
          connect_opts: connectOpts(connect),
          request_nonce: randomBytes(11).toString("base64url"),
        },
      },
      this.#bus.signer,
    );
    let payload: Uint8Array = new TextEncoder().encode(request);
    let headers: Record<string, string> | undefined;
    if (this.#curve !== undefined) {
      payload = this.#curve.seal(payload, this.#options.xkey!);
      headers = { [AUTH_REQUEST_XKEY_HEADER]: this.#curve.getPublicKey() };
    }
    const reply = await this.#bus.request(this.#account, AUTH_CALLOUT_SUBJECT, payload, headers, timeout);
    return this.#judge(reply, userKey);
  }

  /** The answer, verified: a user for this connection, or a refusal. */
  #judge(reply: Uint8Array, userKey: string): AuthResult {
    let bytes = reply;
    const text = new TextDecoder().decode(bytes);
    // A JWT starts with its base64url header; anything else is a sealed answer when xkey is set.
    const sealed = this.#curve !== undefined && !text.startsWith("eyJ");
    if (sealed) {
      const opened = this.#curve!.open(bytes, this.#options.xkey!);
      if (opened === null) return false;
      bytes = opened;
    }
    const now = Date.now();
    const response = decodeJwt(new TextDecoder().decode(bytes).trim());
    if (response.nats?.["type"] !== "authorization_response") return false;
    if (!withinDates(response, now)) return false;
    if (response.sub !== userKey || response.aud !== this.#bus.server.id) return false;
    const error = response.nats["error"];
    if (typeof error === "string" && error !== "") return false;
    const userJwt = response.nats["jwt"];
    if (typeof userJwt !== "string" || userJwt === "") return false;
    const claims = decodeJwt(userJwt);
    if (claims.nats?.["type"] !== "user" || claims.sub !== userKey || !withinDates(claims, now)) return false;
    if (this.#placement !== undefined) {
      const issuer = typeof response.nats["issuer_account"] === "string" && response.nats["issuer_account"] !== "" ? response.nats["issuer_account"] : response.iss;
      return this.#placement.responseSignedBy(issuer, sealed) ? this.#placement.place(claims) : false;
    }
    return this.#place(claims);
  }

  /** Configuration mode: the issuer signs, `aud` names the account. */
  #place(claims: JwtClaims): AuthResult {
    const nats = claims.nats ?? {};
    // Outside operator mode an issuer_account has no account JWT to be checked against (auth_callout.go).
    if (typeof nats["issuer_account"] === "string" && nats["issuer_account"] !== "") return false;
    if (claims.iss !== this.#options.issuer) return false;
    if (typeof claims.aud !== "string" || claims.aud === "") return false;
    const user: AuthenticatedUser = { user: claims.name !== undefined && claims.name !== "" ? claims.name : claims.sub, account: claims.aud };
    const permissions = permissionsOf(nats);
    if (permissions !== undefined) user.permissions = permissions;
    if (typeof nats["subs"] === "number" && nats["subs"] >= 0) user.maxSubscriptions = nats["subs"];
    if (claims.exp !== undefined && claims.exp !== 0) user.expires = claims.exp * 1000;
    return user;
  }
}

function denyPublish(permissions: Permissions | undefined, subject: string): Permissions {
  const publish = permissions?.publish;
  if (publish === undefined) return { ...permissions, publish: { deny: [subject] } };
  if (Array.isArray(publish)) return { ...permissions, publish: { allow: publish, deny: [subject] } };
  return { ...permissions, publish: { ...publish, deny: [...(publish.deny ?? []), subject] } };
}

/**
 * The connection's own authentication timer started at INFO, before CONNECT: waiting a little
 * less than it lets a silent service end in `Authorization Violation`, as nats-server's callout
 * timeout does, rather than racing the timer's `Authentication Timeout`.
 */
export function calloutTimeout(authTimeout: number): number {
  return Math.max(1, authTimeout - Math.min(250, Math.floor(authTimeout / 4)));
}

function withinDates(claims: JwtClaims, now: number): boolean {
  // A date that is not a number is a claim nats-server could not even decode.
  if ((claims.exp !== undefined && typeof claims.exp !== "number") || (claims.nbf !== undefined && typeof claims.nbf !== "number")) return false;
  if (claims.exp !== undefined && claims.exp !== 0 && claims.exp * 1000 <= now) return false;
  return !(claims.nbf !== undefined && claims.nbf !== 0 && claims.nbf * 1000 > now);
}

/** `client_info`: what the connection core tells authentication about the client. */
function clientInfo(connect: ConnectCredentials, context: AuthContext, nonce: string | undefined): Record<string, unknown> {
  const info: Record<string, unknown> = {
    host: context.remoteAddress ?? "",
    user: connect.user !== "" ? connect.user : connect.nkey,
    name: connect.name,
    // client.go kindString/clientTypeString: a leaf node (checked as a client when its port has
    // no authorization of its own) is a `Leafnode` with no client type.
    ...(context.transport === "leafnode" ? { kind: "Leafnode" } : { kind: "Client", type: context.transport === "websocket" ? "websocket" : "nats" }),
  };
  // As nats-server: the nonce only when the client signed it, so the service can check the signature.
  if (connect.sig !== "" && nonce !== undefined) info["nonce"] = nonce;
  return info;
}

/** `connect_opts`: the CONNECT fields with nats-server's JSON names. */
function connectOpts(connect: ConnectCredentials): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields: [string, string][] = [
    ["jwt", connect.jwt],
    ["nkey", connect.nkey],
    ["sig", connect.sig],
    ["auth_token", connect.authToken],
    ["user", connect.user],
    ["pass", connect.pass],
    ["name", connect.name],
    ["lang", connect.lang],
    ["version", connect.version],
  ];
  for (const [key, value] of fields) if (value !== "") out[key] = value;
  // The connection core hands over its parsed CONNECT; `protocol` is read when it is there.
  const protocol = (connect as Partial<Record<"protocol", unknown>>).protocol;
  if (typeof protocol === "number") out["protocol"] = protocol;
  return out;
}

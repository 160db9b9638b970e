/**
 * Who is on the other end of a connection, as the connection core needs to know it: what the
 * client sent to prove it, where it came from, and what authentication made of it. The auth
 * feature implements {@link ConnectAuthenticator}; the core only calls it.
 */
import type { Permissions } from "./permissions.ts";

/** What a verified client certificate says, for authentication. */
export interface PeerIdentity {
  readonly authorized: boolean;
  /** The subject as an RFC 2253 string (`CN=alice,O=Acme`), if a certificate was sent. */
  readonly subject: string | undefined;
  /** Email and DNS names from the certificate's subjectAltName. */
  readonly altNames: readonly string[];
}

/** What a client said in CONNECT that matters to authentication. */
export interface ConnectCredentials {
  user: string;
  pass: string;
  authToken: string;
  nkey: string;
  sig: string;
  jwt: string;
  name: string;
  lang: string;
  version: string;
}

/** Where the connection came from. */
export interface AuthContext {
  transport: string;
  remoteAddress: string | undefined;
  /** Present for TLS connections: whether the client certificate verified, and what it names. */
  tls: { authorized: boolean; subject: string | undefined; altNames: readonly string[] } | undefined;
}

/** A successful authentication: who the client is and what it may do. */
export interface AuthenticatedUser {
  /** Shown in monitoring and logs (nats-server `authorized_user`). */
  user: string;
  /** Undefined means everything is allowed. */
  permissions?: Permissions | undefined;
  /** The account the client is in (`accounts { }`); the global account `$G` when absent. */
  account?: string | undefined;
  /**
   * When the credentials expire (ms since epoch; a JWT's `exp`): the client is told
   * `User Authentication Expired` and closed then, as nats-server does.
   */
  expires?: number | undefined;
  /** Subscriptions this user may hold on one connection (a user JWT's `subs`); -1 or absent for no limit. */
  maxSubscriptions?: number | undefined;
  /** Payload bytes per message this user may publish (a user JWT's `payload`); -1 or absent for no limit. */
  maxPayload?: number | undefined;
}

/** A refusal is `false` (or null/undefined); anything else must be an {@link AuthenticatedUser}. */
export type AuthResult = AuthenticatedUser | false | null | undefined;

/** The authentication in force, as a connection asks it (the auth feature's `Authenticator`). */
export interface ConnectAuthenticator {
  /** Whether clients must authenticate at all. */
  readonly required: boolean;
  /** Whether INFO carries a nonce. */
  readonly needsNonce: boolean;
  /** Milliseconds a client has to authenticate; undefined for nats-server's default. */
  readonly timeout: number | undefined;
  /** Who a client that sends no credentials is, when `no_auth_user` is set. */
  readonly noAuthUser: AuthenticatedUser | undefined;
  authenticate(connect: ConnectCredentials, context: AuthContext, nonce: string | undefined): AuthResult | Promise<AuthResult>;
}

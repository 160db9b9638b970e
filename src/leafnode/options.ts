/**
 * The `leafnodes` option: remotes this broker dials as a leaf node (the "solicit" side), and
 * a listener other leaf nodes dial to use this broker as their hub. Names and defaults follow
 * nats-server's `leafnodes { }` block (opts.go LeafNodeOpts, RemoteLeafOpts).
 */
import { readFileSync } from "node:fs";
import { InvalidOptionError } from "../base/errors.ts";
import type { AuthOptions } from "../auth/authenticator.ts";
import { GLOBAL_ACCOUNT } from "../core/account.ts";
import { resolveTls, type ResolvedTls, type TlsOptions } from "../transport/tls.ts";

/** nats-server DEFAULT_LEAF_NODE_RECONNECT: wait between attempts to reach a remote. */
export const DEFAULT_LEAF_NODE_RECONNECT = 1000;
/** nats-server leafNodeReconnectDelayAfterLoopDetected: a loop is not retried soon. */
export const LEAF_RECONNECT_DELAY_AFTER_LOOP = 30_000;
/** nats-server DEFAULT_LEAFNODE_PORT. */
export const DEFAULT_LEAFNODE_PORT = 7422;
/** Cap of the reconnect backoff: attempts to an unreachable hub settle at this interval. */
export const MAX_LEAF_RECONNECT_BACKOFF = 30_000;

/** How this broker proves who it is to a hub; one of the forms nats-server's remotes accept. */
export interface LeafCredentials {
  /** User and password (URL userinfo works too: `nats-leaf://user:pass@host:7422`). */
  user?: string;
  password?: string;
  /** A token (sent as `auth_token`). */
  token?: string;
  /** An nkey seed (`SU...`): the nonce is signed with it, as nats-server's remote `nkey`. */
  nkeySeed?: string;
  /** Path of a `.creds` file (a user JWT and its nkey seed), as nats-server's `credentials`. */
  credentialsFile?: string;
  /** The text of a `.creds` file, instead of a path. */
  credentials?: string;
}

/** One hub to join (nats-server `leafnodes.remotes[]`). */
export interface LeafRemoteOptions extends LeafCredentials {
  /** Hub URLs (`nats-leaf://`, `nats://`, `tls://` or `host:port`); tried in turn. */
  urls: string[];
  /**
   * The local account this link binds (nats-server's remote `account`): its subscriptions'
   * interest goes to the hub, the hub's messages are delivered in it only, and its publishes
   * flow to the hub. Default `$G`. In operator mode, an account public key (`A...`).
   */
  account?: string;
  /**
   * TLS to the hub: `true` for the system CAs, or `ca`/`caFile` to trust, and `cert`/`key` for
   * mutual TLS. Without it, TLS is still used when the hub's INFO says `tls_required`.
   */
  tls?: boolean | LeafRemoteTls;
  /** Milliseconds between reconnect attempts (nats-server `reconnect`); backs off up to 30 s. Default 1000. */
  reconnectDelay?: number;
  /** Subjects this leaf never sends to the hub (nats-server `deny_exports`). */
  denyExports?: string[];
  /** Subjects this leaf never takes from the hub (nats-server `deny_imports`). */
  denyImports?: string[];
}

/** TLS settings for dialing a hub. */
export interface LeafRemoteTls {
  ca?: string | Buffer;
  caFile?: string;
  cert?: string | Buffer;
  certFile?: string;
  key?: string | Buffer;
  keyFile?: string;
  /** Check the hub's certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Server name for SNI and certificate checks; defaults to the URL's host. */
  serverName?: string;
}

/** nats-server's `leafnodes { }` block. */
export interface LeafNodeOptions {
  /** Hubs to join as a leaf node. */
  remotes?: LeafRemoteOptions[];
  /** Accept leaf nodes on this port (0 picks a free one; nats-server's default is 7422). */
  port?: number;
  /** Bind address of the leaf port; defaults to the server's `host`. */
  host?: string;
  /**
   * Who may connect as a leaf node (user/password, token, users, nkeys), and the account each
   * is bound to (a user's `account`). Left out, a leaf node is checked as a client would be
   * (the server's `authorization`, its accounts' users, `noAuthUser`, operator JWTs), as
   * nats-server does; with no client authentication either, it is bound to `$G`.
   */
  authorization?: LeafAuthorization;
  /** TLS for the leaf port (INFO says `tls_required`). */
  tls?: TlsOptions;
}

/** nats-server's `leafnodes { authorization { } }`: client-style authentication plus `account`. */
export interface LeafAuthorization extends AuthOptions {
  /** The account the single `user` is bound to (a `users` entry names its own). Default `$G`. */
  account?: string;
}

/** A remote with its credentials read and its URLs parsed. */
export interface ResolvedLeafRemote {
  readonly urls: readonly URL[];
  /** The local account the link binds (`$G` unless configured). */
  readonly account: string;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly token: string | undefined;
  readonly nkeySeed: string | undefined;
  /** User JWT from a creds file; its seed is in `nkeySeed`. */
  readonly jwt: string | undefined;
  /** TLS to the hub with certificate files read; undefined: only when the hub requires it. */
  readonly tls: ResolvedLeafRemoteTls | undefined;
  readonly reconnectDelay: number;
  readonly denyExports: readonly string[];
  readonly denyImports: readonly string[];
}

export interface ResolvedLeafRemoteTls {
  readonly ca: string | Buffer | undefined;
  readonly cert: string | Buffer | undefined;
  readonly key: string | Buffer | undefined;
  readonly rejectUnauthorized: boolean;
  readonly serverName: string | undefined;
}

export interface ResolvedLeafNodes {
  readonly remotes: readonly ResolvedLeafRemote[];
  readonly listen: { readonly port: number; readonly host: string | undefined } | undefined;
  /** The leaf port's own authentication, each user with its account; undefined: checked as clients are. */
  readonly authorization: AuthOptions | undefined;
  readonly tls: ResolvedTls | undefined;
}

/** Parses `nats-leaf://user:pass@host:port`, `host:port` and friends (default port 7422). */
export function parseLeafUrl(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `nats-leaf://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidOptionError("leafnodes.remotes.urls", `"${text}" is not a URL`);
  }
  if (url.hostname === "") throw new InvalidOptionError("leafnodes.remotes.urls", `"${text}" has no host`);
  if (url.port === "") url.port = String(DEFAULT_LEAFNODE_PORT);
  return url;
}

/**
 * A creds file: the user JWT between the `-----BEGIN NATS USER JWT-----` markers and the seed
 * between the `-----BEGIN USER NKEY SEED-----` markers (as nats.go/nats-server read them).
 */
export function parseCredsFile(text: string): { jwt: string; seed: string } {
  const blocks = [...text.matchAll(/-{3,}[^\n]*-{3,}\r?\n([\s\S]*?)\r?\n\s*-{3,}[^\n]*END[^\n]*-{3,}/g)].map((m) => m[1]!.trim());
  const jwt = blocks[0];
  const seed = blocks[1];
  if (jwt === undefined || seed === undefined || !seed.startsWith("SU")) {
    throw new InvalidOptionError("leafnodes.remotes.credentials", "not a creds file (a user JWT and a user nkey seed)");
  }
  return { jwt, seed };
}

function resolveRemote(remote: LeafRemoteOptions, i: number): ResolvedLeafRemote {
  const where = `leafnodes.remotes[${i}]`;
  if (remote === null || typeof remote !== "object" || !Array.isArray(remote.urls) || remote.urls.length === 0) {
    throw new InvalidOptionError(`${where}.urls`, "needs at least one URL");
  }
  const urls = remote.urls.map(parseLeafUrl);
  let nkeySeed = remote.nkeySeed;
  let jwt: string | undefined;
  if (remote.credentials !== undefined || remote.credentialsFile !== undefined) {
    let text = remote.credentials;
    if (text === undefined) {
      try {
        text = readFileSync(remote.credentialsFile!, "utf8");
      } catch (err) {
        throw new InvalidOptionError(`${where}.credentialsFile`, `cannot read ${remote.credentialsFile}: ${(err as Error).message}`);
      }
    }
    const creds = parseCredsFile(text);
    jwt = creds.jwt;
    nkeySeed = creds.seed;
  }
  if (nkeySeed !== undefined && !/^SU[A-Z2-7]+$/.test(nkeySeed)) throw new InvalidOptionError(`${where}.nkeySeed`, "is not a user nkey seed (SU...)");
  const reconnectDelay = remote.reconnectDelay ?? DEFAULT_LEAF_NODE_RECONNECT;
  if (!Number.isInteger(reconnectDelay) || reconnectDelay < 1 || reconnectDelay > 2 ** 31 - 1) {
    throw new InvalidOptionError(`${where}.reconnectDelay`, `must be a positive integer (ms), got ${String(reconnectDelay)}`);
  }
  const account = remote.account ?? GLOBAL_ACCOUNT;
  if (typeof account !== "string" || account === "") throw new InvalidOptionError(`${where}.account`, "must be an account name");
  return {
    urls,
    account,
    user: remote.user,
    password: remote.password,
    token: remote.token,
    nkeySeed,
    jwt,
    tls: resolveRemoteTls(remote.tls, where),
    reconnectDelay,
    denyExports: [...(remote.denyExports ?? [])],
    denyImports: [...(remote.denyImports ?? [])],
  };
}

/** Reads certificate files now, so a missing file fails at `createServer`, not at each dial. */
function resolveRemoteTls(tls: LeafRemoteOptions["tls"], where: string): ResolvedLeafRemoteTls | undefined {
  if (tls === undefined || tls === false) return undefined;
  const t = tls === true ? {} : tls;
  const read = (name: string, value: string | Buffer | undefined, file: string | undefined): string | Buffer | undefined => {
    if (value !== undefined || file === undefined) return value;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new InvalidOptionError(`${where}.tls.${name}File`, `cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return {
    ca: read("ca", t.ca, t.caFile),
    cert: read("cert", t.cert, t.certFile),
    key: read("key", t.key, t.keyFile),
    rejectUnauthorized: t.rejectUnauthorized ?? true,
    serverName: t.serverName,
  };
}

/** Validates the `leafnodes` option up front, as every other option is. */
export function resolveLeafNodes(options: LeafNodeOptions | undefined): ResolvedLeafNodes | undefined {
  if (options === undefined) return undefined;
  const remotes = (options.remotes ?? []).map(resolveRemote);
  let listen: ResolvedLeafNodes["listen"];
  if (options.port !== undefined) {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw new InvalidOptionError("leafnodes.port", `must be an integer from 0 to 65535, got ${String(options.port)}`);
    }
    listen = { port: options.port, host: options.host };
  }
  if (remotes.length === 0 && listen === undefined) return undefined;
  return { remotes, listen, authorization: leafAuthorization(options.authorization), tls: resolveTls(options.tls, "leafnodes.tls") };
}

/**
 * The leaf port's authorization with every account spelled out on its users (auth.go
 * isLeafNodeAuthorized): the single `user` becomes a one-user list bound to `account`; a
 * listed user without an account is in `$G`, as nats-server binds it, whatever `account` says.
 */
function leafAuthorization(auth: LeafAuthorization | undefined): AuthOptions | undefined {
  if (auth === undefined) return undefined;
  const { account, ...rest } = auth;
  if (account !== undefined && (typeof account !== "string" || account === "")) throw new InvalidOptionError("leafnodes.authorization.account", "must be an account name");
  if (account === undefined || rest.user === undefined) return rest;
  if ((rest.users?.length ?? 0) > 0) throw new InvalidOptionError("leafnodes.authorization", "can not have a single user/pass and a users array");
  const { user, password, ...others } = rest;
  return { ...others, users: [{ user, ...(password !== undefined && { password }), account }] };
}

/** Every account the `leafnodes` option names (remotes and leaf users), to check that each exists. */
export function leafAccountNames(config: ResolvedLeafNodes): { name: string; where: string }[] {
  const names: { name: string; where: string }[] = [];
  config.remotes.forEach((r, i) => names.push({ name: r.account, where: `leafnodes.remotes[${i}].account` }));
  for (const u of config.authorization?.users ?? []) if (u.account !== undefined) names.push({ name: u.account, where: "leafnodes.authorization.users" });
  return names;
}

/**
 * TLS for client connections, the way nats-server does it: INFO goes out in plain text with
 * `tls_required`, then the client starts a TLS handshake on the same socket (or, with
 * `handshakeFirst`, TLS comes before anything). A client that never starts TLS is told
 * `Secure Connection - TLS Required` when the handshake times out (server.go tlsTimeout).
 */
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import type { PeerCertificate, SecureContext, TLSSocket } from "node:tls";
import { InvalidOptionError } from "../base/errors.ts";
import type { PeerIdentity } from "../core/identity.ts";
import { requireOnUse } from "../base/require-on-use.ts";

export type { PeerIdentity } from "../core/identity.ts";

/** The `tls` option: PEM text (or Buffers), or file paths as in nats-server's config. */
export interface TlsOptions {
  cert?: string | Buffer;
  key?: string | Buffer;
  /** CA certificates to verify client certificates against. */
  ca?: string | Buffer;
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Require and verify a client certificate (mutual TLS). */
  verify?: boolean;
  /** As `verify`, and authenticate the client as the user its certificate names. */
  verifyAndMap?: boolean;
  /** Milliseconds for the handshake. Default 2000 (nats-server `tls.timeout`). */
  timeout?: number;
  /** TLS before INFO, for clients that ask for it (nats-server `handshake_first`). */
  handshakeFirst?: boolean;
}

export interface ResolvedTls {
  readonly context: SecureContext;
  /**
   * The certificate and key as read (and the CA when verifying clients), for the listeners
   * that `node:https` builds (WebSocket, monitoring): it takes PEM, not a context. A function, so that the key stays out of
   * `JSON.stringify(server.options)` and of anything that logs the options.
   */
  readonly material: () => TlsMaterial;
  readonly verify: boolean;
  readonly verifyAndMap: boolean;
  readonly timeout: number;
  readonly handshakeFirst: boolean;
}

/** PEM text (or Buffers) of a certificate, its key and (when verifying peers) the CA. */
export interface TlsMaterial {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly ca: string | Buffer | undefined;
}

const DEFAULT_TLS_TIMEOUT = 2000;


/**
 * node:tls, on first use: loading it costs ~25 ms at start-up, and a server without `tls`
 * never needs it. Synchronous (a built-in through `require`), because `createServer()` checks
 * certificates synchronously.
 */
export function nodeTls(): typeof import("node:tls") {
  return requireOnUse("node:tls") as typeof import("node:tls");
}

function pem(option: string, value: string | Buffer | undefined, file: string | undefined): string | Buffer | undefined {
  if (value !== undefined) return value;
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new InvalidOptionError(option, `cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Reads and checks a `tls` option (`where` names it in errors: `tls`, `websocket.tls`,
 * `leafnodes.tls`); undefined when there is none.
 */
export function resolveTls(options: TlsOptions | undefined, where = "tls"): ResolvedTls | undefined {
  if (options === undefined) return undefined;
  const cert = pem(`${where}.certFile`, options.cert, options.certFile);
  const key = pem(`${where}.keyFile`, options.key, options.keyFile);
  const ca = pem(`${where}.caFile`, options.ca, options.caFile);
  if (cert === undefined || key === undefined) throw new InvalidOptionError(where, "needs a certificate and its key");
  const verify = options.verify === true || options.verifyAndMap === true;
  if (verify && ca === undefined) throw new InvalidOptionError(where, "verify needs the CA that signs client certificates (ca)");
  let context: SecureContext;
  try {
    // The CA only to verify clients: given to a context, OpenSSL would also send it in the
    // server's chain, which nats-server (Go) does not (a client that does not trust it then
    // says "unable to verify the first certificate", as with nats-server).
    context = nodeTls().createSecureContext({ cert, key, ...(verify && ca !== undefined && { ca }) });
  } catch (err) {
    throw new InvalidOptionError(where, `certificate or key unusable: ${(err as Error).message}`);
  }
  return {
    context,
    material: () => ({ cert, key, ca: verify ? ca : undefined }),
    verify,
    verifyAndMap: options.verifyAndMap === true,
    timeout: options.timeout ?? DEFAULT_TLS_TIMEOUT,
    handshakeFirst: options.handshakeFirst === true,
  };
}

/** RFC 2253 order (most specific first), as nats-server prints a certificate subject. */
function subjectString(cert: PeerCertificate): string | undefined {
  const subject = cert.subject as unknown as Record<string, string | string[]> | undefined;
  if (subject === undefined) return undefined;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(subject)) for (const value of Array.isArray(v) ? v : [v]) parts.push(`${k}=${value}`);
  return parts.reverse().join(",");
}

/**
 * What the client certificate says. `verified`: the handshake ran with `requestCert` and
 * `rejectUnauthorized`, which OpenSSL enforces itself (a missing or unverifiable certificate
 * fails the handshake), so a finished handshake means a verified certificate. (A standalone
 * server TLSSocket does not fill in `authorized`; only tls.Server's connection path does.)
 */
export function peerIdentity(socket: TLSSocket, verified: boolean): PeerIdentity {
  const cert = socket.getPeerCertificate();
  const hasCert = cert !== null && typeof cert === "object" && Object.keys(cert).length > 0;
  const altNames = hasCert && typeof cert.subjectaltname === "string"
    ? cert.subjectaltname.split(/,\s*/).map((n) => n.replace(/^(email|DNS):/, ""))
    : [];
  return { authorized: verified && hasCert, subject: hasCert ? subjectString(cert) : undefined, altNames };
}

/**
 * Wraps an accepted socket in TLS. `onSecure` gets the encrypted stream once the handshake is
 * done; `onFail` is told why it never was (the caller writes any -ERR to the plain socket).
 */
export function startTls(
  socket: Socket,
  tls: ResolvedTls,
  onSecure: (secure: TLSSocket) => void,
  onFail: (reason: "timeout" | "handshake") => void,
): void {
  let settled = false;
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    return true;
  };
  const timer = setTimeout(() => {
    if (settle()) onFail("timeout");
  }, tls.timeout);
  timer.unref();
  const fail = (): void => {
    if (settle()) onFail("handshake");
  };
  // Verification failures close the socket: node:tls checks a client certificate against the
  // CA only on a tls.Server's connection path (OpenSSL's callback defers it to JavaScript), so
  // the socket enters through one; a standalone server TLSSocket would take any certificate.
  socket.once("close", fail);
  socket.once("error", fail);
  const key = connectionKey(socket);
  pendingSecure.set(key, (secure) => {
    if (!settle()) {
      secure.destroy();
      return;
    }
    socket.off("close", fail);
    socket.off("error", fail);
    onSecure(secure);
  });
  // Whichever way it ends, the entry goes.
  socket.once("close", () => pendingSecure.delete(key));
  acceptor(tls).emit("connection", socket);
}

/**
 * Who awaits the handshake of an accepted socket, by its addresses and ports (unique among
 * live TCP connections, and the TLS socket reports the same): the acceptor's
 * `secureConnection` hands over a socket it made, which names its TCP socket no other way.
 */
const pendingSecure = new Map<string, (secure: TLSSocket) => void>();

function connectionKey(socket: Pick<Socket, "remoteAddress" | "remotePort" | "localAddress" | "localPort">): string {
  return `${socket.remoteAddress}|${socket.remotePort}|${socket.localAddress}|${socket.localPort}`;
}

/**
 * One never-listening tls.Server per `tls` option, that accepted sockets are handed to. Its own
 * handshake timeout is a backstop: the caller's comes first, so that it can still say why.
 */
const acceptors = new WeakMap<ResolvedTls, import("node:tls").Server>();

function acceptor(tls: ResolvedTls): import("node:tls").Server {
  let server = acceptors.get(tls);
  if (server === undefined) {
    const { cert, key, ca } = tls.material();
    server = nodeTls().createServer({ cert, key, ...(ca !== undefined && { ca }), requestCert: tls.verify, rejectUnauthorized: tls.verify, handshakeTimeout: tls.timeout + 1000 });
    server.on("secureConnection", (secure: TLSSocket) => {
      const key = connectionKey(secure);
      const waiting = pendingSecure.get(key);
      pendingSecure.delete(key);
      if (waiting === undefined) secure.destroy();
      else waiting(secure);
    });
    // A failed handshake closes the TCP socket, which the caller hears.
    server.on("tlsClientError", () => undefined);
    acceptors.set(tls, server);
  }
  return server;
}

/** The client side of a TLS connection a server dials (a leaf link, a route). */
export interface DialTls {
  readonly ca: string | Buffer | undefined;
  readonly cert: string | Buffer | undefined;
  readonly key: string | Buffer | undefined;
  readonly rejectUnauthorized: boolean;
  /** The name the peer's certificate must carry; by default the host dialed. */
  readonly serverName: string | undefined;
}

/** No certificate of ours, the peer verified against the system's roots. */
export const DEFAULT_DIAL_TLS: DialTls = { ca: undefined, cert: undefined, key: undefined, rejectUnauthorized: true, serverName: undefined };

/**
 * Starts TLS as the client on a socket this server dialed to `host` (client.go doTLSHandshake,
 * soliciting side): the peer's certificate is checked against `host`, or `serverName`.
 */
export function dialTls(socket: Socket, host: string, tls: DialTls): TLSSocket {
  return nodeTls().connect({
    socket,
    // SNI takes names only; an IP address is checked against the certificate's IP SANs.
    servername: tls.serverName ?? (/^[\d.]+$|:/.test(host) ? undefined : host),
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    rejectUnauthorized: tls.rejectUnauthorized,
  });
}

/** The first byte of a TLS record carrying a handshake (a ClientHello): 0x16. */
const TLS_HANDSHAKE_RECORD = 0x16;

/**
 * nats-server's `allow_non_tls` (server.go createClient, `sniffTLS`): after the plain INFO, the
 * client's first byte says whether it starts TLS (a handshake record, 0x16) or speaks the
 * protocol in plain text. What it sent is put back on the socket, so that the TLS handshake, or
 * the parser, reads it first (node:tls takes bytes already buffered on a socket it wraps). A
 * client that sends nothing within `timeout` ms is taken as plain, as nats-server does once its
 * read deadline passes: it is then held to the auth and ping timers like any other client.
 * A plain socket flows again once `onDecided` returns; a TLS one stays paused for node:tls.
 * `onGone` is called if the socket ends or fails before anything was decided.
 */
export function sniffTls(socket: Socket, timeout: number, onDecided: (tls: boolean) => void, onGone: () => void): void {
  let settled = false;
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("error", gone);
    socket.off("close", gone);
    socket.off("end", gone);
    return true;
  };
  const onData = (chunk: Buffer): void => {
    if (!settle()) return;
    socket.pause();
    socket.unshift(chunk);
    decide(chunk.length > 0 && chunk[0] === TLS_HANDSHAKE_RECORD);
  };
  // For TLS the socket stays paused: node:tls reads what is buffered. A plain client reads on,
  // now that whoever `onDecided` handed the socket to listens.
  const decide = (tls: boolean): void => {
    onDecided(tls);
    if (!tls && !socket.destroyed) socket.resume();
  };
  const gone = (): void => {
    if (settle()) onGone();
  };
  const timer = setTimeout(() => {
    if (!settle()) return;
    socket.pause();
    decide(false);
  }, timeout);
  timer.unref();
  socket.on("data", onData);
  socket.once("error", gone);
  socket.once("close", gone);
  socket.once("end", gone);
}

/**
 * The `websocket` options and the checks nats-server makes of them at start-up. Apart from the
 * listener so that resolving options does not load `ws`: that happens only when a WebSocket
 * listener is configured.
 */
import { InvalidOptionError } from "../base/errors.ts";
import { resolveTls, type ResolvedTls, type TlsOptions } from "./tls.ts";
import { compileOriginPolicy, type OriginPolicy } from "./websocket-origin.ts";

/** nats-server's `websocket { }` block. */
export interface WebSocketOptions {
  /** Port; 0 picks a free one. */
  port: number;
  /** Bind address; defaults to `host`. */
  host?: string;
  /**
   * TLS for the listener (`wss://`), as nats-server's `websocket { tls { } }`: the certificate
   * and key, and `verify` (with `ca`) to require client certificates. `timeout` bounds the TLS
   * handshake. `verifyAndMap` and `handshakeFirst` do not apply here.
   */
  tls?: TlsOptions;
  /**
   * Plain `ws://` without `tls` (nats-server requires saying so explicitly, as `no_tls: true`).
   * Ignored when `tls` is given, as nats-server does.
   */
  noTls?: boolean;
  /** Offer permessage-deflate. Default false. */
  compression?: boolean;
  /** Accept only browsers whose Origin matches the request's Host. Default false. */
  sameOrigin?: boolean;
  /** Accept only these origins (e.g. `https://app.example.com`); empty = any. */
  allowedOrigins?: string[];
}

export interface ResolvedWebSocketOptions {
  readonly port: number;
  readonly host: string;
  readonly noTls: boolean;
  readonly tls: ResolvedTls | undefined;
  readonly compression: boolean;
  readonly sameOrigin: boolean;
  readonly allowedOrigins: readonly string[];
}

/**
 * Checks the `websocket` options for what nats-server refuses at startup (websocket.go
 * validateWebsocketOptions): a listener without TLS must say `noTls`, and every allowed origin
 * must be an absolute http(s) URL. Returns the compiled origin rules.
 */
export function checkWebSocketOptions(options: ResolvedWebSocketOptions): OriginPolicy {
  if (options.tls === undefined && !options.noTls) {
    throw new InvalidOptionError("websocket", "websocket requires TLS configuration: give websocket.tls, or set websocket.noTls for plain ws://");
  }
  return compileOriginPolicy(options.sameOrigin, options.allowedOrigins);
}

/** The listener's `tls`: certificate files read and checked now, so that a bad one fails `createServer()`. */
export function resolveWebSocketTls(tls: TlsOptions | undefined): ResolvedTls | undefined {
  if (tls === undefined) return undefined;
  if (tls.verifyAndMap === true) {
    throw new InvalidOptionError("websocket.tls.verifyAndMap", "is not supported yet for WebSocket clients, and ignoring it would let them in without the user their certificate names");
  }
  return resolveTls(tls, "websocket.tls");
}

/**
 * The `websocket` options and the checks nats-server makes of them at start-up. Apart from the
 * listener so that resolving options does not load `ws`: that happens only when a WebSocket
 * listener is configured.
 */
import { InvalidOptionError } from "../base/errors.ts";
import { compileOriginPolicy, type OriginPolicy } from "./websocket-origin.ts";

/** nats-server's `websocket { }` block. */
export interface WebSocketOptions {
  /** Port; 0 picks a free one. */
  port: number;
  /** Bind address; defaults to `host`. */
  host?: string;
  /** Plain `ws://` (nats-server requires saying so explicitly, as `no_tls: true`). */
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
  readonly compression: boolean;
  readonly sameOrigin: boolean;
  readonly allowedOrigins: readonly string[];
}

/**
 * Checks the `websocket` options for what nats-server refuses at startup: a listener without
 * TLS must say `noTls` (and we have no WebSocket TLS yet), and every allowed origin must be an
 * absolute http(s) URL. Returns the compiled origin rules.
 */
export function checkWebSocketOptions(options: ResolvedWebSocketOptions): OriginPolicy {
  if (!options.noTls) {
    throw new InvalidOptionError(
      "websocket.noTls",
      "must be true: WebSocket TLS is not supported yet, so the listener serves plain ws:// only " +
        "(nats-server likewise refuses a websocket block without tls unless no_tls is set)",
    );
  }
  return compileOriginPolicy(options.sameOrigin, options.allowedOrigins);
}

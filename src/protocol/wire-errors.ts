/**
 * The `-ERR` texts nats-server sends, byte for byte. Official clients match some of them by
 * substring (nats.js `core/src/errors.ts`), so they must never be reworded. Sources are
 * nats-server `server/client.go`, `server/parser.go` and `server/errors.go`.
 */
export const WireError = {
  /** parser.go: unknown verb or bad byte after a payload. Closes. */
  UnknownProtocolOperation: "Unknown Protocol Operation",
  /** First op was not CONNECT, or the credentials were refused. Closes. */
  AuthorizationViolation: "Authorization Violation",
  /** No CONNECT within the auth timeout. Closes. */
  AuthenticationTimeout: "Authentication Timeout",
  /** client.go authExpired: the user's credentials (a JWT's `exp`) ran out. Closes. */
  UserAuthenticationExpired: "User Authentication Expired",
  /** PUB/HPUB size above `max_payload`, checked on the control line. Closes. */
  MaxPayloadViolation: "Maximum Payload Violation",
  /** Control line longer than `max_control_line`. Closes. (Lowercase, as nats-server.) */
  MaxControlLineExceeded: "maximum control line exceeded",
  /** client.go maxAccountConnExceeded: the account's connection limit is reached. Closes. */
  MaxAccountConnectionsExceeded: "maximum account active connections exceeded",
  /** Sent after INFO to a connection over `max_connections`. Closes. */
  MaxConnectionsExceeded: "maximum connections exceeded",
  /** SUB over `max_subscriptions`. The connection stays open. */
  MaxSubscriptionsExceeded: "maximum subscriptions exceeded",
  /** SUB with an invalid subject. The connection stays open. */
  InvalidSubject: "Invalid Subject",
  /** PUB to a wildcard/invalid subject in pedantic mode; the message is still routed. */
  InvalidPublishSubject: "Invalid Publish Subject",
  /** Too many unanswered PINGs. Closes. */
  StaleConnection: "Stale Connection",
  /** CONNECT `protocol` outside 0..1. Closes. */
  InvalidClientProtocol: "invalid client protocol",
  /** A TLS server's client never started the handshake (server.go tlsTimeout). Closes. */
  TlsRequired: "Secure Connection - TLS Required",
  /** CONNECT `no_responders` without `headers`. Closes. */
  NoRespondersRequiresHeaders: "no responders requires headers support",
} as const;

const GO_ESCAPES: Readonly<Record<number, string>> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\" };

/**
 * A quoted string as Go's `%q` writes one, which nats-server uses for subjects in permission
 * errors: quotes, backslashes and control bytes escaped, everything else as is.
 */
export function goQuote(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const named = GO_ESCAPES[c];
    if (named !== undefined) out += named;
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += text[i];
  }
  return `${out}"`;
}

/** client.go pubPermissionViolation. The connection stays open. */
export function publishViolation(subject: string): string {
  return `Permissions Violation for Publish to ${goQuote(subject)}`;
}

/** client.go replySubjectViolation. The connection stays open. */
export function replyViolation(reply: string): string {
  return `Permissions Violation for Publish with Reply of ${goQuote(reply)}`;
}

/** client.go subPermissionViolation. The connection stays open. */
export function subscribeViolation(subject: string, queue?: string): string {
  return queue === undefined
    ? `Permissions Violation for Subscription to ${goQuote(subject)}`
    : `Permissions Violation for Subscription to ${goQuote(subject)} using queue ${goQuote(queue)}`;
}

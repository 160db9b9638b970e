/**
 * Limits and defaults, named as in nats-server's `server/const.go` so that a reader who knows
 * the Go server recognises each one. Every limit exists to stop one client from hurting the
 * host process or the other clients; the comment on each says which failure it prevents.
 */

/**
 * The nats-server release whose client-facing behaviour we match; sent as INFO `version`. 2.14
 * so that the official clients offer consumer pause, priority groups and consumer reset (nats.js
 * gates them on 2.11 and 2.14); what this broker does not yet do of 2.11-2.14 is listed in
 * docs/jetstream.md.
 */
export const SERVER_VERSION = "2.14.0";

/** Client protocol level: 1 means the client understands async INFO (nats-server `ClientProtoInfo`). */
export const PROTO_VERSION = 1;

/** Default client port, as nats-server. */
export const DEFAULT_PORT = 4222;

/** Default bind address for the CLI; library use binds nothing until asked. */
export const DEFAULT_HOST = "127.0.0.1";

/**
 * Longest control line (the text before a payload) a client may send. Without it a client
 * that never sends `\n` makes the server buffer without bound.
 */
export const MAX_CONTROL_LINE_SIZE = 4096;

/**
 * Largest message payload (headers included). Checked on the control line, before a byte of
 * the payload is buffered, so a lying client cannot make us allocate its claim.
 */
export const MAX_PAYLOAD_SIZE = 1024 * 1024;

/**
 * Outbound bytes one connection may have queued before it is cut as a slow consumer. Without
 * it one subscriber that stops reading grows the host's memory until it dies.
 */
export const MAX_PENDING_SIZE = 64 * 1024 * 1024;

/** Most connections at once; beyond it new connections get INFO then `-ERR` and are closed. */
export const DEFAULT_MAX_CONNECTIONS = 64 * 1024;

/** Subscriptions per connection; 0 means unlimited, as nats-server. */
export const DEFAULT_MAX_SUBSCRIPTIONS = 0;

/** Interval between keepalive PINGs to an idle client (nats-server default 2 minutes). */
export const DEFAULT_PING_INTERVAL = 2 * 60 * 1000;

/** The first PING is sent sooner so that dead clients are found quickly (nats-server: 2 s). */
export const FIRST_CLIENT_PING_INTERVAL = 2 * 1000;

/** Unanswered PINGs tolerated before the client is closed with `Stale Connection`. */
export const DEFAULT_PING_MAX_OUT = 2;

/**
 * How long a write may stay unflushed to a client whose socket is full before the client is
 * cut as a slow consumer. Without it a client that reads just enough to stay under
 * `max_pending` could pin memory forever.
 */
export const DEFAULT_WRITE_DEADLINE = 10 * 1000;

/** Time a client has to send CONNECT when authentication is required (nats-server `AUTH_TIMEOUT`). */
export const AUTH_TIMEOUT = 2 * 1000;

/** Recently closed connections kept for monitoring (nats-server `DEFAULT_MAX_CLOSED_CLIENTS`). */
export const DEFAULT_MAX_CLOSED_CLIENTS = 10_000;

/**
 * Lame duck mode spreads the closing of clients over this long, so that they do not all
 * reconnect elsewhere at once (nats-server `DEFAULT_LAME_DUCK_DURATION`, 2 minutes).
 */
export const DEFAULT_LAME_DUCK_DURATION = 2 * 60 * 1000;

/** Lame duck mode waits this long before closing the first client (nats-server: 10 s). */
export const DEFAULT_LAME_DUCK_GRACE_PERIOD = 10 * 1000;

/**
 * Every top-level key of nats-server's configuration (the `processConfigFileLine` switch of
 * `server/opts.go`), and what we do with it. The keys we support are mapped in to-options.ts;
 * this table says what happens to the others:
 *
 * - `not-yet`: a feature with an open issue. Ignored with a warning, so that configurations
 *   written for nats-server (nats.js's test launcher's, for one) start.
 * - `refused`: a security feature not built yet. Ignoring it would start a broker without the
 *   authentication or encryption the file asks for, so loading fails instead.
 * - `never`: outside what an embedded single-process broker does. Ignored with a warning.
 *
 * A key nats-server does not know is an error (`unknown field`), as in nats-server, unless a
 * `$reference` used it as a variable.
 */

export const KeyStatus = {
  Supported: "supported",
  NotYet: "not-yet",
  Refused: "refused",
  Never: "never",
} as const;
export type KeyStatusValue = (typeof KeyStatus)[keyof typeof KeyStatus];

/** What we do with a nats-server key, and why (the `why` ends up in the warning or error). */
export interface KeyInfo {
  readonly status: KeyStatusValue;
  readonly why?: string;
}

const notYet = (why?: string): KeyInfo => (why === undefined ? { status: KeyStatus.NotYet } : { status: KeyStatus.NotYet, why });
const refused = (why: string): KeyInfo => ({ status: KeyStatus.Refused, why });
const never = (why: string): KeyInfo => ({ status: KeyStatus.Never, why });
const supported: KeyInfo = { status: KeyStatus.Supported };

const JWT = "this part of decentralized (JWT) authentication is not built; starting without it would let any client in";

/** Keyed by the lower-case name (nats-server matches top-level keys case-insensitively). */
export const NATS_SERVER_KEYS: ReadonlyMap<string, KeyInfo> = new Map<string, KeyInfo>([
  // Supported: mapped in to-options.ts.
  ["listen", supported],
  ["port", supported],
  ["host", supported],
  ["net", supported],
  ["server_name", supported],
  ["max_payload", supported],
  ["max_pending", supported],
  ["max_connections", supported],
  ["max_conn", supported],
  ["max_control_line", supported],
  ["max_subscriptions", supported],
  ["max_subs", supported],
  ["ping_interval", supported],
  ["ping_max", supported],
  ["write_deadline", supported],
  ["debug", supported],
  ["trace", supported],
  ["trace_verbose", supported],
  ["logfile", supported],
  ["log_file", supported],
  ["leafnodes", supported],
  ["cluster", supported],
  ["leaf", supported],
  ["ports_file_dir", supported],
  ["http", supported],
  ["http_port", supported],
  ["monitor_port", supported],
  ["https", supported],
  ["https_port", supported],
  ["allow_non_tls", supported],
  ["websocket", supported],
  ["ws", supported],
  ["lame_duck_duration", supported],
  ["lame_duck_grace_period", supported],
  ["max_closed_clients", supported],
  ["authorization", supported],
  ["no_auth_user", supported],
  ["accounts", supported],
  ["mappings", supported],
  ["maps", supported],
  ["operator", supported],
  ["operators", supported],
  ["root", supported],
  ["roots", supported],
  ["root_operator", supported],
  ["root_operators", supported],
  ["resolver", supported],
  ["account_resolver", supported],
  ["accounts_resolver", supported],
  ["resolver_preload", supported],
  ["system_account", supported],
  ["system", supported],
  ["no_system_account", supported],
  ["no_system", supported],
  ["no_sys_acc", supported],
  ["tls", supported],
  ["jetstream", supported],
  ["store_dir", supported],
  ["storedir", supported],

  // Security features not built yet: refused rather than silently dropped. (Inside the supported
  // `authorization` and `tls` blocks, security.ts refuses or warns about each key likewise.)
  ["resolver_tls", refused(JWT)],
  ["resolver_pinned_accounts", refused(JWT)],
  ["trusted", refused(JWT)],
  ["trusted_keys", refused(JWT)],
  ["default_sentinel", refused(JWT)],

  // Features with an open issue: ignored, with a warning.
  ["http_base_path", notYet("monitoring endpoints")],
  ["default_js_domain", notYet("JetStream domains per account")],
  ["server_tags", notYet()],
  ["server_metadata", notYet()],
  ["client_advertise", notYet()],
  ["pidfile", notYet()],
  ["pid_file", notYet()],
  ["logtime", notYet()],
  ["logtime_utc", notYet()],
  ["logfile_size_limit", notYet()],
  ["log_size_limit", notYet()],
  ["logfile_max_num", notYet()],
  ["log_max_num", notYet()],
  ["trace_headers", notYet()],
  ["max_sub_tokens", notYet()],
  ["max_subscription_tokens", notYet()],
  ["max_traced_msg_len", notYet()],
  ["write_timeout", notYet()],
  ["no_header_support", notYet()],

  // Outside an embedded single-process broker.
  ["gateway", never("superclusters are not planned; leaf nodes connect to a cluster")],
  ["connect_error_reports", never("routes and gateways are not planned")],
  ["reconnect_error_reports", never("routes and gateways are not planned")],
  ["mqtt", never("MQTT is not planned")],
  ["syslog", never("log to a file or stderr, or inject a logger")],
  ["remote_syslog", never("log to a file or stderr, or inject a logger")],
  ["prof_port", never("use Node's --inspect and --cpu-prof")],
  ["prof_block_rate", never("use Node's --inspect and --cpu-prof")],
  ["proxy_protocol", never("PROXY protocol is not planned")],
  ["proxies", never("PROXY protocol is not planned")],
  ["ocsp", never("OCSP stapling is not planned")],
  ["ocsp_cache", never("OCSP stapling is not planned")],
  ["disable_sublist_cache", never("the subject cache is always on and bounded")],
  ["no_sublist_cache", never("the subject cache is always on and bounded")],
  ["no_fast_producer_stall", never("producers are never stalled: a slow consumer is cut instead")],
  ["feature_flags", never("nats-server's experimental feature flags do not apply")],
]);

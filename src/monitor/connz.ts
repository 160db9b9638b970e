/**
 * `/connz`: open and recently closed connections, in nats-server's shape (monitor.go `Connz`,
 * `ConnInfo`, `ConnInfo.fill`), with its sort orders (monitor_sort_opts.go), paging, `cid`
 * lookup and `state` filter. Subscription lists are built for the returned page only.
 */
import { GLOBAL_ACCOUNT } from "../core/account.ts";
import type { Client } from "../core/client.ts";
import type { ClosedClientRecord } from "./introspection.ts";
import type { MonitorView } from "./monitor-view.ts";
import { goDuration, goTime, goUptime, msToNs } from "./go-format.ts";
import { MonitorRequestError, type ConnState } from "./query.ts";
import { CONNZ_SORTS, type ConnzSort } from "./connz-sorts.ts";

/** Connections listed when no `limit` is given (nats-server `DefaultConnListSize`). */
export const DEFAULT_CONN_LIST_SIZE = 1024;

export { GLOBAL_ACCOUNT };

export { CONNZ_SORTS, type ConnzSort };

/** Options of {@link connz}; the HTTP query parameters of the same names map onto them. */
export interface ConnzOptions {
  /** Sort order; default `cid`. `stop` and `reason` need `state: "closed"`. */
  sort?: ConnzSort | string;
  /** `true` adds `subscriptions_list` (subjects), `"detail"` adds `subscriptions_list_detail`. */
  subs?: boolean | "detail";
  /** Add `authorized_user` (the authenticated user, when there is one). */
  auth?: boolean;
  /** Skip this many connections of the sorted list. */
  offset?: number;
  /** Return at most this many; 0 or less means the default, 1024. */
  limit?: number;
  /** Only this connection id (the limit becomes 1). */
  cid?: number;
  /** `open` (default), `closed` (the bounded list of recently closed ones) or `all`. */
  state?: ConnState;
  /** Only the connections of this account (nats-server's `acc`). */
  account?: string;
}

/** One subscription in `subscriptions_list_detail` (nats-server `SubDetail`). */
export interface SubDetail {
  account?: string;
  subject: string;
  qgroup?: string;
  sid: string;
  msgs: number;
  max?: number;
  cid: number;
}

/** One connection (nats-server `ConnInfo`). Optional fields are omitted when empty, as nats-server. */
export interface ConnInfo {
  cid: number;
  kind: string;
  /** `nats` or `websocket`. */
  type: string;
  /** Empty for connections without an IP peer (in-memory pipes). */
  ip: string;
  port: number;
  /** RFC 3339. */
  start: string;
  /** RFC 3339. */
  last_activity: string;
  /** RFC 3339; closed connections only. */
  stop?: string;
  /** Why it closed (nats-server's wording); closed connections only. */
  reason?: string;
  /** Round-trip time as a Go duration (`1ms`, `1.5s`); `0s` before it is measured. */
  rtt?: string;
  /** As `1h2m3s`. */
  uptime: string;
  /** Time since the last activity, as `1m2s`. */
  idle: string;
  pending_bytes: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  name?: string;
  lang?: string;
  version?: string;
  /** With `auth`: the user the connection authenticated as. */
  authorized_user?: string;
  /** With `auth`: the connection's account, unless it is the global account. */
  account?: string;
  subscriptions_list?: string[];
  subscriptions_list_detail?: SubDetail[];
}

/** The `/connz` document (nats-server `Connz`). */
export interface Connz {
  server_id: string;
  /** RFC 3339. */
  now: string;
  /** Connections in this page. */
  num_connections: number;
  /** Connections in the chosen state, before paging. */
  total: number;
  offset: number;
  limit: number;
  connections: ConnInfo[];
}

/** A connection with the raw values it sorts by, and a way to list its subscriptions. */
interface Row {
  readonly info: ConnInfo;
  readonly cid: number;
  readonly startMs: number;
  readonly lastMs: number;
  readonly stopMs: number | undefined;
  readonly rttMs: number;
  /** The authenticated user, if any. */
  readonly user: string | undefined;
  readonly account: string;
  readonly subs: () => SubDetail[];
}

function typeOf(transport: string): string {
  return transport === "websocket" ? "websocket" : "nats";
}

/** CONNECT's name, lang and version, each left out when empty (`omitempty`). */
function clientIdentity(name: string, lang: string, version: string): Pick<ConnInfo, "name" | "lang" | "version"> {
  const out: Pick<ConnInfo, "name" | "lang" | "version"> = {};
  if (name !== "") out.name = name;
  if (lang !== "") out.lang = lang;
  if (version !== "") out.version = version;
  return out;
}

/** A `SubDetail` with nats-server's key order, `qgroup` and `max` left out when empty. */
export function subDetail(
  account: string | undefined,
  subject: string,
  queue: string | undefined,
  sid: string,
  msgs: number,
  max: number,
  cid: number,
): SubDetail {
  return {
    ...(account !== undefined ? { account } : {}),
    subject,
    ...(queue !== undefined && queue !== "" ? { qgroup: queue } : {}),
    sid,
    msgs,
    ...(max > 0 ? { max } : {}),
    cid,
  };
}

function openRow(client: Client, now: number): Row {
  const { remoteAddress, remotePort, transport } = client.info;
  const { name, lang, version } = client.connectOptions;
  const hasPeer = remotePort !== undefined && remotePort !== 0;
  const info: ConnInfo = {
    cid: client.cid,
    kind: "Client",
    type: typeOf(transport),
    ip: hasPeer ? (remoteAddress ?? "") : "",
    port: hasPeer ? remotePort : 0,
    start: goTime(client.start),
    last_activity: goTime(client.lastActivity),
    rtt: goDuration(msToNs(client.rtt)),
    uptime: goUptime(now - client.start),
    idle: goUptime(now - client.lastActivity),
    pending_bytes: client.pendingBytes,
    in_msgs: client.inMsgs,
    out_msgs: client.outMsgs,
    in_bytes: client.inBytes,
    out_bytes: client.outBytes,
    subscriptions: client.subscriptions.size,
    ...clientIdentity(name, lang, version),
  };
  return {
    info,
    cid: client.cid,
    startMs: client.start,
    lastMs: client.lastActivity,
    stopMs: undefined,
    rttMs: client.rtt,
    user: client.user,
    account: client.account,
    // monitor.go newClientSubDetail: an open connection's details carry no account.
    subs: () => [...client.subscriptions.values()].map((sub) => subDetail(undefined, sub.subject, sub.queue, sub.sid, sub.delivered, sub.max, client.cid)),
  };
}

function closedRow(record: ClosedClientRecord): Row {
  const hasPeer = record.remotePort !== undefined && record.remotePort !== 0;
  // As nats-server's saveClosedClient, times are taken at the close: uptime and idle stop there.
  const info: ConnInfo = {
    cid: record.cid,
    kind: "Client",
    type: typeOf(record.transport),
    ip: hasPeer ? (record.remoteAddress ?? "") : "",
    port: hasPeer ? record.remotePort! : 0,
    start: goTime(record.start),
    last_activity: goTime(record.lastActivity),
    stop: goTime(record.stop),
    reason: record.reason,
    rtt: goDuration(msToNs(record.rtt)),
    uptime: goUptime(record.stop - record.start),
    idle: goUptime(record.stop - record.lastActivity),
    pending_bytes: 0,
    in_msgs: record.inMsgs,
    out_msgs: record.outMsgs,
    in_bytes: record.inBytes,
    out_bytes: record.outBytes,
    subscriptions: record.subscriptions.length,
    ...clientIdentity(record.name, record.lang, record.version),
  };
  return {
    info,
    cid: record.cid,
    startMs: record.start,
    lastMs: record.lastActivity,
    stopMs: record.stop,
    rttMs: record.rtt,
    // Kept by servers whose closed-connection records carry the user.
    user: record.user,
    account: record.account,
    // saveClosedClient keeps newSubDetail (with the account); closing clears auto-unsubscribe maxima.
    subs: () => record.subscriptions.map((sub) => subDetail(record.account, sub.subject, sub.queue, sub.sid, sub.msgs, 0, record.cid)),
  };
}

type Compare = (a: Row, b: Row) => number;

/** Descending by a number, ties by cid (our sort is stable; nats-server's order of ties is arbitrary). */
function desc(key: (row: Row) => number): Compare {
  return (a, b) => key(b) - key(a) || a.cid - b.cid;
}

function comparator(sort: ConnzSort, now: number): Compare {
  switch (sort) {
    case "cid":
    case "start":
      return (a, b) => a.cid - b.cid;
    case "subs":
      return desc((r) => r.info.subscriptions);
    case "pending":
      return desc((r) => r.info.pending_bytes);
    case "msgs_to":
      return desc((r) => r.info.out_msgs);
    case "msgs_from":
      return desc((r) => r.info.in_msgs);
    case "bytes_to":
      return desc((r) => r.info.out_bytes);
    case "bytes_from":
      return desc((r) => r.info.in_bytes);
    case "last":
      return desc((r) => r.lastMs);
    case "idle":
      return desc((r) => now - r.lastMs);
    case "uptime": {
      // Ascending, as nats-server: the youngest connection first. Start times are in ms, so
      // connections accepted in the same ms tie: the later cid is the younger one.
      const uptime = (r: Row): number => (r.stopMs ?? now) - r.startMs;
      return (a, b) => uptime(a) - uptime(b) || b.cid - a.cid;
    }
    case "stop":
      return desc((r) => r.stopMs ?? 0);
    case "reason":
      return (a, b) => compareText(a.info.reason ?? "", b.info.reason ?? "") || a.cid - b.cid;
    case "rtt":
      return desc((r) => r.rttMs);
  }
}

/** Byte-wise order, as Go compares strings. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isSort(text: string): text is ConnzSort {
  return (CONNZ_SORTS as readonly string[]).includes(text);
}

/** The `/connz` document for the server behind `view`. Throws {@link MonitorRequestError} for options nats-server refuses. */
export function connz(view: MonitorView, options: ConnzOptions = {}): Connz {
  const sortText = options.sort ?? "";
  const sort: ConnzSort = sortText === "" ? "cid" : isSort(sortText) ? sortText : invalidSort(sortText);
  const state = options.state ?? "open";
  if (sort === "stop" && state !== "closed") throw new MonitorRequestError("sort by stop only valid on closed connections");
  if (sort === "reason" && state !== "closed") throw new MonitorRequestError("sort by reason only valid on closed connections");
  const offset = Math.max(0, Math.trunc(options.offset ?? 0));
  let limit = Math.trunc(options.limit ?? 0);
  if (limit <= 0) limit = DEFAULT_CONN_LIST_SIZE;
  const cid = Math.trunc(options.cid ?? 0);
  if (cid > 0) limit = 1;

  const now = Date.now();
  const wantOpen = state === "open" || state === "all";
  const wantClosed = state === "closed" || state === "all";
  const account = options.account ?? "";
  const closed = wantClosed ? view.closedClients().filter((record) => account === "" || record.account === account) : [];
  const rows: Row[] = [];
  let total = closed.length;
  if (wantOpen) {
    for (const client of view.clients()) {
      if (account !== "" && client.account !== account) continue;
      total++;
      if (cid === 0 || client.cid === cid) rows.push(openRow(client, now));
    }
  }
  for (const record of closed) {
    if (cid === 0 || record.cid === cid) rows.push(closedRow(record));
  }
  rows.sort(comparator(sort, now));

  const page = rows.slice(Math.min(offset, rows.length), Math.min(offset + limit, rows.length));
  const connections = page.map((row) => {
    let info = row.info;
    // Field order as nats-server: authorized_user after version, before the lists.
    if (options.auth === true && row.user !== undefined && row.user !== "") info = { ...info, authorized_user: row.user };
    // monitor.go: with auth, the account too, unless it is the global one.
    if (options.auth === true && row.account !== GLOBAL_ACCOUNT) info = { ...info, account: row.account };
    if (options.subs === undefined || options.subs === false || row.info.subscriptions === 0) return info;
    const details = row.subs();
    if (details.length === 0) return info;
    if (options.subs === "detail") return { ...info, subscriptions_list_detail: details };
    return { ...info, subscriptions_list: details.map((d) => d.subject) };
  });
  return {
    server_id: view.id,
    now: goTime(now),
    num_connections: connections.length,
    total,
    offset,
    limit,
    connections,
  };
}

function invalidSort(text: string): never {
  throw new MonitorRequestError(`invalid sorting option: ${text}`);
}

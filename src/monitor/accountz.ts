/**
 * `/accountz` and `/accstatz` (monitor.go `Accountz`, `AccountInfo`, `AccountStatz`): the
 * accounts, one account's detail (`?acc=`), and each account's connections and traffic. Shapes
 * and field order as nats-server 2.9 writes them. The system imports nats-server adds to every
 * account (`$SYS.REQ.ACCOUNT.PING.CONNZ`, ...) are not listed: those requests are not offered
 * here. Traffic is summed over the account's open connections (nats-server also keeps what
 * closed ones sent).
 */
import type { Account } from "../core/account.ts";
import type { AccountDefinition } from "../core/accounts.ts";
import type { MappingDestination } from "../core/subject-mappings.ts";
import { goTime } from "./go-format.ts";
import type { MonitorView } from "./monitor-view.ts";
import { statsJson } from "./subsz.ts";

/** An account as monitoring reads it. */
export interface AccountView {
  readonly account: Account;
  readonly definition: AccountDefinition | undefined;
  readonly jetstream: boolean;
}

export interface AccountzOptions {
  /** One account's detail. */
  account?: string;
}

type Json = Record<string, unknown>;

export function accountz(view: MonitorView, options: AccountzOptions = {}): Json {
  const accounts = view.accounts?.() ?? [];
  const head: Json = { server_id: view.id, now: goTime(Date.now()) };
  const system = view.systemAccount;
  if (system !== undefined) head["system_account"] = system;
  const name = options.account ?? "";
  if (name === "") return { ...head, accounts: accounts.map((a) => a.account.name) };
  const found = accounts.find((a) => a.account.name === name);
  if (found === undefined) return head;
  return { ...head, account_detail: detail(view, found) };
}

function detail(view: MonitorView, { account, definition, jetstream }: AccountView): Json {
  const out: Json = {
    account_name: account.name,
    update_time: goTime(view.startTime),
    expired: false,
    complete: true,
    jetstream_enabled: jetstream,
    leafnode_connections: leafLinksIn(view, account.name),
    client_connections: account.connections,
    subscriptions: account.sublist.count,
  };
  const mappings = definition?.mappings;
  if (mappings !== undefined && Object.keys(mappings).length > 0) {
    out["mappings"] = Object.fromEntries(Object.entries(mappings).map(([source, to]) => [source, mappingJson(source, typeof to === "string" ? [{ destination: to }] : to)]));
  }
  const exports = (definition?.exports ?? []).map((e) => {
    const entry: Json = { subject: e.stream ?? e.service, type: e.stream !== undefined ? "stream" : "service" };
    if (e.service !== undefined) entry["response_type"] = RESPONSE_TYPE_NAMES[e.responseType ?? "singleton"];
    if (e.accounts !== undefined && e.accounts.length > 0) entry["approved_accounts"] = [...e.accounts];
    return entry;
  });
  if (exports.length > 0) out["exports"] = exports;
  const imports = (definition?.imports ?? []).map((i) => {
    if (i.stream !== undefined) {
      const local = i.to ?? (i.prefix === undefined ? i.stream.subject : `${i.prefix}.${i.stream.subject}`);
      return { subject: i.stream.subject, account: i.stream.account, local_subject: local, type: "stream", invalid: false, share: false, tracking: false };
    }
    // nats-server names a service import by the importer's subject, `to` being the exporter's.
    const service = i.service!;
    return { subject: i.to ?? service.subject, account: service.account, to: service.subject, type: "service", invalid: false, share: false, tracking: false };
  });
  if (imports.length > 0) out["imports"] = imports;
  out["sublist_stats"] = statsJson(account.sublist.stats());
  return out;
}

/**
 * A mapping's destinations as nats-server holds them: the source itself added for what the
 * weights leave of 100, sorted by weight, each weight the running total.
 */
function mappingJson(source: string, destinations: readonly MappingDestination[]): Json[] {
  const entries = destinations.map((d) => ({ subject: d.destination, weight: d.weight ?? 100 }));
  const total = entries.reduce((sum, e) => sum + e.weight, 0);
  if (total !== 100 && !entries.some((e) => e.subject === source)) entries.push({ subject: source, weight: 100 - total });
  entries.sort((a, b) => a.weight - b.weight);
  let running = 0;
  return entries.map((e) => ({ subject: e.subject, weight: (running += e.weight) }));
}

/** Go's names of the response types (`Singleton`, `Streamed`, `Chunked`). */
const RESPONSE_TYPE_NAMES = { singleton: "Singleton", stream: "Streamed", chunked: "Chunked" } as const;

/** Leaf links bound to the account (nats-server numLocalLeafNodes). */
function leafLinksIn(view: MonitorView, account: string): number {
  let n = 0;
  for (const link of view.leafNodes?.establishedLinks() ?? []) if (link.account.name === account) n++;
  return n;
}

export interface AccstatzOptions {
  /** Also accounts with no connection (`?unused=1`). */
  unused?: boolean;
  /** Only these accounts (`?accounts=a,b`). */
  accounts?: readonly string[];
}

export function accstatz(view: MonitorView, options: AccstatzOptions = {}): Json {
  const byAccount = new Map<string, { conns: number; sent: { msgs: number; bytes: number }; received: { msgs: number; bytes: number } }>();
  for (const client of view.clients()) {
    let row = byAccount.get(client.account);
    if (row === undefined) byAccount.set(client.account, (row = { conns: 0, sent: { msgs: 0, bytes: 0 }, received: { msgs: 0, bytes: 0 } }));
    row.conns++;
    // From the account's side, as nats-server counts: what its clients sent it is received.
    row.received.msgs += client.inMsgs;
    row.received.bytes += client.inBytes;
    row.sent.msgs += client.outMsgs;
    row.sent.bytes += client.outBytes;
  }
  const wanted = options.accounts !== undefined && options.accounts.length > 0 ? new Set(options.accounts) : undefined;
  const statz: Json[] = [];
  for (const { account } of view.accounts?.() ?? []) {
    if (wanted !== undefined && !wanted.has(account.name)) continue;
    const row = byAccount.get(account.name);
    const leafnodes = leafLinksIn(view, account.name);
    // monitor.go AccountStatz: an account with a client or a leaf link, or every one with `unused`.
    if (row === undefined && leafnodes === 0 && options.unused !== true) continue;
    statz.push({
      acc: account.name,
      conns: row?.conns ?? 0,
      leafnodes,
      total_conns: (row?.conns ?? 0) + leafnodes,
      sent: row?.sent ?? { msgs: 0, bytes: 0 },
      received: row?.received ?? { msgs: 0, bytes: 0 },
      // A slow consumer is cut and counted server-wide (/varz); no account keeps its own count.
      slow_consumers: 0,
    });
  }
  return { server_id: view.id, now: goTime(Date.now()), account_statz: statz };
}

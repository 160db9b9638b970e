/**
 * `/subsz` (alias `/subscriptionsz`): the sublist's counters and, with `subs=1`, the
 * subscriptions themselves, optionally only those a publish to `test` would reach
 * (monitor.go `Subsz`, `HandleSubsz`; sublist.go `SublistStats`).
 */
import type { Client } from "../core/client.ts";
import { SinkKind } from "../core/subscription.ts";
import type { MonitorView } from "./monitor-view.ts";
import { isValidLiteralSubject, subjectMatches } from "../subjects/subject.ts";
import type { SublistStats } from "../subjects/sublist.ts";
import { GLOBAL_ACCOUNT, subDetail, type SubDetail } from "./connz.ts";
import { goTime } from "./go-format.ts";
import { MonitorRequestError } from "./query.ts";

/** Subscriptions listed when no `limit` is given (nats-server `DefaultSubListSize`). */
export const DEFAULT_SUB_LIST_SIZE = 1024;

/** Options of {@link subsz}; the HTTP query parameters of the same names map onto them. */
export interface SubszOptions {
  /** List the subscriptions (`subscriptions_list`). */
  subs?: boolean;
  /** Skip this many of the listed subscriptions. */
  offset?: number;
  /** List at most this many; 0 or less means the default, 1024. */
  limit?: number;
  /** Only subscriptions a message published on this literal subject would reach. */
  test?: string;
}

/** The sublist's counters (nats-server `SublistStats`). */
export interface SublistStatsJson {
  num_subscriptions: number;
  num_cache: number;
  num_inserts: number;
  num_removes: number;
  num_matches: number;
  /** 0..1. */
  cache_hit_rate: number;
  max_fanout: number;
  avg_fanout: number;
}

/** The `/subsz` document (nats-server `Subsz`). Over HTTP, only the counters are sent when the list is empty, as nats-server. */
export interface Subsz extends SublistStatsJson {
  server_id: string;
  /** RFC 3339. */
  now: string;
  /** Subscriptions listed before paging (0 without `subs`). */
  total: number;
  offset: number;
  limit: number;
  subscriptions_list?: SubDetail[];
}

/** The counters alone, as `/subsz` sends them without a list. */
export function sublistStatsJson(view: MonitorView): SublistStatsJson {
  return statsJson(view.sublist.stats());
}

/** A sublist's counters in nats-server's names (also one account's, in `/accountz`). */
export function statsJson(s: SublistStats): SublistStatsJson {
  return {
    num_subscriptions: s.numSubscriptions,
    num_cache: s.numCache,
    num_inserts: s.numInserts,
    num_removes: s.numRemoves,
    num_matches: s.numMatches,
    cache_hit_rate: s.cacheHitRate,
    max_fanout: s.maxFanout,
    avg_fanout: s.avgFanout,
  };
}

/** The `/subsz` document for the server behind `view`. Throws {@link MonitorRequestError} for a `test` subject that is not literal. */
export function subsz(view: MonitorView, options: SubszOptions = {}): Subsz {
  const test = options.test ?? "";
  if (test !== "" && !isValidLiteralSubject(test)) {
    throw new MonitorRequestError(`invalid test subject, must be valid publish subject: ${test}`);
  }
  const offset = Math.max(0, Math.trunc(options.offset ?? 0));
  let limit = Math.trunc(options.limit ?? 0);
  if (limit <= 0) limit = DEFAULT_SUB_LIST_SIZE;
  const out: Subsz = {
    server_id: view.id,
    now: goTime(Date.now()),
    ...sublistStatsJson(view),
    total: 0,
    offset,
    limit,
  };
  if (options.subs !== true) return out;

  const details: SubDetail[] = [];
  const end = offset + limit;
  let matched = 0;
  for (const sub of view.sublist.entries()) {
    // A tap only watches the bus; it is not interest, so it is not listed.
    if (sub.sink.kind === SinkKind.tap) continue;
    if (test !== "" && !subjectMatches(test, sub.subject)) continue;
    if (matched >= offset && matched < end) {
      // In-process subscriptions belong to no connection: cid 0.
      const cid = sub.sink.kind === SinkKind.client ? (sub.sink as Client).cid : 0;
      details.push(subDetail(GLOBAL_ACCOUNT, sub.subject, sub.queue, sub.sid, sub.delivered, sub.max, cid));
    }
    matched++;
  }
  out.total = matched;
  if (details.length > 0) out.subscriptions_list = details;
  return out;
}

/**
 * Per-user publish/subscribe permissions with nats-server's semantics (client.go
 * setPermissions, canSubscribe, pubAllowedFullCheck, checkDenySub): allow lists, deny lists
 * that win, queue-scoped subscribe allows (`"subject queue"`), deny enforced at delivery for
 * wildcard subscriptions that overlap a denied subject, and `allow_responses`.
 */
import type { LRUCache } from "lru-cache";
import { Sublist } from "../subjects/sublist.ts";
import { subjectHasWildcard } from "../subjects/subject.ts";
import { requireOnUse } from "../base/require-on-use.ts";

/** Allow and deny lists of subjects (wildcards allowed). */
export interface SubjectPermission {
  allow?: string[];
  deny?: string[];
}

/** `allow_responses`: publish to reply subjects of received requests. */
export interface ResponsePermission {
  /** Replies allowed per request. Default 1. */
  max?: number;
  /** Milliseconds a reply stays allowed. Default 120000. */
  expires?: number;
}

/** A user's permissions, as nats-server's `permissions { }` block. */
export interface Permissions {
  /** A list means `allow`. */
  publish?: SubjectPermission | string[];
  /** A list means `allow`; an entry `"subject queue"` allows only that queue group. */
  subscribe?: SubjectPermission | string[];
  /** `true` for nats-server's defaults (1 reply within 2 minutes). */
  allowResponses?: boolean | ResponsePermission;
}

/** nats-server DEFAULT_ALLOW_RESPONSE_MAX_MSGS / DEFAULT_ALLOW_RESPONSE_EXPIRATION. */
export const DEFAULT_ALLOW_RESPONSE_MAX_MSGS = 1;
export const DEFAULT_ALLOW_RESPONSE_EXPIRATION = 2 * 60 * 1000;

/** nats-server maxPermCacheSize: results cached per connection. */
const PERM_CACHE_SIZE = 128;

interface Entry {
  readonly subject: string;
  readonly queue: string | undefined;
}

function asSubjectPermission(p: SubjectPermission | string[] | undefined): SubjectPermission | undefined {
  if (p === undefined) return undefined;
  return Array.isArray(p) ? { allow: p } : p;
}

/** `"foo.* v1"` → subject and queue, as nats-server splitSubjectQueue. */
function splitSubjectQueue(text: string): Entry | undefined {
  const parts = text.trim().split(/\s+/);
  if (parts.length === 1 && parts[0] !== "") return { subject: parts[0]!, queue: undefined };
  if (parts.length === 2) return { subject: parts[0]!, queue: parts[1] };
  return undefined;
}

function buildList(items: readonly string[], withQueues: boolean): Sublist<Entry> {
  const list = new Sublist<Entry>({ cacheSize: 0 });
  for (const item of items) {
    const entry = withQueues ? splitSubjectQueue(item) : { subject: item, queue: undefined };
    if (entry !== undefined) list.insert(entry);
  }
  return list;
}

/** Does one of the queue-scoped entries allow `queue`? (client.go queueMatches) */
function queueMatches(queue: string, qsubs: readonly (readonly Entry[])[]): boolean {
  if (qsubs.length === 0) return true;
  for (const group of qsubs) {
    const name = group[0]!.queue!;
    if (queue === name || (subjectHasWildcard(name) && subsetMatch(queue, name))) return true;
  }
  return false;
}

/** Whether every subject `subject` can match is also matched by `pattern` (sublist.go subjectIsSubsetMatch). */
export function subsetMatch(subject: string, pattern: string): boolean {
  const s = subject.split(".");
  const p = pattern.split(".");
  for (let i = 0; i < s.length; i++) {
    if (i >= p.length) return false;
    const pt = p[i]!;
    if (pt === ">") return true;
    const st = s[i]!;
    if (pt === "*") {
      if (st === ">") return false;
      continue;
    }
    if (st !== pt) return false;
  }
  return s.length === p.length;
}

let Lru: typeof LRUCache | undefined;

/** A cache of checked subjects; lru-cache is loaded with the first user that has permissions, not at import. */
function permissionCache(): LRUCache<string, boolean> {
  Lru ??= (requireOnUse("lru-cache") as typeof import("lru-cache")).LRUCache;
  return new Lru<string, boolean>({ max: PERM_CACHE_SIZE });
}

/** Permissions compiled into sublists, ready for checks on the hot path. */
export class CompiledPermissions {
  readonly #pubAllow: Sublist<Entry> | undefined;
  readonly #pubDeny: Sublist<Entry> | undefined;
  readonly #subAllow: Sublist<Entry> | undefined;
  readonly #subDeny: Sublist<Entry> | undefined;
  readonly #subDenyList: readonly string[];
  readonly #pubCache = permissionCache();
  readonly #denyCache = permissionCache();
  /** allow_responses settings, or undefined. */
  readonly responses: { readonly max: number; readonly expires: number } | undefined;
  readonly source: Permissions;

  constructor(source: Permissions) {
    this.source = source;
    let publish = asSubjectPermission(source.publish);
    const subscribe = asSubjectPermission(source.subscribe);
    const resp = source.allowResponses;
    if (resp !== undefined && resp !== false) {
      const r = resp === true ? {} : resp;
      this.responses = {
        max: r.max !== undefined && r.max > 0 ? r.max : DEFAULT_ALLOW_RESPONSE_MAX_MSGS,
        expires: r.expires !== undefined && r.expires > 0 ? r.expires : DEFAULT_ALLOW_RESPONSE_EXPIRATION,
      };
      // auth.go validateResponsePermissions: responses turn off the blanket publish allow.
      publish = { ...publish, allow: publish?.allow ?? [] };
    }
    // An explicit (even empty) publish allow list is a list; an empty subscribe list is none.
    this.#pubAllow = publish?.allow !== undefined ? buildList(publish.allow, false) : undefined;
    this.#pubDeny = publish?.deny !== undefined && publish.deny.length > 0 ? buildList(publish.deny, false) : undefined;
    this.#subAllow = subscribe?.allow !== undefined && subscribe.allow.length > 0 ? buildList(subscribe.allow, true) : undefined;
    this.#subDeny = subscribe?.deny !== undefined && subscribe.deny.length > 0 ? buildList(subscribe.deny, true) : undefined;
    this.#subDenyList = subscribe?.deny ?? [];
  }

  /** Whether the static lists allow publishing to `subject` (responses are checked by the caller). */
  canPublish(subject: string): boolean {
    const cached = this.#pubCache.get(subject);
    if (cached !== undefined) return cached;
    let allowed = true;
    if (this.#pubAllow !== undefined) allowed = this.#pubAllow.match(subject).psubs.length > 0;
    if (allowed && this.#pubDeny !== undefined) allowed = this.#pubDeny.match(subject).psubs.length === 0;
    this.#pubCache.set(subject, allowed);
    return allowed;
  }

  /** client.go canSubscribe. */
  canSubscribe(subject: string, queue: string | undefined): boolean {
    let allowed = true;
    if (this.#subAllow !== undefined) {
      const r = this.#subAllow.match(subject);
      allowed = r.psubs.length > 0;
      if (queue !== undefined && r.qsubs.length > 0) allowed = queueMatches(queue, r.qsubs);
    }
    if (allowed && this.#subDeny !== undefined) {
      const r = this.#subDeny.match(subject);
      allowed = r.psubs.length === 0;
      if (queue !== undefined && r.qsubs.length > 0) allowed = !queueMatches(queue, r.qsubs);
    }
    return allowed;
  }

  /**
   * Whether a wildcard subscription on `subscribed` may receive messages the deny list
   * covers, so that delivery must be checked message by message (client.go loadMsgDenyFilter).
   */
  needsDeliveryCheck(subscribed: string): boolean {
    if (this.#subDeny === undefined || !subjectHasWildcard(subscribed)) return false;
    for (const deny of this.#subDenyList) {
      const entry = splitSubjectQueue(deny);
      if (entry !== undefined && subsetMatch(entry.subject, subscribed)) return true;
    }
    return false;
  }

  /** client.go checkDenySub: is delivery of `subject` denied? */
  deniesDelivery(subject: string): boolean {
    if (this.#subDeny === undefined) return false;
    const cached = this.#denyCache.get(subject);
    if (cached !== undefined) return cached;
    const denied = this.#subDeny.match(subject).psubs.length > 0;
    this.#denyCache.set(subject, denied);
    return denied;
  }
}

import type { MatchResult, Sublist } from "../subjects/sublist.ts";
import type { Subscription } from "./subscription.ts";

/**
 * One publisher's memory of its last match (nats-server's per-client `in.results`): while the
 * account's sublist is unchanged (same `genId`), a publisher repeating a subject skips even the
 * sublist's cache lookup. Every entry point that publishes owns one; other subjects fall
 * through to the sublist's shared result cache.
 */
export class PublisherCache {
  readonly sublist: Sublist<Subscription>;
  #subject = "";
  #genId = -1;
  #result: MatchResult<Subscription> | undefined;

  constructor(sublist: Sublist<Subscription>) {
    this.sublist = sublist;
  }

  /**
   * The subscriptions `subject` reaches in the account. A publisher whose subjects are not
   * checked on the way in (the in-process API; the protocol parser checks a client's) passes
   * `check`: it runs only for a subject that is neither the last one nor in the sublist's cache,
   * where every subject is one that passed it.
   */
  match(subject: string, check?: (subject: string) => void): MatchResult<Subscription> {
    const sublist = this.sublist;
    const result = this.#result;
    if (subject === this.#subject && sublist.genId === this.#genId && result !== undefined) {
      sublist.noteCachedMatch();
      return result;
    }
    return this.#miss(sublist, subject, check);
  }

  /** Apart from {@link match}, so that a repeated subject's path stays small enough to inline. */
  #miss(sublist: Sublist<Subscription>, subject: string, check: ((subject: string) => void) | undefined): MatchResult<Subscription> {
    if (check !== undefined) {
      const cached = sublist.matchCached(subject);
      if (cached !== undefined) return this.#remember(sublist, subject, cached);
      check(subject);
    }
    return this.#remember(sublist, subject, sublist.match(subject));
  }

  #remember(sublist: Sublist<Subscription>, subject: string, result: MatchResult<Subscription>): MatchResult<Subscription> {
    this.#subject = subject;
    this.#genId = sublist.genId;
    this.#result = result;
    return result;
  }
}

/**
 * An account's sublist when leaf nodes or routes are configured: the same `Sublist`, telling
 * the leaf node manager and the routes whenever interest comes or goes, whoever added it
 * (network clients, in-process subscribers, links). Without either, accounts use a plain
 * `Sublist` and pay nothing.
 */
import type { InterestFeed, InterestListener } from "../core/interest-feed.ts";
import type { Subscription } from "../core/subscription.ts";
import { Sublist, type SublistOptions } from "../subjects/sublist.ts";

export class ObservedSublist extends Sublist<Subscription> implements InterestFeed {
  /** Every subscription in the sublist: inserts of one already present are not news. */
  readonly #present = new Set<Subscription>();
  /** Whom to tell: the leaf node manager and the routes. */
  readonly #observers: InterestListener[] = [];

  constructor(options?: SublistOptions<Subscription>) {
    super(options);
  }

  /** Adds a listener; returns what removes it. */
  observe(listener: InterestListener): () => void {
    this.#observers.push(listener);
    return () => {
      const i = this.#observers.indexOf(listener);
      if (i >= 0) this.#observers.splice(i, 1);
    };
  }

  #tell(sub: Subscription, delta: 1 | -1): void {
    for (const observer of this.#observers) observer(sub, delta);
  }

  /** Every subscription, to build a new link's interest map. */
  all(): IterableIterator<Subscription> {
    return this.#present.values();
  }

  override insert(sub: Subscription): boolean {
    if (!super.insert(sub)) return false;
    if (!this.#present.has(sub)) {
      this.#present.add(sub);
      this.#tell(sub, 1);
    }
    return true;
  }

  override remove(sub: Subscription): boolean {
    if (!super.remove(sub)) return false;
    if (this.#present.delete(sub)) this.#tell(sub, -1);
    return true;
  }

  override removeBatch(subs: Iterable<Subscription>): void {
    const list = [...subs];
    super.removeBatch(list);
    for (const sub of list) if (this.#present.delete(sub)) this.#tell(sub, -1);
  }
}

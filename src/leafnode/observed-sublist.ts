/**
 * The server's sublist when leaf nodes are configured: the same `Sublist`, telling the leaf
 * node manager whenever interest comes or goes, whoever added it (network clients, in-process
 * subscribers, links). Without leaf nodes the server uses a plain `Sublist` and pays nothing.
 */
import type { Subscription } from "../core/subscription.ts";
import { Sublist, type SublistOptions } from "../subjects/sublist.ts";

export type InterestListener = (sub: Subscription, delta: 1 | -1) => void;

export class ObservedSublist extends Sublist<Subscription> {
  /** Every subscription in the sublist: inserts of one already present are not news. */
  readonly #present = new Set<Subscription>();
  #listener: InterestListener | undefined;

  constructor(options?: SublistOptions<Subscription>) {
    super(options);
  }

  /** Whom to tell; set once the manager exists. */
  set listener(listener: InterestListener | undefined) {
    this.#listener = listener;
  }

  /** Every subscription, to build a new link's interest map. */
  all(): IterableIterator<Subscription> {
    return this.#present.values();
  }

  override insert(sub: Subscription): boolean {
    if (!super.insert(sub)) return false;
    if (!this.#present.has(sub)) {
      this.#present.add(sub);
      this.#listener?.(sub, 1);
    }
    return true;
  }

  override remove(sub: Subscription): boolean {
    if (!super.remove(sub)) return false;
    if (this.#present.delete(sub)) this.#listener?.(sub, -1);
    return true;
  }

  override removeBatch(subs: Iterable<Subscription>): void {
    const list = [...subs];
    super.removeBatch(list);
    for (const sub of list) if (this.#present.delete(sub)) this.#listener?.(sub, -1);
  }
}

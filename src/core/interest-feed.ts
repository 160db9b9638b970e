/**
 * An account's sublist that reports its interest changes (the server's observed sublists):
 * what routes and leaf links follow to tell their peers which subjects an account wants.
 * Declared in the core so that both features read the same feed without importing each other.
 */
import type { Subscription } from "./subscription.ts";

/** Told of each subscription that enters (+1) or leaves (-1) the sublist. */
export type InterestListener = (sub: Subscription, delta: 1 | -1) => void;

export interface InterestFeed {
  /** Every subscription now in the sublist. */
  all(): Iterable<Subscription>;
  /** Adds a listener; returns what removes it. */
  observe(listener: InterestListener): () => void;
}

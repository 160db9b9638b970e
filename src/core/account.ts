import { Sublist } from "../subjects/sublist.ts";
import { PublisherCache } from "./publisher-cache.ts";
import type { Subscription } from "./subscription.ts";
import type { SubjectMappings } from "./subject-mappings.ts";

/** nats-server's global account: every connection's until accounts are configured. */
export const GLOBAL_ACCOUNT = "$G";

/**
 * An isolated subject space, as nats-server's `Account`: its own sublist, which the router
 * matches in, so the same subject in two accounts never crosses.
 */
export class Account {
  readonly name: string;
  readonly sublist: Sublist<Subscription>;
  /** Client connections at once; -1 for no limit (an account JWT's `limits.conn`). */
  maxConnections = -1;
  /** Subscriptions per connection; -1 for no limit (an account JWT's `limits.subs`). */
  maxSubscriptions = -1;
  /** Payload bytes per message a connection may publish; -1 for no limit (an account JWT's `limits.payload`). */
  maxPayload = -1;
  /** Leaf node links at once, both directions; -1 for no limit (`max_leafnodes`, an account JWT's `limits.leaf`). */
  maxLeafNodes = -1;
  /** Client connections in the account now. */
  connections = 0;
  /** Its subject mappings, applied to what its clients and in-process API publish; undefined for none. */
  mappings: SubjectMappings | undefined = undefined;
  /**
   * Where messages carrying a sampled W3C `traceparent` header are traced (nats-server 2.11's
   * account `msg_trace.dest`); undefined for none. See core/message-trace.ts.
   */
  traceDest: string | undefined = undefined;
  /** Percent of such messages traced from a client of this account (`msg_trace.sampling`), 1-100. */
  traceSampling = 100;

  constructor(name: string, sublist: Sublist<Subscription> = new Sublist<Subscription>()) {
    this.name = name;
    this.sublist = sublist;
  }

  /** A match cache for one publisher in this account (see {@link PublisherCache}). */
  publisher(): PublisherCache {
    return new PublisherCache(this.sublist);
  }
}

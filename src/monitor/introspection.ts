/**
 * Read-only views of a running server for monitoring (`/varz`, `/connz`, `/subsz`) and the
 * ports file: what the server shows the monitor. Internal: reached through a symbol so it stays
 * out of the public API.
 */
import type { Sublist } from "../subjects/sublist.ts";
import type { Tap, TapOptions } from "../direct/public-types.ts";
import type { Client, TrafficStats } from "../core/client.ts";
import type { CloseReasonText } from "../core/close-reason.ts";
import type { ResolvedOptions } from "../options/options.ts";
import type { Subscription } from "../core/subscription.ts";
import type { JetStream } from "../jetstream/jetstream.ts";
import type { ResolvedJetStreamOptions } from "../jetstream/jetstream-options.ts";

/** JetStream as monitoring sees it: the server's options, and the accounts that have it (`$G` first). */
export interface JetStreamView {
  readonly options: ResolvedJetStreamOptions;
  readonly accounts: ReadonlyArray<{ readonly account: string; readonly service: JetStream }>;
}
import type { LeafNodes } from "../leafnode/leaf-nodes.ts";
import type { ServerPorts } from "../base/listener.ts";
import type { RoutesView } from "./routez.ts";
import type { AccountView } from "./accountz.ts";

/** What monitoring reads of the leaf node manager (the server may not have loaded it yet). */
export type LeafNodesView = Pick<LeafNodes, "config" | "port" | "establishedLinks">;

/** @internal The key of `Server`'s introspection method. */
export const kIntrospect: unique symbol = Symbol("nats-embedded.introspect");

/** What is kept of a connection after it closed, for `/connz?state=closed`. */
export interface ClosedClientRecord {
  readonly cid: number;
  readonly transport: string;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** ms since epoch. */
  readonly start: number;
  /** ms since epoch. */
  readonly stop: number;
  readonly lastActivity: number;
  readonly reason: CloseReasonText;
  /** The user the connection had authenticated as, if any (`authorized_user`). */
  readonly user: string | undefined;
  /** The account the connection was in. */
  readonly account: string;
  readonly name: string;
  readonly lang: string;
  readonly version: string;
  /** ms; 0 when never measured. */
  readonly rtt: number;
  readonly inMsgs: number;
  readonly outMsgs: number;
  readonly inBytes: number;
  readonly outBytes: number;
  /** Subjects (and queues) the connection was subscribed to when it closed. */
  readonly subscriptions: readonly { subject: string; queue: string | undefined; sid: string; msgs: number; max: number }[];
}

export interface ServerIntrospection {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  /** ms since epoch. */
  readonly startTime: number;
  readonly options: ResolvedOptions;
  readonly stats: Readonly<TrafficStats>;
  readonly sublist: Sublist<Subscription>;
  /** Open network connections (in-process subscriptions are not connections). */
  clients(): IterableIterator<Client>;
  /** Recently closed connections, oldest first, bounded by `maxClosedClients`. */
  closedClients(): readonly ClosedClientRecord[];
  /** Every open port, by kind. */
  readonly ports: ServerPorts;
  readonly totalConnections: number;
  /** JetStream, when enabled: its options and each account's service (`/jsz`, `/varz` `jetstream`). */
  readonly jetstream?: JetStreamView | undefined;
  /** Leaf nodes, when configured: `/leafz` and `/varz` `leaf`. */
  readonly leafNodes?: LeafNodesView | undefined;
  /** Every account, `$G` first (`/accountz`, `/accstatz`); absent in views made for tests. */
  readonly accounts?: (() => readonly AccountView[]) | undefined;
  /** The system account's name, if there is one. */
  readonly systemAccount?: string | undefined;
  /** Routes, when clustered: `/routez`. */
  readonly routes?: RoutesView | undefined;
  /**
   * Records what crosses the bus on `subject`: the dashboard's live tail. Present only when
   * the tail is switched on (`http: { tail: true }`), since it shows message contents.
   */
  tap?: (subject: string, options?: TapOptions) => Tap;
}

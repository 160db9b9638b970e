import type { Logger } from "../base/logger.ts";
import type { Account } from "../core/account.ts";
import type { TrafficStats } from "../core/client.ts";
import type { CloseReasonText } from "../core/close-reason.ts";
import type { ConnectionSettings } from "../core/connection-settings.ts";
import type { CompiledPermissions } from "../core/permissions.ts";
import type { TraceServer } from "../core/message-trace.ts";
import type { PublisherCache } from "../core/publisher-cache.ts";
import type { RouteLink } from "./route-link.ts";

/** A route INFO as nats-server sends it (server.go Info, the fields routes use). */
export interface RouteInfo {
  server_id: string;
  server_name?: string;
  version?: string;
  proto?: number;
  host?: string;
  port?: number;
  headers?: boolean;
  auth_required?: boolean;
  max_payload?: number;
  nonce?: string;
  cluster?: string;
  cluster_dynamic?: boolean;
  connect_urls?: unknown[];
  /** `nats-route://host:port/`: where to dial the server this INFO describes (gossip). */
  ip?: string;
  ldm?: boolean;
  /**
   * 2.10+ route pooling (route.go): the size of the sender's pool, the index of this connection
   * in it, and the account a dedicated ("pinned") route is for. We send none of them.
   */
  route_pool_size?: number;
  route_pool_idx?: number;
  route_account?: string;
  [key: string]: unknown;
}

/** Why a route CONNECT was refused: the close reason and the `-ERR` text. */
export interface ConnectRefusal {
  reason: string;
  error: string;
}

/** What a {@link RouteLink} needs from the route manager (and, through it, the server). */
export interface RouteHost {
  readonly options: ConnectionSettings;
  readonly logger: Logger;
  readonly stats: TrafficStats;
  /** `cluster.permissions`: `publish` is what we import, `subscribe` what we export. */
  readonly permissions: CompiledPermissions | undefined;
  /** Milliseconds a route has to complete its handshake. */
  readonly handshakeTimeout: number;
  /** Our route INFO, without a nonce. */
  routeInfoJson(): string;
  /** The CONNECT we send on a route we dialed (route.go sendRouteConnect). */
  connectJson(url: URL): string;
  /** Accept side: the CONNECT's cluster name and credentials; undefined when accepted. */
  checkConnect(cluster: string, dynamic: boolean, user: string, pass: string): ConnectRefusal | undefined;
  /** The peer's first INFO: undefined registers the route, a close reason refuses it. */
  infoReceived(link: RouteLink, info: RouteInfo): string | undefined;
  /** The route is registered: send it our interest. */
  registered(link: RouteLink): void;
  /** A forwarded INFO about another server of the cluster. */
  implicitRoute(info: RouteInfo): void;
  /** The peer's client URLs changed (or it entered lame duck mode). */
  peerUrlsChanged(link: RouteLink): void;
  /** Who this server is, in the trace events of messages that come in over a route. */
  readonly traceServer: TraceServer;
  /** An account by name; undefined when we have none by that name. */
  account(name: string): Account | undefined;
  /**
   * A message from the peer, for local subscribers and leaf links (never another route);
   * `origin` is the leaf node cluster of an LMSG ("" otherwise).
   */
  routeInbound(
    source: RouteLink,
    publisher: PublisherCache,
    subject: string,
    reply: string,
    queues: readonly string[],
    headerSize: number,
    data: Buffer,
    start: number,
    end: number,
    origin: string,
  ): void;
  slowConsumer(link: RouteLink, reason: CloseReasonText): void;
  closed(link: RouteLink, reason: string): void;
}

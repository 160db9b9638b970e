import type { Logger } from "../base/logger.ts";

/**
 * The server-wide settings a connection reads, each resolved with its default: the part of
 * the server's options that the connection core knows. The server's resolved options satisfy it.
 */
export interface ConnectionSettings {
  readonly maxPayload: number;
  readonly maxControlLine: number;
  /** Subscriptions one client may hold; 0 = unlimited. */
  readonly maxSubscriptions: number;
  /** Outbound bytes a connection may have queued before it is cut as a slow consumer. */
  readonly maxPending: number;
  readonly pingInterval: number;
  readonly pingMax: number;
  /** Milliseconds a write may stay unflushed before the connection is cut. */
  readonly writeDeadline: number;
  readonly logger: Logger;
  readonly trace: boolean;
}

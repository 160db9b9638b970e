/**
 * The sort orders of `/connz`, apart from the rest of it: the package exports them, and
 * importing the package must not load the monitoring code (docs/performance.md).
 */

/** Sort orders of `/connz` (nats-server `SortOpt`). Only `cid`/`start`, `uptime` and `reason` ascend. */
export const CONNZ_SORTS = [
  "cid",
  "start",
  "subs",
  "pending",
  "msgs_to",
  "msgs_from",
  "bytes_to",
  "bytes_from",
  "last",
  "idle",
  "uptime",
  "stop",
  "reason",
  "rtt",
] as const;
export type ConnzSort = (typeof CONNZ_SORTS)[number];

/**
 * nats-embedded: a NATS-protocol broker inside your Node.js process.
 * This module is the public API and nothing else.
 */
export { createServer, Server } from "./server/server.ts";
export type { ServerEvents, ClientEventInfo, HandleOptions } from "./server/server.ts";
export type { ServerOptions, ResolvedOptions } from "./server/options.ts";
export type { Logger } from "./server/logger.ts";
export type { TrafficStats } from "./server/client.ts";
export { CloseReason } from "./server/close-reason.ts";
export type { CloseReasonText } from "./server/close-reason.ts";
export { NatsEmbeddedError, InvalidOptionError, ServerClosedError, ErrorCode } from "./errors.ts";
export type { ErrorCodeValue } from "./errors.ts";
export {
  SERVER_VERSION,
  MAX_CONTROL_LINE_SIZE,
  MAX_PAYLOAD_SIZE,
  MAX_PENDING_SIZE,
  DEFAULT_PING_INTERVAL,
  DEFAULT_PING_MAX_OUT,
  DEFAULT_WRITE_DEADLINE,
  DEFAULT_MAX_CONNECTIONS,
} from "./constants.ts";

/**
 * nats-embedded: a NATS-protocol broker inside your Node.js process.
 * This module is the public API and nothing else.
 */
export { createServer, Server } from "./server/server.ts";
export type { ServerEvents, ClientEventInfo, HandleOptions } from "./server/server.ts";
export type { ServerOptions, ResolvedOptions, ReloadableOptions } from "./options/options.ts";
export type { WebSocketOptions } from "./transport/websocket-options.ts";
export type { JetStreamOptions, ResolvedJetStreamOptions } from "./jetstream/jetstream-options.ts";
export type { TlsOptions } from "./transport/tls.ts";
export type { LeafNodeOptions, LeafRemoteOptions, LeafRemoteTls, LeafCredentials } from "./leafnode/options.ts";
export type { LeafLinkInfo } from "./leafnode/leaf-nodes.ts";
export { ConfigError, loadConfigFile, parseConfig, parseConfigFile } from "./config/index.ts";
export type { ConfigProblem, LoadedConfig } from "./config/index.ts";
export type { Logger } from "./base/logger.ts";
export type { TrafficStats } from "./core/client.ts";
export { CloseReason } from "./core/close-reason.ts";
export type { CloseReasonText } from "./core/close-reason.ts";
export {
  NatsEmbeddedError,
  InvalidOptionError,
  InvalidArgumentError,
  ServerClosedError,
  NoRespondersError,
  TimeoutError,
  MaxPayloadError,
  PermissionViolationError,
  ErrorCode,
} from "./base/errors.ts";
export type {
  DirectMsg,
  DirectSubscription,
  Tap,
  Payload,
  SubscribeOptions,
  TapOptions,
  PublishOptions,
  RequestOptions,
  UserScopedApi,
} from "./direct/public-types.ts";
export { MsgHeaders, headers } from "./direct/headers.ts";
export type { HeadersInit } from "./direct/headers.ts";
export { MonitorRequestError } from "./monitor/query.ts";
export type {
  Varz,
  Connz,
  ConnInfo,
  ConnzOptions,
  ConnzSort,
  ConnState,
  SubDetail,
  Subsz,
  SubszOptions,
  SublistStatsJson,
  HealthStatus,
  Jsz,
  JszOptions,
  AccountDetail,
  StreamDetail,
  JetStreamConfigJson,
  JetStreamStatsJson,
  JetStreamVarz,
  Leafz,
  LeafzOptions,
  LeafInfo,
  LeafNodeVarz,
  RemoteLeafVarz,
} from "./monitor/index.ts";
export type {
  AuthOptions,
  AuthenticateFn,
  AuthContext,
  AuthenticatedUser,
  AuthResult,
  ConnectCredentials,
  UserConfig,
} from "./auth/authenticator.ts";
export type { Permissions, SubjectPermission, ResponsePermission } from "./core/permissions.ts";
export type { ErrorCodeValue } from "./base/errors.ts";
export {
  SERVER_VERSION,
  MAX_CONTROL_LINE_SIZE,
  MAX_PAYLOAD_SIZE,
  MAX_PENDING_SIZE,
  DEFAULT_PING_INTERVAL,
  DEFAULT_PING_MAX_OUT,
  DEFAULT_WRITE_DEADLINE,
  DEFAULT_MAX_CONNECTIONS,
} from "./base/constants.ts";

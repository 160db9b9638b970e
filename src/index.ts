/**
 * nats-embedded: a NATS-protocol broker inside your Node.js process.
 * This module is the public API and nothing else.
 */
export { createServer, Server } from "./server/server.ts";
export type { ServerEvents, ClientEventInfo, HandleOptions } from "./server/server.ts";
export type { ServerPorts } from "./base/listener.ts";
export type { PeerIdentity } from "./core/identity.ts";
export type { ServerOptions, ResolvedOptions, ReloadableOptions, AccountOptions } from "./options/options.ts";
export type { AccountDefinition, AccountExport, AccountImport, AccountLimits, ServiceResponseType } from "./core/accounts.ts";
export type { WebSocketOptions, ResolvedWebSocketOptions } from "./transport/websocket-options.ts";
export type { MappingDestination, SubjectMappingOptions } from "./core/subject-mappings.ts";
export type { AccountJetStreamLimits, AccountJetStreamOptions, JetStreamOptions, ResolvedJetStreamOptions } from "./jetstream/jetstream-options.ts";
export type { SyncPolicy } from "./jetstream/store/stream-store.ts";
export type { TlsOptions, ResolvedTls, TlsMaterial } from "./transport/tls.ts";
export type {
  LeafNodeOptions,
  LeafAuthorization,
  LeafRemoteOptions,
  LeafRemoteTls,
  LeafCredentials,
  ResolvedLeafNodes,
  ResolvedLeafRemote,
  ResolvedLeafRemoteTls,
} from "./leafnode/options.ts";
export type { LeafLinkInfo } from "./leafnode/leaf-nodes.ts";
export type { ClusterOptions, ResolvedCluster, ResolvedRouteTls } from "./route/options.ts";
export type { RouteLinkInfo } from "./route/routes.ts";
export { ConfigError, loadConfigFile, parseConfig, parseConfigFile } from "./config/index.ts";
export type {
  ConfigProblem,
  LoadedConfig,
  ParseConfigOptions,
  ConfigLimits,
  MappedConfig,
  CliConfig,
  ConfigValue,
  ConfigMap,
  ConfigArray,
  ConfigEntry,
  ConfigString,
  ConfigInteger,
  ConfigFloat,
  ConfigBoolean,
  ConfigDatetime,
  SourcePosition,
  ConfigValueBase,
} from "./config/index.ts";
export type { StreamConfig, StreamStateJson, RetentionPolicy, DiscardPolicy, StorageType, StreamSource, SubjectTransformConfig, RePublish } from "./jetstream/shared/types.ts";
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
  AccountScopedApi,
} from "./direct/public-types.ts";
export { MsgHeaders, headers } from "./direct/headers.ts";
export type { HeadersInit } from "./direct/headers.ts";
export { MonitorRequestError } from "./monitor/query.ts";
export { CONNZ_SORTS } from "./monitor/connz-sorts.ts";
export type {
  Varz,
  WebsocketVarz,
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
  Routez,
  RoutezOptions,
  AccountzOptions,
  AccstatzOptions,
  RouteInfo,
  ClusterVarz,
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
export type { OperatorOptions } from "./auth/operator.ts";
export type { AuthCalloutOptions } from "./auth/auth-callout.ts";
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

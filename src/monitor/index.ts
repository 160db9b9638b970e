/**
 * The monitoring data as functions of a server's introspection view, for the server's
 * in-process `varz()`, `connz()`, `subsz()`, `healthz()` and for the HTTP listener. The
 * listener itself (`monitor-server.ts`, with prom-client) is not here: the server loads it
 * only when a monitoring port is configured.
 */
export { varz, type Varz, type WebsocketVarz } from "./varz.ts";
export { connz, CONNZ_SORTS, DEFAULT_CONN_LIST_SIZE, type Connz, type ConnInfo, type ConnzOptions, type ConnzSort, type SubDetail } from "./connz.ts";
export { subsz, DEFAULT_SUB_LIST_SIZE, type Subsz, type SubszOptions, type SublistStatsJson } from "./subsz.ts";
export { healthz, type HealthStatus } from "./healthz.ts";
export {
  jsz,
  type Jsz,
  type JszOptions,
  type AccountDetail,
  type StreamDetail,
  type JetStreamConfigJson,
  type JetStreamStatsJson,
  type JetStreamVarz,
} from "./jsz.ts";
export { routez, type Routez, type RoutezOptions, type RouteInfo, type ClusterVarz } from "./routez.ts";
export { accountz, accstatz, type AccountzOptions, type AccstatzOptions } from "./accountz.ts";
export { leafz, type Leafz, type LeafzOptions, type LeafInfo, type LeafNodeVarz, type RemoteLeafVarz } from "./leafz.ts";
export { MonitorRequestError, type ConnState } from "./query.ts";

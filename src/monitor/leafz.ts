/**
 * `/leafz` and the `leaf` section of `/varz`: the leaf node links and the leaf node
 * configuration, in nats-server's JSON shapes (monitor.go `Leafz`, `LeafInfo`,
 * `LeafNodeOptsVarz`, `RemoteLeafOptsVarz`). Field order and omissions follow Go's encoding.
 *
 * `LeafInfo` carries `name` and `is_spoke` as nats-server 2.10 does (2.9.10 lacks them):
 * dashboards use them to tell which end of a link they look at.
 */
import { AUTH_TIMEOUT } from "../base/constants.ts";
import type { LeafLink } from "../leafnode/leaf-link.ts";
import type { ResolvedLeafNodes } from "../leafnode/options.ts";
import { goDuration, goTime, msToNs } from "./go-format.ts";
import type { MonitorView } from "./monitor-view.ts";

/** nats-server's TLS_TIMEOUT (seconds), reported as leaf `tls_timeout` when none is configured. */
const DEFAULT_TLS_TIMEOUT_SECONDS = 2;

/** What `/leafz` shows. */
export interface LeafzOptions {
  /** List each link's subjects (`subscriptions_list`). */
  subs?: boolean;
  /** Only links bound to this account (`acc`). */
  account?: string;
}

/** monitor.go `LeafInfo`: one link. */
export interface LeafInfo {
  /** The peer's server name. */
  name: string;
  /** True on the side that dialed (this server is the leaf node of the link). */
  is_spoke: boolean;
  account: string;
  ip: string;
  port: number;
  /** Last PING round trip, as Go's `time.Duration` string (`1.2ms`). */
  rtt: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  /** Subjects the peer is interested in. */
  subscriptions: number;
  /** Those subjects, with `subs`. */
  subscriptions_list?: string[];
}

/** monitor.go `Leafz`, the `/leafz` document. */
export interface Leafz {
  server_id: string;
  /** RFC 3339. */
  now: string;
  leafnodes: number;
  leafs: LeafInfo[];
}

/** monitor.go `RemoteLeafOptsVarz`: one configured hub. */
export interface RemoteLeafVarz {
  local_account?: string;
  /** Seconds; only when the remote uses TLS. */
  tls_timeout?: number;
  /** `host:port` of each URL (credentials left out). */
  urls?: string[];
  deny?: { exports?: string[]; imports?: string[] };
}

/** monitor.go `LeafNodeOptsVarz`, the `/varz` `leaf` section; empty without leaf nodes. */
export interface LeafNodeVarz {
  host?: string;
  port?: number;
  /** Seconds. */
  auth_timeout?: number;
  /** Seconds. */
  tls_timeout?: number;
  tls_required?: boolean;
  tls_verify?: boolean;
  remotes?: RemoteLeafVarz[];
}

function leafInfo(link: LeafLink, subs: boolean): LeafInfo {
  const { ip, port } = link.remoteEndpoint;
  const subjects = link.remoteSubjects();
  return {
    name: link.peerName,
    is_spoke: link.role === "solicit",
    account: link.account.name,
    ip,
    port,
    rtt: goDuration(msToNs(link.rtt)),
    in_msgs: link.inMsgs,
    out_msgs: link.outMsgs,
    in_bytes: link.inBytes,
    out_bytes: link.outBytes,
    subscriptions: subjects.length,
    ...(subs && subjects.length > 0 && { subscriptions_list: subjects }),
  };
}

/** The `/leafz` document for the server behind `view`. */
export function leafz(view: MonitorView, options: LeafzOptions = {}): Leafz {
  const account = options.account ?? "";
  const all = view.leafNodes?.establishedLinks() ?? [];
  const links = account === "" ? all : all.filter((link) => link.account.name === account);
  const leafs = links.sort((a, b) => a.cid - b.cid).map((link) => leafInfo(link, options.subs === true));
  return { server_id: view.id, now: goTime(Date.now()), leafnodes: leafs.length, leafs };
}

/** Number of leaf node links up: `/varz` `leafnodes`. */
export function leafNodeCount(view: MonitorView): number {
  return view.leafNodes?.establishedLinks().length ?? 0;
}

function remoteVarz(remote: ResolvedLeafNodes["remotes"][number]): RemoteLeafVarz {
  const out: RemoteLeafVarz = { local_account: remote.account };
  if (remote.tls !== undefined) out.tls_timeout = DEFAULT_TLS_TIMEOUT_SECONDS;
  out.urls = remote.urls.map((url) => url.host);
  if (remote.denyExports.length > 0 || remote.denyImports.length > 0) {
    out.deny = {
      ...(remote.denyExports.length > 0 && { exports: [...remote.denyExports] }),
      ...(remote.denyImports.length > 0 && { imports: [...remote.denyImports] }),
    };
  }
  return out;
}

/** The `/varz` `leaf` section: the leaf port's settings (when listening) and the remotes. */
export function leafNodeVarz(view: MonitorView): LeafNodeVarz {
  const leaf = view.leafNodes;
  if (leaf === undefined) return {};
  const config = leaf.config;
  const out: LeafNodeVarz = {};
  if (config.listen !== undefined) {
    out.host = config.listen.host ?? view.options.host;
    out.port = leaf.port ?? config.listen.port;
    out.auth_timeout = (config.authorization?.timeout ?? AUTH_TIMEOUT) / 1000;
    out.tls_timeout = config.tls !== undefined ? config.tls.timeout / 1000 : DEFAULT_TLS_TIMEOUT_SECONDS;
    if (config.tls !== undefined) out.tls_required = true;
    if (config.tls?.verify === true) out.tls_verify = true;
  }
  if (config.remotes.length > 0) out.remotes = config.remotes.map(remoteVarz);
  return out;
}

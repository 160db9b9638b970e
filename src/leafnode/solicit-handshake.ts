/**
 * What the soliciting side of a leaf link says and learns during the handshake: the CONNECT it
 * sends (leafnode.go sendLeafConnect) and the permissions the hub's INFO imposes on it
 * (leafnode.go processLeafnodeInfo). Pure functions: the link does the I/O.
 */
import { fromSeed } from "@nats-io/nkeys";
import { SERVER_VERSION } from "../base/constants.ts";
import { MSG_TRACE_PROTO } from "../core/message-trace.ts";
import type { Permissions } from "../core/permissions.ts";
import type { ResolvedLeafRemote } from "./options.ts";

/**
 * The leaf CONNECT: server-ish fields and one kind of credentials, never `lang` (a `lang` tells
 * the hub a client dialed its leaf port). A creds file gives `jwt` + `sig`, an nkey seed `nkey`
 * + `sig` (the nonce signed, base64url as nats-server expects); `remote_account` names the local
 * account the link binds; URL userinfo wins over
 * `user`/`password`; a user with no password is sent as a token too, as nats-server does.
 */
export function leafConnectJson(remote: ResolvedLeafRemote, url: URL, nonce: string, serverId: string, serverName: string, account: string, cluster?: string): string {
  const connect: Record<string, unknown> = {
    version: SERVER_VERSION,
    server_id: serverId,
    name: serverName,
    headers: true,
    // server.go MsgTraceProto, as nats-server's leafConnectInfo: the hub may send us traced messages.
    protocol: MSG_TRACE_PROTO,
    // leafConnectInfo RemoteAccount: tells the hub which of our accounts the link binds.
    remote_account: account,
  };
  // leafnode.go sendLeafConnect: a member of a cluster says which, so that the hub does not
  // echo the cluster's messages and interest back into it through another of its members.
  if (cluster !== undefined) connect["cluster"] = cluster;
  if (remote.nkeySeed !== undefined) {
    const kp = fromSeed(new TextEncoder().encode(remote.nkeySeed));
    const sig = Buffer.from(kp.sign(new TextEncoder().encode(nonce))).toString("base64url");
    if (remote.jwt !== undefined) connect["jwt"] = remote.jwt;
    else connect["nkey"] = kp.getPublicKey();
    connect["sig"] = sig;
  }
  const urlUser = url.username !== "" ? decodeURIComponent(url.username) : undefined;
  const urlPass = url.password !== "" ? decodeURIComponent(url.password) : undefined;
  const user = urlUser ?? remote.user;
  const pass = urlUser !== undefined ? urlPass : remote.password;
  if (user !== undefined) {
    connect["user"] = user;
    if (pass !== undefined) connect["pass"] = pass;
    else connect["auth_token"] = user;
  } else if (remote.token !== undefined) {
    connect["auth_token"] = remote.token;
  }
  return JSON.stringify(connect);
}

/**
 * The hub's view of what we may do: its `export` is what we may publish to it, its `import`
 * what we may subscribe to, with the remote's own `denyExports`/`denyImports` added.
 * Undefined when nothing is restricted.
 */
export function hubPermissions(info: Record<string, unknown>, remote: ResolvedLeafRemote | undefined): Permissions | undefined {
  const exp = asPermission(info["export"]);
  const imp = asPermission(info["import"]);
  const denyExports = remote?.denyExports ?? [];
  const denyImports = remote?.denyImports ?? [];
  if (exp === undefined && imp === undefined && denyExports.length === 0 && denyImports.length === 0) return undefined;
  return {
    publish: { ...(exp?.allow !== undefined && { allow: exp.allow }), deny: [...(exp?.deny ?? []), ...denyExports] },
    subscribe: { ...(imp?.allow !== undefined && { allow: imp.allow }), deny: [...(imp?.deny ?? []), ...denyImports] },
  };
}

function asPermission(value: unknown): { allow?: string[]; deny?: string[] } | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as Record<string, unknown>;
  const list = (x: unknown): string[] | undefined => (Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : undefined);
  const allow = list(v["allow"]);
  const deny = list(v["deny"]);
  if (allow === undefined && deny === undefined) return undefined;
  return { ...(allow !== undefined && { allow }), ...(deny !== undefined && { deny }) };
}

/**
 * The official NATS client (`@nats-io/nats-core` with `@nats-io/transport-node`) over an
 * in-memory pipe: `server.connect()` returns a real `NatsConnection`, so the whole official
 * API (request, headers, drain, JetStream, KV, services) works in-process with no socket.
 *
 * nats-core picks its transport through one process-wide factory that transport-node's own
 * `connect()` overwrites on every call. So we install a factory whose transport is
 * transport-node's own, except that dialling one of our in-process host names opens a pipe
 * instead of a socket. TCP connections made through it behave exactly as before; and since an
 * in-process connection never redials (`reconnect: false`), a later transport-node
 * `connect()` replacing the factory cannot break it. Both packages are optional peer
 * dependencies, loaded only when `connect()` is first used, so the host's copies are used.
 */
import type { Duplex } from "node:stream";
import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import { requireOnUse } from "../base/require-on-use.ts";


/** Something that can open an in-memory client connection (the server). */
export interface PipeProvider {
  inProcessConn(): Duplex;
}

/** Host names `inprocess-<id>` resolve to live servers, here and only here. */
const servers = new Map<string, PipeProvider>();

const HOST_PREFIX = "inprocess-";

interface TransportModules {
  setTransportFactory: (config: { factory: () => unknown; dnsResolveFn?: (host: string) => Promise<string[]> }) => void;
  connectImpl: (opts: ConnectionOptions) => Promise<NatsConnection>;
  NodeTransport: new () => object;
  nodeResolveHost: (host: string) => Promise<string[]>;
}

let modules: Promise<TransportModules> | undefined;

function loadModules(): Promise<TransportModules> {
  modules ??= (async () => {
    try {
      // Both are CommonJS packages; require, not import(), keeps import() out of the CommonJS
      // build, which Jest's CommonJS runtime cannot run.
      const core = requireOnUse("@nats-io/nats-core/internal") as typeof import("@nats-io/nats-core/internal");
      // transport-node has no exports map; its NodeTransport is reachable by path.
      const node = requireOnUse("@nats-io/transport-node/lib/node_transport.js") as typeof import("@nats-io/transport-node/lib/node_transport.js");
      return {
        setTransportFactory: core.setTransportFactory as TransportModules["setTransportFactory"],
        connectImpl: (opts) => core.NatsConnectionImpl.connect(opts),
        NodeTransport: node.NodeTransport,
        nodeResolveHost: node.nodeResolveHost,
      };
    } catch (err) {
      modules = undefined;
      throw new Error(
        "server.connect() needs the official client: npm install @nats-io/transport-node @nats-io/nats-core",
        { cause: err },
      );
    }
  })();
  return modules;
}

/** The factory we install: transport-node's transport, with in-process host names piped. */
function installFactory(m: TransportModules): void {
  class PipeOrSocketTransport extends (m.NodeTransport as new () => { dial(hp: { hostname: string; port: number }): Promise<unknown> }) {
    override dial(hp: { hostname: string; port: number }): Promise<unknown> {
      const provider = servers.get(hp.hostname.toLowerCase());
      if (provider === undefined) return super.dial(hp);
      try {
        return Promise.resolve(provider.inProcessConn());
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
  }
  m.setTransportFactory({
    factory: () => new PipeOrSocketTransport(),
    // Our host names are not in DNS: keep them as they are, resolve the rest as transport-node does.
    dnsResolveFn: (host) => (servers.has(host.toLowerCase()) ? Promise.resolve([host]) : m.nodeResolveHost(host)),
  });
}

/** Makes `provider` reachable as `inprocess-<id>:4222`; returns the undo. */
export function registerInProcessServer(id: string, provider: PipeProvider): () => void {
  const host = `${HOST_PREFIX}${id.toLowerCase()}`;
  servers.set(host, provider);
  return () => {
    if (servers.get(host) === provider) servers.delete(host);
  };
}

/** Connects the official client to the server registered as `id`, over a pipe. */
export async function connectInProcess(id: string, options: ConnectionOptions = {}): Promise<NatsConnection> {
  const m = await loadModules();
  installFactory(m);
  return m.connectImpl({
    reconnect: false,
    ...options,
    servers: `${HOST_PREFIX}${id.toLowerCase()}:4222`,
  });
}

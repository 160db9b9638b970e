/** Shared pieces of the cluster tests: embedded nodes meshed over loopback, and waiting. */
import type { TestContext } from "node:test";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";
import { eventually } from "../helpers/broker.ts";

export { eventually };

export type Node = Server & { url: string; clusterPort: number };

/** A listening node with a client port and a route port (both picked by the system). */
export async function startNode(t: TestContext, options: ServerOptions = {}, cluster: Partial<NonNullable<ServerOptions["cluster"]>> = {}): Promise<Node> {
  const server = createServer({ port: 0, ...options, cluster: { port: 0, name: "test", ...cluster } });
  t.after(() => server.close());
  await server.listen();
  return server as Node;
}

/** Waits until `server` has `n` registered routes. */
export async function routesUp(server: Server, n = 1, timeoutMs = 5000): Promise<void> {
  await eventually(() => server.routes.length === n, `${n} route(s) on ${server.options.serverName ?? server.id}`, timeoutMs);
}

export function routeUrl(node: Node): string {
  return `nats-route://127.0.0.1:${node.clusterPort}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

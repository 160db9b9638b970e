/** Shared pieces of the leaf node tests: a nats-server hub, free ports, and waiting for interest. */
import { createServer as createNetServer } from "node:net";
import type { TestContext } from "node:test";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";
import { startNatsServer, type NatsServerProcess } from "../helpers/nats-server-process.ts";
import { eventually } from "../helpers/broker.ts";

export { eventually };

/** A port free right now on 127.0.0.1 (for a hub that must come back on the same port). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Hub {
  readonly process: NatsServerProcess;
  /** Client URL. */
  readonly url: string;
  readonly leafPort: number;
  readonly httpPort: number;
  /** `/leafz?subs=1` of the hub. */
  leafz(): Promise<{ leafs: { name: string; subscriptions: number; subscriptions_list?: string[] }[] | null }>;
}

/**
 * Starts nats-server with a leaf port (user `leaf`/`s3cret` unless `leafAuth` says otherwise)
 * and a monitoring port; `leafExtra` goes inside its `leafnodes { }` block, `extra` after it. Stopped when the test ends.
 */
export async function startHub(
  t: TestContext,
  options: { leafPort?: number; leafAuth?: string; leafExtra?: string; extra?: string; name?: string } = {},
): Promise<Hub> {
  const leafPort = options.leafPort ?? (await freePort());
  const httpPort = await freePort();
  const auth = options.leafAuth ?? `authorization { user: leaf, password: s3cret }`;
  const config = `
server_name: ${options.name ?? "hub"}
http: 127.0.0.1:${httpPort}
leafnodes {
  listen: 127.0.0.1:${leafPort}
  ${auth}
  ${options.leafExtra ?? ""}
}
${options.extra ?? ""}
`;
  const process = await startNatsServer([], config);
  t.after(() => process.stop());
  return {
    process,
    url: `nats://127.0.0.1:${process.port}`,
    leafPort,
    httpPort,
    async leafz() {
      const res = await fetch(`http://127.0.0.1:${httpPort}/leafz?subs=1`);
      return (await res.json()) as Awaited<ReturnType<Hub["leafz"]>>;
    },
  };
}

/** Our broker, listening on an ephemeral client port, closed when the test ends. */
export async function startLeafBroker(t: TestContext, options: ServerOptions): Promise<Server & { url: string }> {
  const server = createServer({ host: "127.0.0.1", port: 0, ...options });
  t.after(() => server.close());
  await server.listen();
  return server as Server & { url: string };
}

/** Waits until `server` has `n` leaf links up. */
export async function linksUp(server: Server, n = 1, timeoutMs = 10_000): Promise<void> {
  await eventually(() => server.leafNodes.length >= n, `${n} leaf link(s) on ${server.id.slice(0, 8)}`, timeoutMs);
}

/** Waits until the hub lists `subject` among the subscriptions of some leaf. */
export async function hubSeesLeafInterest(hub: Hub, subject: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const z = await hub.leafz();
    // nats-server's /leafz has `"leafs": null` until a leaf connects: not yet, so ask again.
    if ((z.leafs ?? []).some((l) => (l.subscriptions_list ?? []).some((s) => s === subject || s.startsWith(`${subject} `)))) return;
    if (Date.now() > deadline) throw new Error(`hub never saw leaf interest in ${subject}: ${JSON.stringify(z)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A real NATS bus for a test, in milliseconds, in memory: `startTestServer()` starts a broker
 * (no port unless asked) and connects the official client to it over a pipe.
 *
 * ```ts
 * import { startTestServer } from "nats-embedded/testing";
 * await using t = await startTestServer();
 * t.nc.publish("orders.created", "42");
 * ```
 */
import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import { createServer, type Server } from "./server/server.ts";
import type { ServerOptions } from "./options/options.ts";

export interface TestServerOptions extends ServerOptions {
  /** Options of the official client connected in-process; `false` for no client. */
  client?: ConnectionOptions | false;
}

export interface TestServer extends AsyncDisposable {
  readonly server: Server;
  /** The official client over an in-memory pipe (absent with `client: false`). */
  readonly nc: NatsConnection;
  /** `nats://127.0.0.1:<port>` when a port was asked for (`port: 0`), else undefined. */
  readonly url: string | undefined;
  /** Closes the client and the server. */
  close(): Promise<void>;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { client, ...serverOptions } = options;
  const server = createServer(serverOptions);
  await server.listen();
  let nc: NatsConnection | undefined;
  try {
    if (client !== false) nc = await server.connect(client ?? {});
  } catch (err) {
    await server.close();
    throw err;
  }
  const close = async (): Promise<void> => {
    if (nc !== undefined && !nc.isClosed()) await nc.close();
    await server.close();
  };
  return {
    server,
    get nc(): NatsConnection {
      if (nc === undefined) throw new Error("startTestServer({ client: false }) has no client");
      return nc;
    },
    url: server.url,
    close,
    [Symbol.asyncDispose]: close,
  };
}

export { createServer };
export type { Server, ServerOptions };

import type { TestContext } from "node:test";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";

/** Starts a broker on an ephemeral 127.0.0.1 port and closes it when the test ends. */
export async function startBroker(t: TestContext, options: ServerOptions = {}): Promise<Server & { url: string; port: number }> {
  const server = createServer({ host: "127.0.0.1", port: 0, ...options });
  await server.listen();
  t.after(() => server.close());
  return server as Server & { url: string; port: number };
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs` with `what` in the message. */
export async function eventually(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

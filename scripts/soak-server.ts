/**
 * The broker side of the soak (scripts/soak.ts forks it): a host process that embeds the broker
 * and nothing else, so its heap and RSS are the broker's own and not the load generator's.
 * It answers the coordinator over IPC: `ready` with the port, `state` on request (counts,
 * timers and memory after GC), and streams slow-consumer ids, server errors and anything that
 * escaped to the process.
 */
import { createServer } from "../src/index.ts";

/** Messages the coordinator sends. */
export type SoakCommand = { type: "state" } | { type: "close" };
/** Messages this process sends back. */
export type SoakReport =
  | { type: "ready"; port: number }
  | { type: "state"; clients: number; subscriptions: number; timers: number; memory: NodeJS.MemoryUsage }
  | { type: "slow-consumer"; cid: number }
  | { type: "server-error"; message: string }
  | { type: "escaped"; message: string }
  | { type: "closed"; timers: number; memory: NodeJS.MemoryUsage };

const maxPayload = Number(process.argv[2] ?? 1024 * 1024);
const gc = (globalThis as { gc?: () => void }).gc;
const send = (report: SoakReport): void => void process.send?.(report);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Timers of the process; the IPC channel and the listener are handles, not timers. */
const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await sleep(50);
  }
  return process.memoryUsage();
}

process.on("uncaughtException", (e) => send({ type: "escaped", message: String(e) }));
process.on("unhandledRejection", (e) => send({ type: "escaped", message: String(e) }));

const server = createServer({ port: 0, maxPayload });
server.on("slow-consumer", (c) => send({ type: "slow-consumer", cid: c.cid }));
server.on("error", (e) => send({ type: "server-error", message: e.message }));
await server.listen();

const debug = process.env["SOAK_DEBUG"] !== undefined;
process.on("message", (command: SoakCommand) => {
  if (debug) console.error(`soak-server: ${command.type} asked`);
  void (async () => {
    if (command.type === "state") {
      const memory = await settle();
      send({ type: "state", clients: server.numClients, subscriptions: server.numSubscriptions, timers: timers(), memory });
      if (debug) console.error(`soak-server: state sent (${server.numClients} clients)`);
    } else {
      await server.close();
      const memory = await settle();
      send({ type: "closed", timers: timers(), memory });
      process.disconnect();
    }
  })();
});
send({ type: "ready", port: server.port! });

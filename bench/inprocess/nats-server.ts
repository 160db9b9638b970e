/**
 * Spawns Debian's nats-server the way test helpers do (nats-memory-server, testcontainers):
 * `nats-server -a 127.0.0.1 -p -1`, ready once its log says "Server is ready", port taken from
 * the "Listening for client connections" line. Spawned directly, with no shell or wrapper, so
 * the start-up probe times what a test helper would pay. A probe that exits for any reason
 * takes its servers with it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { natsServerBinary } from "../lib/server-process.ts";

export const LISTEN_RE = /Listening for client connections on [^\s]+:(\d+)/;
export const READY_TEXT = "Server is ready";

export interface SpawnedNatsServer {
  port: number;
  /** Kills the server and resolves once it has exited. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

let binary: string | undefined;

export function spawnNatsServer(timeoutMs = 10_000): Promise<SpawnedNatsServer> {
  binary ??= natsServerBinary();
  const child = spawn(binary, ["-a", "127.0.0.1", "-p", "-1"], { stdio: ["ignore", "ignore", "pipe"] });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => {
    live.delete(child);
    resolve();
  }));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  return new Promise<SpawnedNatsServer>((resolve, reject) => {
    let log = "";
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(err));
    };
    const timer = setTimeout(() => fail(new Error(`nats-server not ready within ${timeoutMs} ms; log:\n${log}`)), timeoutMs);
    child.once("error", (err) => fail(new Error(`cannot start nats-server: ${err.message}`)));
    child.once("exit", (code, signal) => fail(new Error(`nats-server exited during start-up (code ${code}, signal ${signal}); log:\n${log}`)));
    const onData = (chunk: Buffer): void => {
      log += chunk.toString("utf8");
      const m = LISTEN_RE.exec(log);
      if (settled || m === null || !log.includes(READY_TEXT)) return;
      settled = true;
      clearTimeout(timer);
      // Keep draining stderr so the server never blocks on a full pipe.
      child.stderr!.off("data", onData);
      child.stderr!.resume();
      resolve({ port: Number(m[1]), stop });
    };
    child.stderr!.on("data", onData);
  });
}

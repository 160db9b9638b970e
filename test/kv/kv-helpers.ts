/**
 * Set-up shared by the KV and object store tests: a broker with JetStream in a temp store
 * directory and the official client connected in-process (`server.connect()`) or over TCP on
 * 127.0.0.1 port 0, or Debian's nats-server -js for differential checks. Everything is closed
 * and removed when the test ends.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection, QueuedIterator } from "@nats-io/nats-core";
import { createServer, type Server } from "../../src/index.ts";
import { startNatsServer } from "../helpers/nats-server-process.ts";

export type Target = "in-process" | "tcp" | "nats-server";
/**
 * The targets every KV/object test runs on. `KV_REFERENCE=1` adds Debian's nats-server -js, to
 * check that a test's expectations are nats-server's behaviour (needs /usr/sbin/nats-server).
 */
export const TARGETS: readonly Target[] = process.env["KV_REFERENCE"] === "1" ? ["in-process", "tcp", "nats-server"] : ["in-process", "tcp"];

const cleanups = new WeakMap<TestContext, Array<() => unknown>>();

/**
 * Runs `fn` when the test ends, last registered first: a server closes (and writes its store)
 * before the temp directory under it is removed. (`t.after` runs hooks in registration order.)
 */
export function onCleanup(t: TestContext, fn: () => unknown): void {
  let stack = cleanups.get(t);
  if (stack === undefined) {
    const fns: Array<() => unknown> = [];
    stack = fns;
    cleanups.set(t, fns);
    t.after(async () => {
      for (let f = fns.pop(); f !== undefined; f = fns.pop()) await f();
    });
  }
  stack.push(fn);
}

/** A temp directory removed when the test ends, after everything registered later is closed. */
export function tempDir(t: TestContext, prefix = "kv-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Harness {
  /** Our broker; undefined when the target is the reference nats-server. */
  server: Server | undefined;
  nc: NatsConnection;
  storeDir: string;
}

/** A broker with JetStream (file storage under a temp dir) and one client on `target`. */
export async function startKvBroker(t: TestContext, target: Target, storeDir = tempDir(t)): Promise<Harness> {
  if (target === "nats-server") return { server: undefined, nc: await startReference(t), storeDir };
  const server = createServer({ ...(target === "tcp" && { host: "127.0.0.1", port: 0 }), jetstream: { storeDir } });
  await server.listen();
  const nc = target === "tcp" ? await connect({ servers: server.url!, reconnect: false }) : await server.connect();
  onCleanup(t, async () => {
    await nc.close().catch(() => undefined);
    await server.close();
  });
  return { server, nc, storeDir };
}

/** nats-server -js (2.9.10) with one client, for comparing behaviours. */
export async function startReference(t: TestContext): Promise<NatsConnection> {
  const storeDir = tempDir(t, "kv-ref-");
  const ref = await startNatsServer(["-js", "-sd", storeDir]);
  const nc = await connect({ servers: `127.0.0.1:${ref.port}`, reconnect: false });
  onCleanup(t, async () => {
    await nc.close().catch(() => undefined);
    await ref.stop();
  });
  return nc;
}

/**
 * Reads `iter` in the background into an array, so a test can wait for a count without
 * blocking forever: `until(n)` resolves once n items arrived, or rejects after `ms`.
 */
export function collect<T>(iter: QueuedIterator<T> | AsyncIterable<T>): { items: T[]; until(n: number, ms?: number): Promise<T[]> } {
  const items: T[] = [];
  void (async () => {
    try {
      for await (const item of iter) items.push(item);
    } catch {
      // the iterator ends with an error when its connection closes; the test has what it saw
    }
  })();
  return {
    items,
    async until(n: number, ms = 5000): Promise<T[]> {
      const deadline = Date.now() + ms;
      while (items.length < n) {
        if (Date.now() > deadline) throw new Error(`timed out: ${items.length} of ${n} items arrived`);
        await sleep(10);
      }
      return items;
    },
  };
}

/** Drains an iterator that ends by itself (keys, history) into an array. */
export async function drain<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

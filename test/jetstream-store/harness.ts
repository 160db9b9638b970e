/**
 * The stores under test, as a table: the shared suite runs every case against each, so the
 * memory and file stores cannot drift apart.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MemoryStoreFactory } from "../../src/jetstream/store/memory-store.ts";
import type { StoreFactory, StoreLimits, StreamStore } from "../../src/jetstream/store/stream-store.ts";

export const UNLIMITED: StoreLimits = { maxMsgs: -1, maxBytes: -1, maxAgeNs: 0, maxMsgsPerSubject: -1 };

export interface StoreKind {
  readonly name: string;
  /** Bytes one message counts for in StoreState.bytes. */
  messageSize(subject: string, headers: Uint8Array | undefined, data: Uint8Array): number;
  /** A fresh store plus a cleanup that closes it and removes any files. */
  open(limits?: Partial<StoreLimits>): Promise<{ store: StreamStore; cleanup: () => Promise<void> }>;
}

export const memoryKind: StoreKind = {
  name: "memory",
  messageSize: (subject, headers, data) => Buffer.byteLength(subject) + (headers?.length ?? 0) + data.length + 16,
  async open(limits = {}) {
    const store = await new MemoryStoreFactory().open("S", {}, { ...UNLIMITED, ...limits });
    return { store, cleanup: () => store.destroy() };
  },
};

/** A temp directory removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "nats-embedded-store-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A factory-backed kind whose store lives in a temp directory. */
export function directoryKind(
  name: string,
  makeFactory: (dir: string) => StoreFactory,
  messageSize: StoreKind["messageSize"],
): StoreKind {
  return {
    name,
    messageSize,
    async open(limits = {}) {
      const temp = await tempDir();
      const store = await makeFactory(temp.dir).open("S", { name: "S" }, { ...UNLIMITED, ...limits });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await temp.remove();
        },
      };
    },
  };
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array | undefined): string => (b === undefined ? "<undefined>" : new TextDecoder().decode(b));

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until true, failing after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

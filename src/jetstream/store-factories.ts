/**
 * The two store factories a JetStream service uses: memory for `storage: "memory"` streams,
 * and the file store, in the configured directory, for `storage: "file"` (nats-server's
 * default).
 */
import type { Logger } from "../server/logger.ts";
import type { StoreFactory } from "./store/stream-store.ts";
import { MemoryStoreFactory } from "./store/memory-store.ts";
import type { ResolvedJetStreamOptions } from "./jetstream-options.ts";

export async function openStoreFactories(options: ResolvedJetStreamOptions, logger: Logger): Promise<{ memory: StoreFactory; file: StoreFactory }> {
  const memory = new MemoryStoreFactory();
  // Until the file store lands, file streams are kept in memory (and said so).
  logger.warn(`JetStream file store not available: file streams are kept in memory (${options.storeDir} unused)`);
  return Promise.resolve({ memory, file: new MemoryStoreFactory() });
}

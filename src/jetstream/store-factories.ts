/**
 * The two store factories a JetStream service uses: memory for `storage: "memory"` streams,
 * and the file store, in `<storeDir>/jetstream/`, for `storage: "file"` (nats-server's
 * default).
 */
import type { StoreFactory } from "./store/stream-store.ts";
import { MemoryStoreFactory } from "./store/memory-store.ts";
import { FileStoreFactory } from "./store/file-store-factory.ts";
import type { ResolvedJetStreamOptions } from "./jetstream-options.ts";

export function openStoreFactories(options: ResolvedJetStreamOptions): { memory: StoreFactory; file: StoreFactory } {
  return { memory: new MemoryStoreFactory(), file: new FileStoreFactory(options.storeDir, { syncPolicy: options.sync }) };
}

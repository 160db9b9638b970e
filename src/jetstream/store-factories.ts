/**
 * The two store factories a JetStream service uses: memory for `storage: "memory"` streams,
 * and the file store, in `<storeDir>/jetstream/`, for `storage: "file"` (nats-server's
 * default).
 */
import type { StoreFactory } from "./store/stream-store.ts";
import { MemoryStoreFactory } from "./store/memory-store.ts";
import { FileStoreFactory } from "./store/file-store-factory.ts";
import type { ResolvedJetStreamOptions } from "./jetstream-options.ts";
import type { StoreErrorReporter } from "./store/indexed-store.ts";

/**
 * `reportError` receives the stores' background failures (a timed fsync, a segment rewrite, a
 * removal listener that threw), which have no caller to throw to: the server's logger, rather
 * than a process warning the host did not ask for.
 */
export function openStoreFactories(options: ResolvedJetStreamOptions, reportError: StoreErrorReporter): { memory: StoreFactory; file: StoreFactory } {
  return {
    memory: new MemoryStoreFactory({ reportError }),
    file: new FileStoreFactory(options.storeDir, { syncPolicy: options.sync, reportError }),
  };
}

/** The file store as a kind for the shared suite: small segments, so rotation and reclaim run too. */
import { FileStoreFactory } from "../../src/jetstream/store/file-store-factory.ts";
import { fileStoreMessageSize } from "../../src/jetstream/store/file-store.ts";
import { type StoreKind, directoryKind } from "./harness.ts";

export const fileKind: StoreKind = directoryKind(
  "file",
  (dir) => new FileStoreFactory(dir, { segmentSize: 4096, syncPolicy: "never", consumerSaveDelayMs: 0 }),
  fileStoreMessageSize,
);

/** The same with `compression: "s2"`: sealed segments (and the active one at close) are compressed, and every shared case must still hold. */
export const fileS2Kind: StoreKind = directoryKind(
  "file (s2)",
  (dir) => {
    const factory = new FileStoreFactory(dir, { segmentSize: 4096, syncPolicy: "never", consumerSaveDelayMs: 0 });
    return {
      open: (stream, config, limits) => factory.open(stream, config, { ...limits, compression: "s2" }),
      recover: () => factory.recover(),
      saveConfig: (stream, config) => factory.saveConfig(stream, config),
    };
  },
  fileStoreMessageSize,
);

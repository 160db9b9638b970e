/** The file store as a kind for the shared suite: small segments, so rotation and reclaim run too. */
import { FileStoreFactory } from "../../src/jetstream/store/file-store-factory.ts";
import { fileStoreMessageSize } from "../../src/jetstream/store/file-store.ts";
import { type StoreKind, directoryKind } from "./harness.ts";

export const fileKind: StoreKind = directoryKind(
  "file",
  (dir) => new FileStoreFactory(dir, { segmentSize: 4096, syncPolicy: "never", consumerSaveDelayMs: 0 }),
  fileStoreMessageSize,
);

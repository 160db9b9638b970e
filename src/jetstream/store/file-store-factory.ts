/**
 * Opens and lists file-store streams under `<storeDir>/jetstream/<stream>/`: `meta.json` holds
 * the stream config, `msgs/` the segments, `obj/<consumer>/` each consumer's config and state.
 */
import fs from "node:fs";
import path from "node:path";
import { CONSUMER_CONFIG_FILE } from "./file-consumer-store.ts";
import { CONSUMERS_DIR, FileStore, type FileStoreOptions } from "./file-store.ts";
import { assertSafeName, readJsonFile, writeFileAtomicSync } from "./atomic-file.ts";
import type { StoreFactory, StoreLimits, StreamStore } from "./stream-store.ts";

const STREAM_CONFIG_FILE = "meta.json";
/** The directory under store_dir that holds the streams, as nats-server's `jetstream/` (per account there). */
export const JETSTREAM_DIR = "jetstream";

export class FileStoreFactory implements StoreFactory {
  readonly #root: string;
  readonly #options: FileStoreOptions;

  constructor(storeDir: string, options: FileStoreOptions = {}) {
    this.#root = path.join(storeDir, JETSTREAM_DIR);
    this.#options = options;
  }

  /** The directory a stream's files live in. */
  streamDir(stream: string): string {
    assertSafeName("stream", stream);
    return path.join(this.#root, stream);
  }

  async open(stream: string, config: unknown, limits: StoreLimits): Promise<StreamStore> {
    const dir = this.streamDir(stream);
    await fs.promises.mkdir(dir, { recursive: true });
    writeFileAtomicSync(path.join(dir, STREAM_CONFIG_FILE), JSON.stringify(config));
    return new FileStore(dir, limits, this.#options);
  }

  async recover(): Promise<Array<{ name: string; config: unknown; consumers: Array<{ name: string; config: unknown }> }>> {
    const streams: Array<{ name: string; config: unknown; consumers: Array<{ name: string; config: unknown }> }> = [];
    for (const name of await listDirectories(this.#root)) {
      const dir = path.join(this.#root, name);
      const config = readJsonFile(path.join(dir, STREAM_CONFIG_FILE));
      // A directory without a readable config was never fully created: nothing to recover.
      if (config === undefined) continue;
      const consumers: Array<{ name: string; config: unknown }> = [];
      for (const consumer of await listDirectories(path.join(dir, CONSUMERS_DIR))) {
        const consumerConfig = readJsonFile(path.join(dir, CONSUMERS_DIR, consumer, CONSUMER_CONFIG_FILE));
        if (consumerConfig !== undefined) consumers.push({ name: consumer, config: consumerConfig });
      }
      consumers.sort((a, b) => a.name.localeCompare(b.name));
      streams.push({ name, config, consumers });
    }
    return streams.sort((a, b) => a.name.localeCompare(b.name));
  }

  saveConfig(stream: string, config: unknown): void {
    const dir = this.streamDir(stream);
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(path.join(dir, STREAM_CONFIG_FILE), JSON.stringify(config));
  }
}

async function listDirectories(dir: string): Promise<string[]> {
  try {
    const entries = await fs.promises.readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

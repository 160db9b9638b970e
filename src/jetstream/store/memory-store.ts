/**
 * The memory store: `storage: "memory"` streams and tests. Message bodies are packed into
 * slabs (body-slabs.ts), the index entries say where; consumer state lives in plain objects
 * that last as long as the store.
 */
import { type BodyLocation, BodySlabs } from "./body-slabs.ts";
import { type IndexEntry, IndexedStreamStore, type StoreErrorReporter } from "./indexed-store.ts";
import type {
  ConsumerState,
  ConsumerStore,
  StoreFactory,
  StoreLimits,
  StoredMessage,
  StreamStore,
} from "./stream-store.ts";

/** Bytes a message counts for, as nats-server's memStoreMsgSize: subject + header + data + 16. */
export function memoryStoreMessageSize(subject: string, headers: Uint8Array | undefined, data: Uint8Array): number {
  return Buffer.byteLength(subject) + (headers?.length ?? 0) + data.length + 16;
}

/** An index entry that is also where its body is (it changes when a compaction moves the body). */
interface MemoryEntry extends IndexEntry, BodyLocation {
  /** -1 when the message had no header block. */
  readonly headerLength: number;
  /** Header block + payload bytes. */
  readonly bodyLength: number;
}

export class MemoryStore extends IndexedStreamStore<MemoryEntry> {
  readonly #consumers = new Map<string, MemoryConsumerStore>();
  readonly #bodies = new BodySlabs();

  constructor(limits: StoreLimits, reportError?: StoreErrorReporter) {
    super(limits, reportError);
  }

  protected writeMessage(seq: number, subject: string, headers: Uint8Array | undefined, data: Uint8Array, timeNs: bigint): MemoryEntry {
    // A copy, so a caller reusing its buffers cannot change what was stored.
    const { slab, offset } = this.#bodies.write(headers, data);
    const headerLength = headers?.length ?? -1;
    const bodyLength = (headers?.length ?? 0) + data.length;
    return { seq, subject, timeNs, size: memoryStoreMessageSize(subject, headers, data), slab, offset, headerLength, bodyLength };
  }

  protected readMessage(entry: MemoryEntry): StoredMessage {
    const dataStart = Math.max(entry.headerLength, 0);
    return {
      seq: entry.seq,
      subject: entry.subject,
      headers: entry.headerLength < 0 ? undefined : this.#bodies.view(entry, 0, dataStart),
      data: this.#bodies.view(entry, dataStart, entry.bodyLength),
      timeNs: entry.timeNs,
    };
  }

  protected persistChanges(removed: readonly MemoryEntry[]): void {
    for (const entry of removed) this.#bodies.release(entry, entry.bodyLength);
    if (!this.#bodies.wasteful) return;
    // A few survivors keep mostly empty slabs alive: move them so those slabs can go.
    for (const entry of this.allEntries()) {
      if (!this.#bodies.isSparse(entry.slab)) continue;
      const moved = this.#bodies.move(entry, entry.bodyLength);
      entry.slab = moved.slab;
      entry.offset = moved.offset;
    }
  }

  protected flushStorage(): Promise<void> {
    return Promise.resolve();
  }

  protected closeStorage(): Promise<void> {
    return Promise.resolve();
  }

  protected destroyStorage(): Promise<void> {
    this.#consumers.clear();
    return Promise.resolve();
  }

  consumerStore(name: string): ConsumerStore {
    let store = this.#consumers.get(name);
    if (store === undefined) {
      store = new MemoryConsumerStore(() => this.#consumers.delete(name));
      this.#consumers.set(name, store);
    }
    return store;
  }
}

/** Keeps a consumer's config and state for the life of its stream's memory store. */
export class MemoryConsumerStore implements ConsumerStore {
  #config: unknown;
  #state: ConsumerState | undefined;
  readonly #onDelete: () => void;

  constructor(onDelete: () => void) {
    this.#onDelete = onDelete;
  }

  saveConfig(config: unknown): void {
    this.#config = structuredClone(config);
  }

  loadConfig(): unknown {
    return structuredClone(this.#config);
  }

  /**
   * Keeps the caller's object: the consumer side may save on every ack, and a copy each time
   * would cost O(pending) per ack. `load()` hands out a copy.
   */
  save(state: ConsumerState): void {
    this.#state = state;
  }

  load(): ConsumerState | undefined {
    return this.#state === undefined ? undefined : structuredClone(this.#state);
  }

  delete(): Promise<void> {
    this.#config = undefined;
    this.#state = undefined;
    this.#onDelete();
    return Promise.resolve();
  }
}

/** Memory streams do not outlive the process, so there is never anything to recover. */
export class MemoryStoreFactory implements StoreFactory {
  readonly #reportError: StoreErrorReporter | undefined;

  /** `reportError` receives failures with no caller to throw to (a removal listener's exception). */
  constructor(options: { reportError?: StoreErrorReporter } = {}) {
    this.#reportError = options.reportError;
  }

  open(_stream: string, _config: unknown, limits: StoreLimits): Promise<StreamStore> {
    return Promise.resolve(new MemoryStore(limits, this.#reportError));
  }

  recover(): Promise<Array<{ name: string; config: unknown; consumers: Array<{ name: string; config: unknown }> }>> {
    return Promise.resolve([]);
  }

  saveConfig(): void {
    // Nothing outlives the process.
  }
}

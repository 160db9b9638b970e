/**
 * A consumer's persisted config and delivery/ack state in the file store:
 * `obj/<consumer>/meta.json` (config) and `obj/<consumer>/o.dat` (state, JSON). Both are
 * written atomically (temp file + rename).
 *
 * The consumer side may call `save()` on every ack, so state writes are coalesced: the newest
 * state is written at most once per `saveDelayMs` (and on flush/close). Acks inside that window
 * can be redelivered after a crash, which is the at-least-once promise nats-server makes too.
 */
import fs from "node:fs";
import path from "node:path";
import { readJsonFile, writeFileAtomicSync } from "./atomic-file.ts";
import type { ConsumerState, ConsumerStore } from "./stream-store.ts";

export const CONSUMER_CONFIG_FILE = "meta.json";
const CONSUMER_STATE_FILE = "o.dat";

/** ConsumerState as JSON: bigint times as decimal strings. */
interface StateJson {
  delivered: { consumerSeq: number; streamSeq: number };
  ackFloor: { consumerSeq: number; streamSeq: number };
  pending: Array<{ streamSeq: number; consumerSeq: number; timeNs: string }>;
  redelivered: Array<{ streamSeq: number; count: number }>;
}

function encodeState(state: ConsumerState): string {
  const json: StateJson = {
    delivered: { ...state.delivered },
    ackFloor: { ...state.ackFloor },
    pending: state.pending.map((p) => ({ streamSeq: p.streamSeq, consumerSeq: p.consumerSeq, timeNs: p.timeNs.toString() })),
    redelivered: state.redelivered.map((r) => ({ ...r })),
  };
  return JSON.stringify(json);
}

function decodeState(value: unknown): ConsumerState | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const json = value as Partial<StateJson>;
  if (json.delivered === undefined || json.ackFloor === undefined || !Array.isArray(json.pending) || !Array.isArray(json.redelivered)) {
    return undefined;
  }
  return {
    delivered: { consumerSeq: json.delivered.consumerSeq, streamSeq: json.delivered.streamSeq },
    ackFloor: { consumerSeq: json.ackFloor.consumerSeq, streamSeq: json.ackFloor.streamSeq },
    pending: json.pending.map((p) => ({ streamSeq: p.streamSeq, consumerSeq: p.consumerSeq, timeNs: BigInt(p.timeNs) })),
    redelivered: json.redelivered.map((r) => ({ streamSeq: r.streamSeq, count: r.count })),
  };
}

export class FileConsumerStore implements ConsumerStore {
  readonly #dir: string;
  readonly #saveDelayMs: number;
  readonly #onDelete: () => void;
  readonly #reportError: (what: string, err: unknown) => void;
  /** The newest state not yet on disk. Kept by reference: serialising on every ack would cost more than the write it saves. */
  #unsaved: ConsumerState | undefined;
  #timer: NodeJS.Timeout | undefined;
  #deleted = false;
  /** Set once the stream store closed: no timer is left to flush later, so each save writes at once. */
  #writeThrough = false;
  /** The stream store was destroyed: its directory is gone and must not be recreated. */
  #destroyed = false;

  constructor(dir: string, saveDelayMs: number, onDelete: () => void, reportError: (what: string, err: unknown) => void) {
    this.#dir = dir;
    this.#saveDelayMs = saveDelayMs;
    this.#onDelete = onDelete;
    this.#reportError = reportError;
  }

  saveConfig(config: unknown): void {
    if (this.#destroyed) return;
    fs.mkdirSync(this.#dir, { recursive: true });
    writeFileAtomicSync(path.join(this.#dir, CONSUMER_CONFIG_FILE), JSON.stringify(config));
    this.#deleted = false;
  }

  loadConfig(): unknown {
    return readJsonFile(path.join(this.#dir, CONSUMER_CONFIG_FILE));
  }

  save(state: ConsumerState): void {
    if (this.#destroyed) return;
    this.#deleted = false;
    this.#unsaved = state;
    if (this.#timer !== undefined) return;
    if (this.#saveDelayMs <= 0 || this.#writeThrough) {
      this.#flushReporting();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushReporting();
    }, this.#saveDelayMs);
    this.#timer.unref();
  }

  load(): ConsumerState | undefined {
    if (this.#unsaved !== undefined) return decodeState(JSON.parse(encodeState(this.#unsaved)));
    return decodeState(readJsonFile(path.join(this.#dir, CONSUMER_STATE_FILE)));
  }

  /**
   * save() runs inside ack handling and timers: a failed write (disk full) is reported, and the
   * state stays pending so the next save or flush tries again.
   */
  #flushReporting(): void {
    const state = this.#unsaved;
    try {
      this.flush();
    } catch (err) {
      if (this.#unsaved === undefined) this.#unsaved = state;
      this.#reportError(`consumer store ${this.#dir}: writing state failed`, err);
    }
  }

  /** Writes any coalesced state now (the stream store calls this on flush and close). */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const state = this.#unsaved;
    this.#unsaved = undefined;
    if (state === undefined || this.#deleted || this.#destroyed) return;
    fs.mkdirSync(this.#dir, { recursive: true });
    writeFileAtomicSync(path.join(this.#dir, CONSUMER_STATE_FILE), encodeState(state));
  }

  /**
   * The stream store is closing (`destroyed` false: write what is pending, and write any later
   * save at once) or was destroyed (drop everything, never write again: the directory is gone).
   */
  detach(destroyed: boolean): void {
    if (destroyed) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#unsaved = undefined;
      this.#destroyed = true;
      return;
    }
    this.flush();
    this.#writeThrough = true;
  }

  async delete(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#unsaved = undefined;
    this.#deleted = true;
    await fs.promises.rm(this.#dir, { recursive: true, force: true });
    this.#onDelete();
  }
}

/**
 * Saving a consumer's delivery state to its store: whether it has one, the throttle that
 * writes at most every PERSIST_INTERVAL_MS, and the final save (or removal) when it stops.
 */
import type { ConsumerCore } from "./core.ts";
import type { ConsumerStore } from "../store/stream-store.ts";

/** How often a durable's state is written at most. */
const PERSIST_INTERVAL_MS = 100;

export class StateSaver {
  readonly #core: Readonly<ConsumerCore>;
  readonly #store: ConsumerStore | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(core: Readonly<ConsumerCore>) {
    this.#core = core;
    // Consumers of a file stream outlive the process, ephemerals too (nats-server restores them,
    // and a KV watcher resumes at once after a restart); memory state needs no copy.
    const persistent = core.config.mem_storage !== true && core.config.direct !== true && core.stream.config["storage"] !== "memory";
    this.#store = persistent ? core.stream.consumerStore(core.name) : undefined;
  }

  /**
   * Saves the state at most every PERSIST_INTERVAL_MS, however many deliveries and acks came in
   * between (close() saves at once). A crash can lose that much ack state: those messages are
   * delivered again, which at-least-once allows.
   */
  schedule(): void {
    if (this.#store === undefined || this.#timer !== undefined || this.#core.closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#core.closed) return;
      this.#save();
    }, PERSIST_INTERVAL_MS);
    this.#timer.unref();
  }

  /** The consumer stopped: save now, or with `deleteState` remove what was saved. */
  async close(deleteState: boolean): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#store === undefined) return;
    if (deleteState) await this.#store.delete();
    else this.#save();
  }

  #save(): void {
    const store = this.#store!;
    this.#core.guard("saving state", () => store.save(this.#core.state.snapshot()));
  }
}

/**
 * Priority groups (nats-server 2.11, consumer.go): the pin of a `pinned_client` consumer. The
 * first pull request of a group that finds no pin gets one, a fresh id its messages carry in
 * `Nats-Pin-Id`; later requests must quote it. A pin lasts `priority_timeout` past its client's
 * last request (one timer per consumer), or until `CONSUMER.UNPIN`. As in nats-server the pin
 * lives in memory only: after a restart the next request is pinned anew.
 */
import { randomInt } from "node:crypto";
import type { ConsumerCore } from "./core.ts";
import { timerDelay } from "./pull-requests.ts";
import { formatNanos, nowNanos } from "../shared/rfc3339.ts";
import { GO_ZERO_TIME } from "../shared/rfc3339.ts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export class PinnedClient {
  readonly #core: Readonly<ConsumerCore>;
  /** The current pin id, "" when nobody is pinned (consumer.go currentPinId). */
  #id = "";
  #pinnedNs = 0n;
  #timer: NodeJS.Timeout | undefined;

  constructor(core: Readonly<ConsumerCore>) {
    this.#core = core;
  }

  get id(): string {
    return this.#id;
  }

  /** consumer.go assignNewPinId: pins `group` to a new id, announces it and starts its timeout. */
  assign(group: string): string {
    this.#id = pinId();
    this.#pinnedNs = nowNanos();
    this.touch(group);
    this.#core.advisories.pinned(group, this.#id);
    return this.#id;
  }

  /** The pinned client asked again: its pin lasts another `priority_timeout` (setPinnedTimer). */
  touch(group: string): void {
    this.#clearTimer();
    const ttlMs = (this.#core.config.priority_timeout ?? 0) / 1e6;
    if (ttlMs <= 0 || this.#core.closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#core.guard("pin timeout", () => {
        if (this.#id === "") return;
        this.unassign();
        this.#core.advisories.unpinned(group, "timeout");
        this.#core.kick();
      });
    }, timerDelay(ttlMs));
    this.#timer.unref();
  }

  /** consumer.go unassignPinId: nobody is pinned; the next request that finds no pin takes it. */
  unassign(): void {
    this.#id = "";
    this.#pinnedNs = 0n;
    this.#clearTimer();
  }

  /** Info's `priority_groups`: nats-server reports the first group only, with the pin. */
  info(): Array<Record<string, unknown>> {
    const groups = this.#core.config.priority_groups ?? [];
    if (groups.length === 0) return [];
    // pinned_ts is a Go time.Time, which omitempty never leaves out: unpinned reads the zero time.
    return [{ group: groups[0], ...(this.#id !== "" && { pinned_client_id: this.#id }), pinned_ts: this.#id === "" ? GO_ZERO_TIME : formatNanos(this.#pinnedNs) }];
  }

  stop(): void {
    this.unassign();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** A 22-character id of the kind nats-server's nuid gives. */
function pinId(): string {
  let id = "";
  for (let i = 0; i < 22; i++) id += BASE62[randomInt(62)];
  return id;
}

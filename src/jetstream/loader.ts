/**
 * Loads JetStream only when it is enabled, and answers for it from the first moment.
 *
 * Why lazily: importing the JetStream modules at start-up, even unused, changed V8's heap
 * sizing enough to cost a broker without JetStream up to 40% more CPU on 1 KiB publishes
 * (repeated mark-compacts; docs/performance.md). Why a gate: `createServer()` is synchronous
 * and a client may send a JetStream request before the modules have loaded; the gate
 * subscribes to the API subjects at once, holds what arrives, and hands it to the service once
 * it runs. So a request never finds "no responders", exactly as before.
 */
import type { DirectApi } from "../direct/direct-api.ts";
import type { DirectMsg } from "../direct/direct-message.ts";
import type { Logger } from "../base/logger.ts";
import type { Account } from "../core/account.ts";
import type { ResolvedJetStreamOptions } from "./jetstream-options.ts";
import type { JetStream, JetStreamAccount } from "./jetstream.ts";

export class JetStreamLoader {
  /** The running service, once loaded (monitoring reads it; undefined for a moment at start). */
  service: JetStream | undefined;
  /** Resolves when the service runs and its stored streams are recovered. */
  readonly ready: Promise<void>;
  #closed = false;
  /** For an account without JetStream: the subscriptions that say so. */
  #answering: Array<{ unsubscribe(): void }> = [];

  /**
   * `serverName` is nats-server's `s.Name()` (the id unless a name is set), for advisories.
   * `owner` is the account's JetStream identity and limits, or `"not-enabled"` for an account
   * whose API only answers that JetStream is not enabled for it.
   */
  constructor(account: Account, direct: DirectApi, options: ResolvedJetStreamOptions, logger: Logger, serverName = "", owner?: JetStreamAccount | "not-enabled") {
    const held: Array<{ msg: DirectMsg; prefixLength: number }> = [];
    const prefixes = ["$JS.API.", ...(options.domain === undefined ? [] : [`$JS.${options.domain}.API.`])];
    const gates = prefixes.map((prefix) =>
      direct.subscribe(`${prefix}>`, { callback: (_err, msg) => void held.push({ msg, prefixLength: prefix.length }) }),
    );
    this.ready = import("./start.ts").then(({ startJetStream, answerNotEnabledFor }) => {
      for (const gate of gates) gate.unsubscribe();
      if (this.#closed) return;
      if (owner === "not-enabled") {
        this.#answering = answerNotEnabledFor(account, direct, logger, prefixes, held.splice(0));
        return;
      }
      // The service subscribes to the same subjects in its constructor, in this same turn, so
      // nothing falls between the gate and the service.
      const service = startJetStream(account, direct, options, logger, serverName, owner);
      this.service = service;
      for (const { msg, prefixLength } of held.splice(0)) service.dispatch(msg, prefixLength);
      return service.ready;
    });
  }

  /** Stops the service (after it has finished loading, if it was still loading). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.ready.catch(() => undefined);
    for (const sub of this.#answering.splice(0)) sub.unsubscribe();
    await this.service?.close();
  }
}

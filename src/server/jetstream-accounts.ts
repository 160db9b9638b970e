/**
 * Which accounts have JetStream, and a service for each (jetstream.go `enableJetStreamAccounts`):
 * with no accounts configured but the global and the system account, `$G` has JetStream with
 * no limits of its own; otherwise each account that enables it has its own service, store
 * directory and limits, and every other account but the system account answers its API with
 * "JetStream not enabled for account". The server-wide `maxMemory`/`maxStore` bound all of
 * them together.
 */
import { join } from "node:path";
import type { Logger } from "../base/logger.ts";
import type { Account } from "../core/account.ts";
import type { DirectApi } from "../direct/direct-api.ts";
import { NO_ACCOUNT_LIMITS, type AccountJetStreamLimits, type ResolvedJetStreamOptions } from "../jetstream/jetstream-options.ts";
import type { JetStream } from "../jetstream/jetstream.ts";
import { JetStreamLoader } from "../jetstream/loader.ts";

export interface JetStreamAccountsSetup {
  /** Every account, `$G` first. */
  readonly accounts: readonly Account[];
  readonly system: Account | undefined;
  /** The accounts that enable JetStream, or `"global"` when `$G` alone has it. */
  readonly enabled: ReadonlyMap<string, AccountJetStreamLimits> | "global";
  readonly directOf: (account: Account) => DirectApi;
  readonly options: ResolvedJetStreamOptions;
  readonly logger: Logger;
  readonly serverName: string;
}

export class JetStreamAccounts {
  /** Resolves once every account's streams are recovered. */
  readonly ready: Promise<void>;
  readonly #enabled = new Map<string, JetStreamLoader>();
  readonly #others: JetStreamLoader[] = [];

  constructor(setup: JetStreamAccountsSetup) {
    const { options, logger, serverName } = setup;
    const serverUsage = (storage: "memory" | "file", kind: "used" | "reserved"): number => {
      let total = 0;
      for (const loader of this.#enabled.values()) total += loader.service?.usage(storage, kind) ?? 0;
      return total;
    };
    for (const account of setup.accounts) {
      if (account === setup.system) continue;
      const direct = setup.directOf(account);
      const limits = setup.enabled === "global" ? (account.name === "$G" ? NO_ACCOUNT_LIMITS : undefined) : setup.enabled.get(account.name);
      if (limits === undefined) {
        this.#others.push(new JetStreamLoader(account, direct, options, logger, serverName, "not-enabled"));
        continue;
      }
      // `$G` alone keeps the store directory as it is; an account's streams live apart, so two
      // accounts may have streams of the same name.
      const own = setup.enabled === "global" ? options : { ...options, storeDir: join(options.storeDir, "accounts", encodeURIComponent(account.name)) };
      this.#enabled.set(account.name, new JetStreamLoader(account, direct, own, logger, serverName, { name: account.name, limits, serverUsage }));
    }
    this.ready = Promise.all([...this.#enabled.values(), ...this.#others].map((loader) => loader.ready)).then(() => undefined);
  }

  /** The running services by account name (those still loading are left out). */
  services(): Array<{ account: string; service: JetStream }> {
    const out: Array<{ account: string; service: JetStream }> = [];
    for (const [account, loader] of this.#enabled) if (loader.service !== undefined) out.push({ account, service: loader.service });
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#enabled.values(), ...this.#others].map((loader) => loader.close()));
  }
}

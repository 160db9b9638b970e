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
import { GLOBAL_ACCOUNT, type Account } from "../core/account.ts";
import type { DirectApi } from "../direct/direct-api.ts";
import { NO_ACCOUNT_LIMITS, type AccountJetStreamLimits, type ResolvedJetStreamOptions } from "../jetstream/jetstream-options.ts";
import type { JetStream, JetStreamAccount } from "../jetstream/jetstream.ts";
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
  /** Resolves once every account's streams are recovered (those known at start). */
  readonly ready: Promise<void>;
  readonly #setup: JetStreamAccountsSetup;
  readonly #enabled = new Map<string, { loader: JetStreamLoader; owner: { name: string; limits: AccountJetStreamLimits; serverUsage: JetStreamAccount["serverUsage"] } }>();
  readonly #others = new Map<string, JetStreamLoader>();

  constructor(setup: JetStreamAccountsSetup) {
    this.#setup = setup;
    for (const account of setup.accounts) {
      if (account === setup.system) continue;
      const limits = setup.enabled === "global" ? (account.name === GLOBAL_ACCOUNT ? NO_ACCOUNT_LIMITS : undefined) : setup.enabled.get(account.name);
      this.#start(account, limits);
    }
    this.ready = Promise.all([...[...this.#enabled.values()].map((e) => e.loader), ...this.#others.values()].map((loader) => loader.ready)).then(() => undefined);
  }

  #start(account: Account, limits: AccountJetStreamLimits | undefined): void {
    const { options, logger, serverName } = this.#setup;
    const direct = this.#setup.directOf(account);
    if (limits === undefined) {
      this.#others.set(account.name, new JetStreamLoader(account, direct, options, logger, serverName, "not-enabled"));
      return;
    }
    // `$G` alone keeps the store directory as it is; an account's streams live apart, so two
    // accounts may have streams of the same name.
    const own = this.#setup.enabled === "global" ? options : { ...options, storeDir: join(options.storeDir, "accounts", encodeURIComponent(account.name)) };
    const owner = { name: account.name, limits, serverUsage: (storage: "memory" | "file", kind: "used" | "reserved") => this.#serverUsage(storage, kind) };
    this.#enabled.set(account.name, { loader: new JetStreamLoader(account, direct, own, logger, serverName, owner), owner });
  }

  #serverUsage(storage: "memory" | "file", kind: "used" | "reserved"): number {
    let total = 0;
    for (const { loader } of this.#enabled.values()) total += loader.service?.usage(storage, kind) ?? 0;
    return total;
  }

  /**
   * An account came or changed (a claim update): it gets JetStream, loses it (its service stops;
   * its streams stay on disk for when it is enabled again), or takes on new limits at once.
   */
  async accountChanged(account: Account, limits: AccountJetStreamLimits | undefined): Promise<void> {
    if (account === this.#setup.system) return;
    const enabled = this.#enabled.get(account.name);
    if (enabled !== undefined && limits !== undefined) {
      enabled.owner.limits = limits;
      return;
    }
    if (enabled !== undefined) {
      this.#enabled.delete(account.name);
      await enabled.loader.close();
    }
    const other = this.#others.get(account.name);
    if (other !== undefined && limits === undefined) return;
    if (other !== undefined) {
      this.#others.delete(account.name);
      await other.close();
    }
    this.#start(account, limits);
    await (this.#enabled.get(account.name)?.loader ?? this.#others.get(account.name))?.ready;
  }

  /** The running services by account name (those still loading are left out). */
  services(): Array<{ account: string; service: JetStream }> {
    const out: Array<{ account: string; service: JetStream }> = [];
    for (const [account, { loader }] of this.#enabled) if (loader.service !== undefined) out.push({ account, service: loader.service });
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...[...this.#enabled.values()].map((e) => e.loader), ...this.#others.values()].map((loader) => loader.close()));
  }
}

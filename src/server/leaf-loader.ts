/**
 * Loads the leaf node manager only when `leafnodes` is configured, as JetStream's loader does.
 *
 * Why lazily: the manager brings its parser, links, dialer, node:tls and @nats-io/nkeys, ~30 ms
 * and several MB at import for every server, though few use leaf nodes. Why this is safe: no
 * link can exist before `listen()` opens the leaf port and starts the dialers, and `listen()`
 * waits for the load; interest recorded before then reaches each link when it is established
 * (the manager sends the whole sublist). Until the manager runs, monitoring sees the configured
 * remotes and port with no links, which is what the manager itself would show.
 */
import { Authenticator } from "../auth/authenticator.ts";
import type { Account } from "../core/account.ts";
import type { InterestFeed } from "../core/interest-feed.ts";
import type { LeafLinkInfo, LeafNodes, LeafNodesHost } from "../leafnode/leaf-nodes.ts";
import type { ResolvedLeafNodes } from "../leafnode/options.ts";
import type { LeafNodesView } from "../monitor/introspection.ts";

type LeafNodesModule = typeof import("../leafnode/leaf-nodes.ts");

/**
 * Once loaded, later servers in the process build their manager at once, as before lazy
 * loading: an `import()` even of a loaded module takes a turn of the event loop (a round trip
 * to the loader thread under module hooks), which would shift when two servers' leaf ports
 * open relative to each other's first dial.
 */
let loadedModule: LeafNodesModule | undefined;
/** One load for every server of the process, so that servers created together start together. */
let loading: Promise<LeafNodesModule> | undefined;

export class LeafNodesLoader {
  /** The running manager, once loaded. */
  #manager: LeafNodes | undefined;
  readonly #config: ResolvedLeafNodes;
  /** Resolves once the manager exists (or will never, after close()). */
  readonly #ready: Promise<void>;
  #closed = false;

  constructor(host: LeafNodesHost, config: ResolvedLeafNodes) {
    this.#config = config;
    // The manager compiles the leaf port's authorization in its constructor; compiling it here
    // too keeps an invalid block an error of createServer(), thrown at once, as before.
    new Authenticator(config.authorization);
    if (loadedModule !== undefined) {
      this.#manager = new loadedModule.LeafNodes(host, config);
      this.#ready = Promise.resolve();
      return;
    }
    loading ??= import("../leafnode/leaf-nodes.ts").then(
      (m) => (loadedModule = m),
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    );
    this.#ready = loading.then((m) => {
      if (!this.#closed) this.#manager = new m.LeafNodes(host, config);
    });
    // A failed load is reported by listen(), through start(); never as an unhandled rejection.
    this.#ready.catch(() => undefined);
  }

  /** What `/leafz` and `/varz` read: the manager, or the configuration with no links yet. */
  get view(): LeafNodesView {
    return this.#manager ?? { config: this.#config, port: undefined, establishedLinks: () => [] };
  }

  get port(): number | undefined {
    return this.#manager?.port;
  }

  /** An account that came after the start; a manager still loading finds it in the host's list. */
  addAccount(account: Account, feed: InterestFeed): void {
    this.#manager?.addAccount(account, feed);
  }

  links(): LeafLinkInfo[] {
    return this.#manager?.links() ?? [];
  }

  /** Opens the leaf port and starts dialing, once the manager is loaded. */
  async start(): Promise<void> {
    await this.#ready;
    await this.#manager?.start();
  }

  /** Closes the manager (after it has finished loading, if it was still loading). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#ready.catch(() => undefined);
    await this.#manager?.close();
  }
}

/**
 * Keeps one remote dialed (leafnode.go connectToRemoteLeafNode / reConnectToRemoteLeafNode).
 */
import { connect as netConnect, type Socket } from "node:net";
import type { LeafCloseInfo, LeafLink } from "./leaf-link.ts";
import { LEAF_RECONNECT_DELAY_AFTER_LOOP, MAX_LEAF_RECONNECT_BACKOFF, parseLeafUrl, type ResolvedLeafRemote } from "./options.ts";

/** Milliseconds to establish the TCP connection to a hub. */
const DIAL_TIMEOUT = 2000;

/** What a dialer needs from the leaf node manager. */
export interface DialerHost {
  readonly closed: boolean;
  /** A TCP connection to a hub is open: the manager makes it a link. */
  solicited(socket: Socket, remote: ResolvedLeafRemote, url: URL): LeafLink | undefined;
}

/**
 * Dials one remote and keeps it dialed: URLs in turn (the configured ones, then those the hub
 * advertised), a delay between attempts that doubles while they fail, reset once a link is
 * up, and 30 s after a loop was detected (leafnode.go reConnectToRemoteLeafNode).
 */
export class RemoteDialer {
  readonly #manager: DialerHost;
  readonly #remote: ResolvedLeafRemote;
  #link: LeafLink | undefined;
  #socket: Socket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #next = 0;
  #failures = 0;
  #advertised: URL[] = [];
  #stopped = false;

  constructor(manager: DialerHost, remote: ResolvedLeafRemote) {
    this.#manager = manager;
    this.#remote = remote;
  }

  start(): void {
    if (this.#link === undefined && this.#socket === undefined && this.#timer === undefined) this.#dial();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#socket?.destroy();
  }

  #candidates(): URL[] {
    const configured = this.#remote.urls;
    const seen = new Set(configured.map((u) => u.host));
    return [...configured, ...this.#advertised.filter((u) => !seen.has(u.host))];
  }

  #dial(): void {
    this.#timer = undefined;
    if (this.#stopped || this.#manager.closed) return;
    const candidates = this.#candidates();
    const url = candidates[this.#next % candidates.length]!;
    this.#next++;
    const socket = netConnect({ host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port) });
    this.#socket = socket;
    socket.setNoDelay(true);
    const timer = setTimeout(() => socket.destroy(new Error("dial timeout")), DIAL_TIMEOUT);
    timer.unref();
    const failed = (): void => {
      clearTimeout(timer);
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#failures++;
      this.#schedule(this.#backoff());
    };
    socket.once("error", failed);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", failed);
      this.#socket = undefined;
      if (this.#stopped) {
        socket.destroy();
        return;
      }
      this.#link = this.#manager.solicited(socket, this.#remote, url);
      if (this.#link === undefined) {
        // Refused before it was a link (its local account is gone): try again later.
        this.#failures++;
        this.#schedule(this.#backoff());
        return;
      }
      // Errors from here on are the link's to handle (it closes and tells us).
      socket.on("error", () => undefined);
    });
  }

  #backoff(): number {
    const base = this.#remote.reconnectDelay;
    const cap = Math.max(base, MAX_LEAF_RECONNECT_BACKOFF);
    return Math.min(cap, base * 2 ** Math.min(this.#failures - 1, 16));
  }

  #schedule(delay: number): void {
    if (this.#stopped || this.#manager.closed) return;
    this.#timer = setTimeout(() => this.#dial(), delay);
    this.#timer.unref();
  }

  /** Our link ended: learn the hub's other URLs, then redial. */
  linkClosed(link: LeafLink, info: LeafCloseInfo): void {
    if (link !== this.#link) return;
    this.#link = undefined;
    this.#advertised = [];
    for (const text of link.advertisedUrls) {
      try {
        this.#advertised.push(parseLeafUrl(text));
      } catch {
        // A URL we cannot parse is just not a candidate.
      }
    }
    if (info.loop) {
      this.#schedule(LEAF_RECONNECT_DELAY_AFTER_LOOP);
      return;
    }
    if (info.established) {
      this.#failures = 0;
      // Try the same hub again first: it may only have restarted.
      this.#next = Math.max(0, this.#next - 1);
      this.#schedule(this.#remote.reconnectDelay);
      return;
    }
    this.#failures++;
    this.#schedule(this.#backoff());
  }
}

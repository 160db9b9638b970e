/**
 * Keepalive of one connection, any kind (client.go processPingTimer): a PING every
 * `ping_interval`, skipped for a peer heard from within the interval unless the kind always
 * pings; once `ping_max` PINGs are unanswered the connection is stale. Each PONG measures the
 * round trip of the last PING.
 */
import type { ConnectionSettings } from "./connection-settings.ts";

/** What the keepalive needs from its connection. */
export interface KeepaliveTarget {
  readonly closed: boolean;
  /** Last time the peer sent anything (ms since epoch). */
  readonly lastActivity: number;
  /** Queues a PING. */
  sendPing(): void;
  /** Too many PINGs unanswered: `-ERR 'Stale Connection'` and close. */
  stale(): void;
}

export class Keepalive {
  /** Round trip in ms of the last PING answered (fractional); 0 until one is measured. */
  rtt = 0;

  readonly #target: KeepaliveTarget;
  readonly #settings: { readonly options: ConnectionSettings };
  /**
   * nats-server does not delay PINGs to routes, gateways and spoke leaf nodes: their PINGs
   * are the only way to measure the link. Clients that talk are not pinged.
   */
  readonly #alwaysPing: boolean;
  #timer: NodeJS.Timeout | undefined;
  #pingsOut = 0;
  /** performance.now() of the last PING sent, 0 once answered. */
  #sentAt = 0;
  #lastPingIn = 0;

  constructor(target: KeepaliveTarget, settings: { readonly options: ConnectionSettings }, alwaysPing: boolean) {
    this.#target = target;
    this.#settings = settings;
    this.#alwaysPing = alwaysPing;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** (Re)starts the timer: the first tick after `firstDelay`, then every `ping_interval`. */
  start(firstDelay: number): void {
    this.stop();
    this.#timer = setTimeout(this.#tick, firstDelay);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The peer sent PING: as data, it shows the peer alive (client.go lastIn). */
  pingReceived(): void {
    this.#lastPingIn = Date.now();
  }

  /** The peer answered: nothing is outstanding any more. */
  pongReceived(): void {
    this.#pingsOut = 0;
    if (this.#sentAt !== 0) {
      this.rtt = performance.now() - this.#sentAt;
      this.#sentAt = 0;
    }
  }

  /** A PING the kind sent itself (a leaf's CONNECT is followed by one): its PONG measures the link too. */
  pingSent(): void {
    this.#sentAt = performance.now();
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    const target = this.#target;
    if (target.closed) return;
    const { pingInterval, pingMax } = this.#settings.options;
    const now = Date.now();
    // Without a round trip yet (a client before CONNECT) nats-server always pings.
    const idle = this.#alwaysPing || this.rtt === 0 || (now - target.lastActivity >= pingInterval && now - this.#lastPingIn >= pingInterval);
    if (idle) {
      if (this.#pingsOut + 1 > pingMax) {
        target.stale();
        return;
      }
      this.#pingsOut++;
      this.#sentAt = performance.now();
      target.sendPing();
    }
    if (target.closed) return;
    this.#timer = setTimeout(this.#tick, pingInterval);
    this.#timer.unref();
  };
}

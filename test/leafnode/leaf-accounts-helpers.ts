/**
 * Shared pieces of the leaf-account tests: official clients in a given account, and a way to
 * tell "arrived" from "never arrives" without racing the interest propagation.
 */
import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { sleep } from "./helpers.ts";

/** A network client (`@nats-io/transport-node`), closed when the test ends. */
export async function client(t: { after(fn: () => unknown): void }, url: string, options: ConnectionOptions = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false, ...options });
  t.after(() => nc.close());
  return nc;
}

/** What one subscription received, as `subject:payload`. */
export interface Inbox {
  readonly got: string[];
}

/** Subscribes `nc` to `subject` and records what arrives; the subscription is known to the server on return. */
export async function listen(nc: NatsConnection, subject: string): Promise<Inbox> {
  const inbox: Inbox = { got: [] };
  nc.subscribe(subject, { callback: (_err, m) => void inbox.got.push(`${m.subject}:${m.string()}`) });
  await nc.flush();
  return inbox;
}

/**
 * Publishes `subject` from `nc` every 50 ms until `inbox` has it, as `arrivesAs` when an import
 * renames it (interest crosses the links asynchronously), at most `timeoutMs`. Returns how many
 * were published.
 */
export async function publishUntilReceived(nc: NatsConnection, subject: string, payload: string, inbox: Inbox, arrivesAs = subject, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let sent = 0;
  const want = `${arrivesAs}:${payload}`;
  while (!inbox.got.includes(want)) {
    if (Date.now() > deadline) throw new Error(`${want} never arrived; got ${JSON.stringify(inbox.got)}`);
    nc.publish(subject, payload);
    sent++;
    await nc.flush();
    await sleep(50);
  }
  return sent;
}

/**
 * Leaves time for anything misrouted to show up: a message that crossed into the wrong account
 * would travel the same links as the ones that arrived, so a few round trips are plenty.
 */
export async function settle(...connections: NatsConnection[]): Promise<void> {
  await Promise.all(connections.map((nc) => nc.flush()));
  await sleep(300);
  await Promise.all(connections.map((nc) => nc.flush()));
}

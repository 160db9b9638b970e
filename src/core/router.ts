import type { MatchResult, Sublist } from "../subjects/sublist.ts";
import type { MessageSink, Subscription } from "./subscription.ts";

/**
 * Delivers one published message to everyone interested: every plain subscription, and one
 * member of each queue group, picked at random as nats-server does (a random start, then the
 * first member that takes it, client.go processMsgResults). Synchronous, and nothing here
 * waits on a subscriber: a slow one is cut by its own connection, never awaited.
 *
 * Returns whether anyone received the message (the no-responders signal).
 */
export function routeMessage(
  sublist: Sublist<Subscription>,
  publisher: MessageSink | undefined,
  subject: string,
  reply: string,
  headerSize: number,
  data: Buffer,
  start: number,
  end: number,
): boolean {
  return routeResult(sublist.match(subject), publisher, subject, reply, headerSize, data, start, end);
}

/** {@link routeMessage} for a match result the caller already has (its own cache of it). */
export function routeResult(
  result: MatchResult<Subscription>,
  publisher: MessageSink | undefined,
  subject: string,
  reply: string,
  headerSize: number,
  data: Buffer,
  start: number,
  end: number,
): boolean {
  const psubs = result.psubs;
  const noEcho = publisher !== undefined && !publisher.echo;
  let delivered = false;
  for (let i = 0; i < psubs.length; i++) {
    const sub = psubs[i]!;
    if (noEcho && sub.sink === publisher) continue;
    if (sub.sink.deliver(sub, subject, reply, headerSize, data, start, end)) delivered = true;
  }
  // Apart, so that this function stays small enough for V8 to inline it with the in-process
  // subscriber's callback into one body (see docs/in-process.md, "Inlining budget").
  if (result.qsubs.length > 0 && routeToQueues(result.qsubs, noEcho ? publisher : undefined, subject, reply, headerSize, data, start, end)) delivered = true;
  return delivered;
}

/** One member of each queue group, picked at random as nats-server does; `skip` is a no-echo publisher. */
function routeToQueues(
  qsubs: readonly (readonly Subscription[])[],
  skip: MessageSink | undefined,
  subject: string,
  reply: string,
  headerSize: number,
  data: Buffer,
  start: number,
  end: number,
): boolean {
  let delivered = false;
  for (let g = 0; g < qsubs.length; g++) {
    const group = qsubs[g]!;
    const n = group.length;
    const first = n === 1 ? 0 : Math.floor(Math.random() * n);
    for (let k = 0; k < n; k++) {
      const sub = group[(first + k) % n]!;
      if (sub.sink === skip) continue;
      if (sub.sink.deliver(sub, subject, reply, headerSize, data, start, end)) {
        delivered = true;
        break;
      }
    }
  }
  return delivered;
}

/**
 * Delivery of a message that came in over a route (client.go processMsgResults for a ROUTER
 * source). The one-hop rule: every local plain subscriber gets it, and leaf links that may
 * take routed messages, never another route. Queue groups: only those the message names, one
 * member each, a local member first, else a leaf link (the sender chose this server for them).
 */
import type { PublisherCache } from "../core/publisher-cache.ts";
import { beginDelivery, currentTrace, deliverOne, deliverOneTraced, endDelivery } from "../core/router.ts";
import { jsAckDeliverIndex } from "../subjects/js-ack-reply.ts";
import { SinkKind, type MessageSink, type Subscription } from "../core/subscription.ts";

/**
 * Whether a leaf link's sink may receive a routed message (client.go: hub-side leaf links
 * only, and not those of the leaf node cluster an LMSG came from: `origin`, "" for none).
 */
export type RoutedLeafFilter = (sink: MessageSink, origin: string) => boolean;

export function deliverFromRoute(
  publisher: PublisherCache,
  leafTakesRouted: RoutedLeafFilter,
  subject: string,
  reply: string,
  queues: readonly string[],
  headerSize: number,
  data: Buffer,
  start: number,
  end: number,
  origin: string,
): void {
  const result = publisher.match(subject);
  const deliver = currentTrace() === undefined ? deliverOne : deliverOneTraced;
  const mark = beginDelivery();
  // A JetStream delivery for a pull request from here carries its stream subject folded into
  // the ack reply: local subscribers get it unfolded, leaf links as it came (as nats-server).
  let localSubject = subject;
  let localReply = reply;
  const at = jsAckDeliverIndex(reply);
  if (at > 0 && at < reply.length - 1) {
    localSubject = reply.slice(at + 1);
    localReply = reply.slice(0, at);
  }
  for (const sub of result.psubs) {
    const kind = sub.sink.kind;
    if (kind === SinkKind.route) continue;
    if (kind === SinkKind.leaf) {
      if (leafTakesRouted(sub.sink, origin)) deliver(sub, subject, reply, headerSize, data, start, end);
      continue;
    }
    deliver(sub, localSubject, localReply, headerSize, data, start, end);
  }
  if (queues.length > 0) {
    for (const group of result.qsubs) {
      if (!queues.includes(group[0]!.queue!)) continue;
      if (deliverToMember(group, false, leafTakesRouted, origin, localSubject, localReply, headerSize, data, start, end)) continue;
      deliverToMember(group, true, leafTakesRouted, origin, subject, reply, headerSize, data, start, end);
    }
  }
  endDelivery(mark);
}

/** One member of `group` (local ones, or leaf links when `leaf`), from a random start. */
function deliverToMember(
  group: readonly Subscription[],
  leaf: boolean,
  leafTakesRouted: RoutedLeafFilter,
  origin: string,
  subject: string,
  reply: string,
  headerSize: number,
  data: Buffer,
  start: number,
  end: number,
): boolean {
  const n = group.length;
  const first = n === 1 ? 0 : Math.floor(Math.random() * n);
  const deliver = currentTrace() === undefined ? deliverOne : deliverOneTraced;
  for (let k = 0; k < n; k++) {
    const sub = group[(first + k) % n]!;
    const kind = sub.sink.kind;
    if (kind === SinkKind.route) continue;
    if ((kind === SinkKind.leaf) !== leaf) continue;
    if (leaf && !leafTakesRouted(sub.sink, origin)) continue;
    if (deliver(sub, subject, reply, headerSize, data, start, end)) return true;
  }
  return false;
}

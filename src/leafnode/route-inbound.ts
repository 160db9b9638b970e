/**
 * Delivery of a message that came in over a leaf link (client.go processMsgResults for a
 * LEAF source): every local plain subscriber gets it; only the queue groups the message names
 * are served, one member each, a local member preferred; other links with interest get one
 * copy each, naming the queue groups left to them; the link it came from gets nothing back.
 */
import { beginDelivery, currentTrace, deliverOne, deliverOneTraced, endDelivery } from "../core/router.ts";
import { SinkKind, type MessageSink, type Subscription } from "../core/subscription.ts";
import { jsAckDeliverIndex } from "../subjects/js-ack-reply.ts";
import type { LeafLink } from "./leaf-link.ts";

export function routeFromLink(
  source: LeafLink,
  subject: string,
  reply: string,
  queues: readonly string[] | undefined,
  headerSize: number,
  data: Buffer,
  start: number,
  end: number,
): void {
  const result = source.publisher.match(subject);
  const deliver = currentTrace() === undefined ? deliverOne : deliverOneTraced;
  // Routes among the subscribers take the message once, with the queue groups they got.
  // Routes tell their peers which leaf node cluster this came from (LMSG): no echo into it.
  const mark = beginDelivery(source.remoteCluster);
  // client.go processMsgResults: JetStream sends a message to an inbox with its stream subject
  // folded into the ack reply (`$JS.ACK.…@orders.1`); local subscribers get it unfolded, other
  // links get it as it came.
  let localSubject = subject;
  let localReply = reply;
  const at = jsAckDeliverIndex(reply);
  if (at > 0 && at < reply.length - 1) {
    localSubject = reply.slice(at + 1);
    localReply = reply.slice(0, at);
  }
  let forwards: Map<LeafLink, string[]> | undefined;
  for (const sub of result.psubs) {
    const sink = sub.sink;
    if (sink === source) continue;
    if (sink.kind === SinkKind.leaf) {
      // client.go processMsgResults: never to another link of the source's leaf node cluster.
      if (sameCluster(source, sink as LeafLink)) continue;
      forwards ??= new Map();
      if (!forwards.has(sink as LeafLink)) forwards.set(sink as LeafLink, []);
      continue;
    }
    deliver(sub, localSubject, localReply, headerSize, data, start, end);
  }
  if (queues !== undefined && queues.length > 0) {
    for (const group of result.qsubs) {
      const queue = group[0]!.queue!;
      if (!queues.includes(queue)) continue;
      if (deliverToLocalMember(group, source, localSubject, localReply, headerSize, data, start, end)) continue;
      // No local member took it: one of the other links with this group does, picked at random.
      const link = pickLink(group, source);
      if (link === undefined) continue;
      forwards ??= new Map();
      const list = forwards.get(link);
      if (list === undefined) forwards.set(link, [queue]);
      else list.push(queue);
    }
  }
  if (forwards !== undefined) {
    for (const [link, groups] of forwards) link.forward(subject, reply, groups, headerSize, data, start, end);
  }
  endDelivery(mark);
}

/** Both links lead to servers of one leaf node cluster (leaf to leaf, no echo). */
function sameCluster(source: LeafLink, other: LeafLink): boolean {
  return source.remoteCluster !== "" && source.remoteCluster === other.remoteCluster;
}

/** A random link (other than `source`) among the members of `group`, or undefined. */
function pickLink(group: readonly Subscription[], source: LeafLink): LeafLink | undefined {
  const n = group.length;
  const first = n === 1 ? 0 : Math.floor(Math.random() * n);
  for (let k = 0; k < n; k++) {
    const sink = group[(first + k) % n]!.sink;
    if (sink.kind === SinkKind.leaf && sink !== source && !sameCluster(source, sink as LeafLink)) return sink as LeafLink;
  }
  return undefined;
}

/** One local member of `group`, from a random start as the router does; false when none took it. */
function deliverToLocalMember(
  group: readonly Subscription[],
  source: MessageSink,
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
    if (sub.sink === source || sub.sink.kind === SinkKind.leaf) continue;
    if (deliver(sub, subject, reply, headerSize, data, start, end)) return true;
  }
  return false;
}

export { jsAckDeliverIndex };

/**
 * How the two delivery sides reach their consumer: the PullHost that a pull consumer's waiting
 * requests (pull-requests.ts) are given, and the PushHost of a push consumer's deliver subject
 * side (push-delivery.ts). Each is built once per consumer, on its shared core.
 */
import type { ConsumerCore } from "./core.ts";
import type { StreamCursor } from "./cursor.ts";
import type { InactivityTimer } from "./inactivity.ts";
import { ConsumerStatus, type StatusHeaders } from "./status.ts";
import type { PinnedClient } from "./priority.ts";
import type { PullHost } from "./pull-requests.ts";
import type { PushHost } from "./push-delivery.ts";

export function pullHostOf(core: Readonly<ConsumerCore>, cursor: StreamCursor, pin: PinnedClient): PullHost {
  return {
    hasInterest: (subject) => core.bus.hasInterest(subject),
    status: (subject, headers) => core.status(subject, headers),
    heartbeat: () => heartbeat(core),
    available: () => cursor.numPending + core.state.redeliveryCount,
    limits: () => {
      const config = core.config;
      return { maxBatch: config.max_batch ?? 0, maxExpiresNs: config.max_expires ?? 0, maxBytes: config.max_bytes ?? 0 };
    },
    priority: () => ({
      policy: core.config.priority_policy,
      groups: core.config.priority_groups ?? [],
      pinId: () => pin.id,
      pin: (group) => pin.assign(group),
      touchPin: (group) => pin.touch(group),
      unpin: () => pin.unassign(),
      numPending: () => cursor.numPending,
      ackPending: () => core.state.pending.size,
    }),
    wake: () => core.kick(),
    caught: (what, err) => core.caught(what, err),
  };
}

export function pushHostOf(core: Readonly<ConsumerCore>, inactivity: InactivityTimer): PushHost {
  return {
    hasInterest: (subject) => core.bus.hasInterest(subject),
    subscribe: (subject, callback) => core.bus.subscribe(subject, { callback: (_err, msg) => core.guard("flow control", () => callback(msg.subject)) }),
    send: (subject, headers, reply) => core.status(subject, headers, reply),
    heartbeat: (stalled) => heartbeat(core, stalled),
    interestChanged: (active) => {
      // Idle time for inactive_threshold counts from when the subscriber went away.
      if (!active) inactivity.touch(Date.now());
      inactivity.arm();
    },
    wake: () => core.kick(),
    caught: (what, err) => core.caught(what, err),
  };
}

/** The consumer's idle heartbeat as of now; `stalled` names an unanswered flow control request. */
function heartbeat(core: Readonly<ConsumerCore>, stalled?: string): StatusHeaders {
  const s = core.state;
  return ConsumerStatus.idleHeartbeat(s.consumerSeq - 1, s.streamSeq - 1, stalled);
}

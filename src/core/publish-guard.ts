/**
 * The publish side of one connection's permissions: the static allow/deny lists plus the
 * reply subjects `allow_responses` opened (client.go pubAllowedFullCheck and deliverMsg's
 * reply tracking). Shared by network clients and user-scoped in-process publishers.
 */
import type { CompiledPermissions } from "./permissions.ts";

/** Reply subjects tracked at once per connection; the oldest go first. */
const MAX_TRACKED_REPLIES = 10_000;

export class PublishGuard {
  readonly permissions: CompiledPermissions;
  readonly #replies: Map<string, { n: number; t: number }> | undefined;

  constructor(permissions: CompiledPermissions) {
    this.permissions = permissions;
    this.#replies = permissions.responses !== undefined ? new Map() : undefined;
  }

  /** Whether publishing to `subject` is allowed; uses up one allowed response if that is why. */
  canPublish(subject: string): boolean {
    if (this.permissions.canPublish(subject)) return true;
    const replies = this.#replies;
    const resp = this.permissions.responses;
    if (replies === undefined || resp === undefined) return false;
    const entry = replies.get(subject);
    if (entry === undefined) return false;
    entry.n++;
    if (entry.n > resp.max || Date.now() - entry.t > resp.expires) {
      replies.delete(subject);
      return false;
    }
    if (entry.n >= resp.max) replies.delete(subject);
    return true;
  }

  /** A message with this reply subject was delivered to us: allow_responses opens it. */
  noteDelivery(reply: string): void {
    const replies = this.#replies;
    if (replies === undefined || reply === "") return;
    replies.set(reply, { n: 0, t: Date.now() });
    if (replies.size > MAX_TRACKED_REPLIES) {
      const drop = replies.size - MAX_TRACKED_REPLIES;
      let i = 0;
      for (const key of replies.keys()) {
        if (i++ >= drop) break;
        replies.delete(key);
      }
    }
  }
}

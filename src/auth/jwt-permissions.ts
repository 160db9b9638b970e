/**
 * A user JWT's permissions (`pub`, `sub`, `resp`) as the router's, read the way nats-server's
 * jwt.go does: shared by operator mode and the auth callout.
 */
import type { Permissions, SubjectPermission } from "../core/permissions.ts";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function subjectPermission(value: unknown): SubjectPermission | undefined {
  if (!isRecord(value)) return undefined;
  const out: SubjectPermission = {};
  if (Array.isArray(value["allow"]) && value["allow"].length > 0) out.allow = value["allow"] as string[];
  if (Array.isArray(value["deny"]) && value["deny"].length > 0) out.deny = value["deny"] as string[];
  return out.allow === undefined && out.deny === undefined ? undefined : out;
}

/** A user JWT's (or scope template's) `pub`, `sub` and `resp` as permissions. */
export function permissionsOf(nats: Record<string, unknown>): Permissions | undefined {
  const out: Permissions = {};
  const publish = subjectPermission(nats["pub"]);
  const subscribe = subjectPermission(nats["sub"]);
  if (publish !== undefined) out.publish = publish;
  if (subscribe !== undefined) out.subscribe = subscribe;
  const resp = nats["resp"];
  if (isRecord(resp)) {
    const max = typeof resp["max"] === "number" ? resp["max"] : 1;
    const ttl = typeof resp["ttl"] === "number" && resp["ttl"] > 0 ? resp["ttl"] / 1e6 : undefined;
    out.allowResponses = ttl === undefined ? { max } : { max, expires: ttl };
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Stream-filter matching for the stores. A stream filter is a subscribe subject; "" and ">" mean
 * the whole stream, as nats-server's stores treat them (memstore.go PurgeEx, filteredStateLocked).
 */
import { subjectHasWildcard, subjectMatches } from "../../subjects/subject.ts";

/** True when `filter` selects every message of the stream. */
export function filterIsAll(filter: string): boolean {
  return filter === "" || filter === ">";
}

/** True when `filter` names exactly one subject, so the per-subject index answers it directly. */
export function filterIsLiteral(filter: string): boolean {
  return !filterIsAll(filter) && !subjectHasWildcard(filter);
}

/** Whether a stored subject is selected by `filter`. */
export function filterMatches(subject: string, filter: string): boolean {
  if (filterIsAll(filter)) return true;
  return subject === filter || subjectMatches(subject, filter);
}

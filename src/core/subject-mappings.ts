/**
 * An account's subject mappings (nats-server's `mappings { }`, accounts.go `AddWeightedMappings`
 * and `selectMappedSubject`): a message published on a subject that matches a mapping's source
 * is routed, and seen by subscribers, under the destination instead. A source maps to one
 * destination, or to several by weight (percent), the rest of 100 staying on the source itself.
 * Mappings are tried in the order given; the first whose source matches wins.
 */
import { randomInt } from "node:crypto";
import { InvalidOptionError } from "../base/errors.ts";
import { isValidSubject, subjectHasWildcard, subjectMatches } from "../subjects/subject.ts";
import { SubjectTransform, TransformError, validateMapping } from "../subjects/subject-transform.ts";
import { currentTrace } from "./router.ts";

/** One weighted destination of a mapping. */
export interface MappingDestination {
  /** The subject to map to: literal tokens, `$N` or `{{wildcard(N)}}`, `{{partition(...)}}`, ... */
  destination: string;
  /** Percent of the messages (1-100); left out: 100. */
  weight?: number;
}

/** `{ "orders.*": "orders.{{wildcard(1)}}.v2", "canary": [{ destination: "v2", weight: 10 }] }`. */
export type SubjectMappingOptions = Readonly<Record<string, string | readonly MappingDestination[]>>;

interface Mapping {
  readonly source: string;
  readonly wildcard: boolean;
  /** Cumulative weights, ascending: a draw below an entry's bound picks it. */
  readonly destinations: ReadonlyArray<{ readonly transform: SubjectTransform; readonly bound: number }>;
}

export class SubjectMappings {
  readonly #mappings: Mapping[] = [];

  /** Throws {@link InvalidOptionError} with nats-server's words for what it refuses. */
  constructor(options: SubjectMappingOptions, at = "mappings") {
    for (const [source, value] of Object.entries(options)) {
      const where = `${at}.${source}`;
      if (!isValidSubject(source)) throw new InvalidOptionError(where, "invalid subject");
      const list = typeof value === "string" ? [{ destination: value }] : value;
      if (!Array.isArray(list) || list.length === 0) throw new InvalidOptionError(where, "must be a subject or a list of { destination, weight }");
      this.#mappings.push(buildMapping(source, list, where));
    }
  }

  get size(): number {
    return this.#mappings.length;
  }

  /**
   * The subject a message published on `subject` goes to (itself when no mapping matches); a
   * traced message's trace reports the change (nats-server's `sm` event).
   */
  map(subject: string): string {
    const mapped = this.#select(subject);
    if (mapped !== subject) currentTrace()?.subjectMapping(mapped);
    return mapped;
  }

  #select(subject: string): string {
    for (const m of this.#mappings) {
      if (m.wildcard ? !subjectMatches(subject, m.source) : m.source !== subject) continue;
      const { destinations } = m;
      let picked = destinations[0]!;
      if (destinations.length > 1 || picked.bound !== 100) {
        const draw = randomInt(100);
        const found = destinations.find((d) => draw < d.bound);
        if (found === undefined) return subject;
        picked = found;
      }
      return picked.transform.match(subject) ?? subject;
    }
    return subject;
  }
}

function buildMapping(source: string, list: readonly MappingDestination[], where: string): Mapping {
  const seen = new Set<string>();
  let total = 0;
  const weighted: Array<{ transform: SubjectTransform; weight: number }> = [];
  for (const entry of list) {
    const destination = entry?.destination;
    if (typeof destination !== "string") throw new InvalidOptionError(where, "each destination needs a subject");
    if (seen.has(destination)) throw new InvalidOptionError(where, `duplicate entry for ${JSON.stringify(destination)}`);
    seen.add(destination);
    const weight = entry.weight ?? 100;
    if (!Number.isInteger(weight) || weight < 0) throw new InvalidOptionError(where, "weights must be whole percents");
    if (weight > 100) throw new InvalidOptionError(where, "individual weights need to be <= 100");
    total += weight;
    if (total > 100) throw new InvalidOptionError(where, "total weight needs to be <= 100");
    const invalid = validateMapping(source, destination);
    if (invalid !== undefined) throw new InvalidOptionError(where, invalid);
    weighted.push({ transform: transformOf(source, destination, where), weight });
  }
  // As nats-server: when the weights leave part of 100 and the source is not one of the
  // destinations, that part stays on the source.
  if (total !== 100 && !seen.has(source)) weighted.push({ transform: transformOf(source, identity(source), where), weight: 100 - total });
  weighted.sort((a, b) => a.weight - b.weight);
  let bound = 0;
  const destinations = weighted.map(({ transform, weight }) => ({ transform, bound: (bound += weight) }));
  return { source, wildcard: subjectHasWildcard(source), destinations };
}

function transformOf(source: string, destination: string, where: string): SubjectTransform {
  try {
    return new SubjectTransform(source, destination);
  } catch (err) {
    if (err instanceof TransformError) throw new InvalidOptionError(where, err.message);
    throw err;
  }
}

/** A destination that keeps each wildcard token where it is (nats-server `transformTokenize`). */
function identity(source: string): string {
  let n = 0;
  return source
    .split(".")
    .map((t) => (t === "*" ? `$${++n}` : t))
    .join(".");
}

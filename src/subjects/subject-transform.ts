/**
 * Subject transforms as nats-server's subject_transform.go defines them, for an account's
 * subject mappings and a stream's `subject_transform`, `republish` and sources: a source filter
 * with `*` and `>`,
 * a destination whose tokens are literals, `$N`, or mustache functions over the source's `*`
 * tokens (numbered from 1): `{{wildcard(n)}}`, `{{partition(count[, n…])}}` (FNV-1a hash),
 * `{{splitFromLeft(n, pos)}}`, `{{splitFromRight(n, pos)}}`, `{{sliceFromLeft(n, size)}}`,
 * `{{sliceFromRight(n, size)}}`, `{{split(n, delimiter)}}`, `{{left(n, len)}}`,
 * `{{right(n, len)}}`, `{{random(count)}}`. A `>` in the source must be matched by one in the
 * destination, where the remaining tokens go.
 */
import { randomInt } from "node:crypto";
import { isValidLiteralSubject, subjectMatches } from "./subject.ts";

type Fn = "literal" | "wildcard" | "partition" | "splitFromLeft" | "splitFromRight" | "sliceFromLeft" | "sliceFromRight" | "split" | "left" | "right" | "random";

interface DestToken {
  fn: Fn;
  literal: string;
  /** Source token positions (0-based in the source subject) the function reads. */
  sources: number[];
  num: number;
  text: string;
}

/** Why a transform was refused: nats-server's `mappingDestinationErr` texts (errors.go). */
export class TransformError extends Error {}

const INVALID = "invalid mapping destination";

function invalidArg(token: string): TransformError {
  return new TransformError(`${INVALID}: function argument is invalid or in the wrong format in ${token}`);
}

const FUNCTIONS: Array<[RegExp, Fn]> = [
  [/^\{\{\s*[wW]ildcard\s*\((.*)\)\s*\}\}$/, "wildcard"],
  [/^\{\{\s*[pP]artition\s*\((.*)\)\s*\}\}$/, "partition"],
  [/^\{\{\s*[sS]plit[fF]rom[lL]eft\s*\((.*)\)\s*\}\}$/, "splitFromLeft"],
  [/^\{\{\s*[sS]plit[fF]rom[rR]ight\s*\((.*)\)\s*\}\}$/, "splitFromRight"],
  [/^\{\{\s*[sS]lice[fF]rom[lL]eft\s*\((.*)\)\s*\}\}$/, "sliceFromLeft"],
  [/^\{\{\s*[sS]lice[fF]rom[rR]ight\s*\((.*)\)\s*\}\}$/, "sliceFromRight"],
  [/^\{\{\s*[sS]plit\s*\((.*)\)\s*\}\}$/, "split"],
  [/^\{\{\s*[lL]eft\s*\((.*)\)\s*\}\}$/, "left"],
  [/^\{\{\s*[rR]ight\s*\((.*)\)\s*\}\}$/, "right"],
  [/^\{\{\s*[rR]andom\s*\((.*)\)\s*\}\}$/, "random"],
];

const INT32_MAX = 2 ** 31 - 1;

function int(text: string, token: string): number {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) throw invalidArg(token);
  const n = Number(t);
  if (n > INT32_MAX) throw invalidArg(token);
  return n;
}

/** One destination token: its function and arguments (wildcard numbers still 1-based here). */
function parseToken(token: string): { fn: Fn; wildcards: number[]; num: number; text: string } {
  if (token.length > 1 && token[0] === "$") {
    // `$1`…; anything else starting with `$` is a literal (`$KV`, `$JS`).
    return /^[+-]?\d+$/.test(token.slice(1)) ? { fn: "wildcard", wildcards: [Number(token.slice(1))], num: -1, text: "" } : { fn: "literal", wildcards: [], num: -1, text: "" };
  }
  if (!(token.length > 4 && token.startsWith("{{") && token.endsWith("}}"))) return { fn: "literal", wildcards: [], num: -1, text: "" };
  for (const [re, fn] of FUNCTIONS) {
    const m = re.exec(token);
    if (m === null) continue;
    const args = m[1]!.split(/,\s*/);
    const notEnough = new TransformError(`${INVALID}: not enough arguments passed to the function in ${token}`);
    const tooMany = new TransformError(`${INVALID}: too many arguments passed to the function in ${token}`);
    switch (fn) {
      case "wildcard":
        if (args.length === 1 && args[0] === "") throw notEnough;
        if (args.length > 1) throw tooMany;
        return { fn, wildcards: [int(args[0]!, token)], num: -1, text: "" };
      case "partition":
        if (args.length === 1 && args[0]!.trim() === "") throw invalidArg(token);
        return { fn, wildcards: args.slice(1).map((a) => int(a, token)), num: int(args[0]!, token), text: "" };
      case "split": {
        if (args.length < 2) throw notEnough;
        if (args.length > 2) throw tooMany;
        const delimiter = args[1]!;
        if (delimiter.includes(" ") || delimiter.includes(".")) throw invalidArg(token);
        return { fn, wildcards: [int(args[0]!, token)], num: -1, text: delimiter };
      }
      case "random":
        if (args.length !== 1) throw notEnough;
        return { fn, wildcards: [], num: int(args[0]!, token), text: "" };
      default:
        if (args.length < 2) throw notEnough;
        if (args.length > 2) throw tooMany;
        return { fn, wildcards: [int(args[0]!, token)], num: int(args[1]!, token), text: "" };
    }
  }
  throw new TransformError(`${INVALID}: unknown function in ${token}`);
}

/** Tokens, number of `*`, whether it ends in `>`; undefined when not a valid subject. */
function subjectInfo(subject: string): { tokens: string[]; pwcs: number; fwc: boolean } | undefined {
  if (subject === "") return undefined;
  const tokens = subject.split(".");
  let pwcs = 0;
  let fwc = false;
  for (const t of tokens) {
    if (t === "" || fwc) return undefined;
    if (t === ">") fwc = true;
    else if (t === "*") pwcs++;
  }
  return { tokens, pwcs, fwc };
}

/** FNV-1a, 32 bits, over UTF-8 bytes (Go's hash/fnv New32a). */
function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class SubjectTransform {
  readonly source: string;
  readonly destination: string;
  readonly #sourceTokens: string[];
  readonly #dest: DestToken[];

  /** Throws {@link TransformError} for what nats-server's `NewSubjectTransform` refuses. */
  constructor(source: string, destination: string) {
    const src = source === "" ? ">" : source;
    const s = subjectInfo(src);
    const d = subjectInfo(destination);
    if (s === undefined || d === undefined || d.pwcs > 0 || s.fwc !== d.fwc) throw new TransformError("invalid subject");
    this.source = src;
    this.destination = destination;
    this.#sourceTokens = s.tokens;
    // Wildcard number (1-based) → source token position.
    const positions: number[] = [];
    s.tokens.forEach((t, i) => {
      if (t === "*") positions.push(i);
    });
    this.#dest = d.tokens.map((token) => {
      const parsed = parseToken(token);
      if (parsed.fn === "literal") return { fn: "literal", literal: token, sources: [], num: -1, text: "" };
      if (s.pwcs === 0 && !s.fwc && parsed.fn !== "random" && parsed.fn !== "partition") {
        throw new TransformError(`${INVALID}: wildcard index out of range in ${token}`);
      }
      const sources = parsed.wildcards.map((w) => {
        if (w > s.pwcs || w < 1) throw new TransformError(`${INVALID}: wildcard index out of range in ${token}: [${w}]`);
        return positions[w - 1]!;
      });
      return { fn: parsed.fn, literal: token, sources, num: parsed.num, text: parsed.text };
    });
  }

  /** The transformed subject, or undefined when `subject` does not match the source (or is not a literal subject). */
  match(subject: string): string | undefined {
    if (this.source === ">" && this.destination === ">") return subject;
    if (!isValidLiteralSubject(subject)) return undefined;
    if (this.source !== ">" && !subjectMatches(subject, this.source)) return undefined;
    return this.transform(subject.split("."));
  }

  transform(tokens: readonly string[]): string {
    const out: string[] = [];
    for (const d of this.#dest) {
      if (d.fn === "literal") {
        if (d.literal === ">") {
          out.push(...tokens.slice(this.#sourceTokens.length - 1));
          break;
        }
        out.push(d.literal);
        continue;
      }
      const first = tokens[d.sources[0] ?? -1] ?? "";
      out.push(apply(d, first, tokens));
    }
    return out.join(".");
  }
}

function apply(d: DestToken, token: string, tokens: readonly string[]): string {
  const len = token.length;
  const n = d.num;
  switch (d.fn) {
    case "wildcard":
      return token;
    case "partition": {
      const key = d.sources.length > 0 ? d.sources.map((i) => tokens[i] ?? "").join("") : tokens.join(".");
      return n === 0 ? "0" : String(fnv1a32(key) % n);
    }
    case "random":
      return n <= 0 ? "0" : String(randomInt(n));
    case "splitFromLeft":
      return n > 0 && n < len ? `${token.slice(0, n)}.${token.slice(n)}` : token;
    case "splitFromRight":
      return n > 0 && n < len ? `${token.slice(0, len - n)}.${token.slice(len - n)}` : token;
    case "sliceFromLeft": {
      if (!(n > 0 && n < len)) return token;
      const parts: string[] = [];
      for (let i = 0; i < len; i += n) parts.push(token.slice(i, i + n));
      return parts.join(".");
    }
    case "sliceFromRight": {
      if (!(n > 0 && n < len)) return token;
      const parts: string[] = [];
      const rest = len % n;
      if (rest > 0) parts.push(token.slice(0, rest));
      for (let i = rest; i < len; i += n) parts.push(token.slice(i, i + n));
      return parts.join(".");
    }
    case "split":
      return token
        .split(d.text)
        .filter((p) => p !== "")
        .join(".");
    case "left":
      return n > 0 && n < len ? token.slice(0, n) : token;
    case "right":
      return n > 0 && n < len ? token.slice(len - n) : token;
    default:
      return token;
  }
}

/**
 * sublist.go `ValidateMapping`, which a stream's `subject_transform` goes through: the
 * destination's tokens first (no empty token, nothing after `>`, no whitespace, and of the
 * mustache functions only those it lists, which leaves out `left` and `right`), then the
 * transform itself. Returns nats-server's error text, or undefined when valid; an empty
 * destination is valid (no transform).
 */
export function validateMapping(source: string, destination: string): string | undefined {
  if (destination === "") return undefined;
  const known = FUNCTIONS.filter(([, fn]) => fn !== "left" && fn !== "right").map(([re]) => re);
  let fwc = false;
  for (const t of destination.split(".")) {
    if (t === "" || fwc) return `${INVALID}: invalid transform in ${t}`;
    if (t.length > 4 && t.startsWith("{{") && t.endsWith("}}")) {
      if (!known.some((re) => re.test(t))) return `${INVALID}: unknown function in ${t}`;
      continue;
    }
    if (t === ">") fwc = true;
    else if (/[\t\n\f\r ]/.test(t)) return `${INVALID}: invalid transform`;
  }
  try {
    new SubjectTransform(source, destination);
  } catch (err) {
    if (err instanceof TransformError) return err.message;
    throw err;
  }
  return undefined;
}

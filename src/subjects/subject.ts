/**
 * Pure functions on NATS subjects.
 *
 * A subject here is a JS string in which every char is one wire byte (the protocol layer decodes
 * with latin1), so nothing below assumes UTF-8: all checks are on char codes, one per byte.
 *
 * Rules as nats-server `server/sublist.go`: tokens are separated by `.`, `*` matches exactly one
 * token, `>` matches one or more trailing tokens, and a wildcard only counts when it is a whole
 * token (`subjectIsLiteral`), so `foo*` and `a>` are ordinary literal tokens.
 */

/** Char codes the subject functions look at. */
export const SubjectChar = {
  dot: 0x2e,
  star: 0x2a,
  gt: 0x3e,
  space: 0x20,
  tab: 0x09,
  lf: 0x0a,
  ff: 0x0c,
  cr: 0x0d,
} as const;

const DOT = SubjectChar.dot;
const STAR = SubjectChar.star;
const GT = SubjectChar.gt;

/** The whitespace nats-server refuses inside a subject token (`isValidSubject`: "\t\n\f\r "). */
function isWhitespace(c: number): boolean {
  return (
    c === SubjectChar.space ||
    c === SubjectChar.tab ||
    c === SubjectChar.lf ||
    c === SubjectChar.ff ||
    c === SubjectChar.cr
  );
}

/**
 * Whether `subject` may be subscribed to: non-empty, no empty token (leading, trailing or double
 * dot), no whitespace, and `>` only as the whole last token. As nats-server `IsValidSubject`
 * (without its optional NUL/rune check, which does not apply to latin1 strings).
 */
export function isValidSubject(subject: string): boolean {
  const len = subject.length;
  if (len === 0) return false;
  let tokenStart = 0;
  let sawFwc = false;
  for (let i = 0; i <= len; i++) {
    const c = i === len ? DOT : subject.charCodeAt(i);
    if (c === DOT) {
      const tokenLength = i - tokenStart;
      // A token after `>` is as invalid as an empty one (sublist.go Insert: `lt == 0 || sfwc`).
      if (tokenLength === 0 || sawFwc) return false;
      if (tokenLength === 1 && subject.charCodeAt(tokenStart) === GT) sawFwc = true;
      tokenStart = i + 1;
    } else if (isWhitespace(c)) {
      return false;
    }
  }
  return true;
}

/**
 * Whether `subject` contains a wildcard token: a `*` or `>` that is a whole token. Does not
 * check validity (as nats-server `subjectHasWildcard`).
 */
export function subjectHasWildcard(subject: string): boolean {
  const len = subject.length;
  for (let i = 0; i < len; i++) {
    const c = subject.charCodeAt(i);
    if (
      (c === STAR || c === GT) &&
      (i === 0 || subject.charCodeAt(i - 1) === DOT) &&
      (i + 1 === len || subject.charCodeAt(i + 1) === DOT)
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Whether `subject` is valid (see {@link isValidSubject}) and has no wildcard token: what a
 * pedantic client may publish to (nats-server `IsValidLiteralSubject`, client.go processPub).
 *
 * Stricter than nats-server in one corner: nats-server's check ignores whitespace, so a form
 * feed, the one whitespace char the PUB argument splitter keeps inside a subject, passes there and
 * fails here. Such a subject can never be subscribed to literally either.
 */
export function isValidLiteralSubject(subject: string): boolean {
  // As sublist.go isValidLiteralSubject: tokens only, whitespace is not looked at.
  return isValidSubscribeSubject(subject) && !subjectHasWildcard(subject);
}

/**
 * What sublist.go Insert accepts for a SUB: no empty token and nothing after `>`. Unlike
 * {@link isValidSubject} it does not look at whitespace, which the wire's field splitting has
 * already removed except for the blanks nats-server keeps (a form feed, say).
 */
export function isValidSubscribeSubject(subject: string): boolean {
  const len = subject.length;
  if (len === 0) return false;
  let tokenStart = 0;
  let sawFwc = false;
  for (let i = 0; i <= len; i++) {
    if (i < len && subject.charCodeAt(i) !== DOT) continue;
    const tokenLength = i - tokenStart;
    if (tokenLength === 0 || sawFwc) return false;
    if (tokenLength === 1 && subject.charCodeAt(tokenStart) === GT) sawFwc = true;
    tokenStart = i + 1;
  }
  return true;
}

/**
 * Whether `queue` may name a queue group: non-empty and without whitespace. nats-server checks
 * nothing further (client.go processSub); reserved names are the server layer's business.
 */
export function isValidQueueName(queue: string): boolean {
  const len = queue.length;
  if (len === 0) return false;
  for (let i = 0; i < len; i++) {
    if (isWhitespace(queue.charCodeAt(i))) return false;
  }
  return true;
}

/** Whether `subject` has an empty token at or after index `from` (a token start). */
function hasEmptyTokenFrom(subject: string, from: number): boolean {
  const len = subject.length;
  if (from >= len) return true;
  let tokenStart = from;
  for (let i = from; i < len; i++) {
    if (subject.charCodeAt(i) === DOT) {
      if (i === tokenStart) return true;
      tokenStart = i + 1;
    }
  }
  return tokenStart === len;
}

/**
 * Whether the published subject `literal` matches the subscription subject `pattern`, with NATS
 * semantics: `*` matches exactly one token, `>` (as the last token) one or more tokens, anything
 * else only the identical token.
 *
 * This answers exactly what the `Sublist` trie answers, which the result cache relies on:
 * - a literal with an empty token matches nothing, not even `>` (sublist.go match);
 * - a `*` or `>` token inside `literal` is just a token, so it is matched only by a wildcard
 *   in the pattern (the trie never stores `*`/`>` as literal nodes);
 * - a pattern with an empty token or a `>` before its last token matches nothing (such a
 *   pattern is never inserted). Whitespace in the pattern is not checked here.
 */
export function subjectMatches(literal: string, pattern: string): boolean {
  const ll = literal.length;
  const pl = pattern.length;
  if (ll === 0 || pl === 0) return false;
  let li = 0;
  let pi = 0;
  for (;;) {
    let le = literal.indexOf(".", li);
    if (le === -1) le = ll;
    let pe = pattern.indexOf(".", pi);
    if (pe === -1) pe = pl;
    const literalTokenLength = le - li;
    const patternTokenLength = pe - pi;
    if (literalTokenLength === 0 || patternTokenLength === 0) return false;
    if (patternTokenLength === 1) {
      const pc = pattern.charCodeAt(pi);
      if (pc === GT) {
        // `>` is a wildcard only as the last token; what it swallows must still be well formed.
        return pe === pl && !hasEmptyTokenFrom(literal, li);
      }
      if (pc !== STAR && (literalTokenLength !== 1 || literal.charCodeAt(li) !== pc)) {
        return false;
      }
    } else {
      if (literalTokenLength !== patternTokenLength) return false;
      for (let k = 0; k < patternTokenLength; k++) {
        if (literal.charCodeAt(li + k) !== pattern.charCodeAt(pi + k)) return false;
      }
    }
    if (le === ll || pe === pl) return le === ll && pe === pl;
    li = le + 1;
    pi = pe + 1;
  }
}

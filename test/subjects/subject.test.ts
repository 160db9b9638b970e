import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  isValidLiteralSubject,
  isValidQueueName,
  isValidSubject,
  isValidSubscribeSubject,
  subjectHasWildcard,
  subjectMatches,
} from "../../src/subjects/subject.ts";

/** [input, expected, why] */
type Row = readonly [string, boolean, string];

function table(name: string, fn: (s: string) => boolean, rows: readonly Row[]): void {
  describe(name, () => {
    for (const [input, expected, why] of rows) {
      test(`${JSON.stringify(input)} → ${expected} (${why})`, () => {
        assert.equal(fn(input), expected);
      });
    }
  });
}

table("isValidSubject", isValidSubject, [
  ["foo", true, "single token"],
  ["foo.bar.baz", true, "several tokens"],
  ["*", true, "lone partial wildcard"],
  [">", true, "lone full wildcard"],
  ["foo.*", true, "trailing *"],
  ["*.bar", true, "leading *"],
  ["foo.*.baz", true, "middle *"],
  ["foo.>", true, "trailing >"],
  ["*.>", true, "* then >"],
  ["foo*", true, "* inside a token is literal"],
  ["a>", true, "> inside a token is literal"],
  ["a>.b", true, "literal a> token not last"],
  [">a.b", true, "literal >a token"],
  ["**", true, "two stars are a literal token"],
  [">>", true, "two gts are a literal token"],
  ["foo.**.>", true, "literal ** then >"],
  ["$SYS.REQ.SERVER.PING", true, "dollar prefix"],
  ["_INBOX.abc123.1", true, "inbox"],
  ["a-b_c:d/e", true, "punctuation is fine"],
  ["\u00e9t\u00e9.\u00ff", true, "high latin1 bytes are fine"],
  ["foo\u0000bar", true, "NUL is not checked (nats-server checks it only optionally)"],
  ["", false, "empty"],
  [".", false, "only a dot"],
  [".foo", false, "leading dot"],
  ["foo.", false, "trailing dot"],
  ["foo..bar", false, "double dot"],
  ["foo.>.bar", false, "token after >"],
  [">.foo", false, "token after leading >"],
  [">.>", false, "> after >"],
  ["foo.>.", false, "trailing dot after >"],
  ["foo bar", false, "space"],
  ["foo\tbar", false, "tab"],
  ["foo\rbar", false, "CR"],
  ["foo\nbar", false, "LF"],
  ["foo\fbar", false, "form feed"],
  [" ", false, "lone space"],
  ["\t", false, "lone tab"],
  ["foo. ", false, "space token"],
  ["foo.\n", false, "newline token"],
]);

table("isValidLiteralSubject", isValidLiteralSubject, [
  ["foo", true, "single token"],
  ["foo.bar", true, "two tokens"],
  ["foo*", true, "* inside a token"],
  ["foo.b*r", true, "* inside a later token"],
  ["a>", true, "> inside a token"],
  ["a>.b", true, "literal a> not last"],
  ["**.>>", true, "doubled wildcard chars are literal"],
  ["*", false, "lone *"],
  [">", false, "lone >"],
  ["foo.*", false, "trailing *"],
  ["*.foo", false, "leading *"],
  ["foo.*.bar", false, "middle *"],
  ["foo.>", false, "trailing >"],
  ["", false, "empty"],
  ["foo..bar", false, "empty token"],
  [".foo", false, "leading dot"],
  ["foo.", false, "trailing dot"],
  // sublist.go isValidLiteralSubject looks at tokens only (pedantic PUB): whitespace is a byte.
  ["foo bar", true, "whitespace is not looked at"],
  ["foo\fbar", true, "form feed is not looked at"],
]);

table("isValidSubscribeSubject", isValidSubscribeSubject, [
  ["foo.*.>", true, "wildcards"],
  ["foo\f.a", true, "a form feed the wire keeps: sublist.go Insert accepts it"],
  ["", false, "empty"],
  ["foo..bar", false, "empty token"],
  ["foo.>.bar", false, "token after >"],
]);

table("isValidQueueName", isValidQueueName, [
  ["workers", true, "plain name"],
  ["q.with.dots", true, "dots are fine in queue names"],
  ["*", true, "wildcard chars mean nothing in a queue name"],
  [">", true, "gt"],
  ["..", true, "even empty tokens: queue names are not subjects"],
  ["", false, "empty"],
  ["a b", false, "space"],
  ["a\tb", false, "tab"],
  ["a\rb", false, "CR"],
  ["a\nb", false, "LF"],
  ["a\fb", false, "form feed"],
]);

table("subjectHasWildcard", subjectHasWildcard, [
  ["*", true, "lone *"],
  [">", true, "lone >"],
  ["foo.*", true, "trailing *"],
  ["*.foo", true, "leading *"],
  ["foo.*.bar", true, "middle *"],
  ["foo.>", true, "trailing >"],
  ["foo.>.bar", true, "> not last still counts as a wildcard token"],
  ["foo", false, "literal"],
  ["foo*", false, "* inside a token"],
  ["*foo", false, "* starting a token"],
  ["a>", false, "> inside a token"],
  ["foo.**", false, "doubled star"],
  ["", false, "empty"],
]);

describe("subjectMatches", () => {
  /** [literal, pattern, expected, why] */
  const rows: readonly (readonly [string, string, boolean, string])[] = [
    ["foo", "foo", true, "identical single token"],
    ["foo.bar", "foo.bar", true, "identical"],
    ["foo.bar", "foo.baz", false, "last token differs"],
    ["foo.bar", "foo", false, "literal longer"],
    ["foo", "foo.bar", false, "pattern longer"],
    ["foo", "fo", false, "prefix token"],
    ["fo", "foo", false, "longer pattern token"],
    ["foo.bar", "foo.*", true, "* matches one token"],
    ["foo.bar.baz", "foo.*", false, "* matches only one token"],
    ["foo", "foo.*", false, "* needs a token"],
    ["foo.bar.baz", "foo.*.baz", true, "middle *"],
    ["foo.bar.baz", "*.*.*", true, "all stars"],
    ["foo.bar", "*.*.*", false, "too few tokens for stars"],
    ["foo.bar", "foo.>", true, "> one token"],
    ["foo.bar.baz.qux", "foo.>", true, "> many tokens"],
    ["foo", "foo.>", false, "> needs at least one token"],
    ["foo", ">", true, "lone > matches one token"],
    ["a.b.c", ">", true, "lone > matches many tokens"],
    ["foo.bar", "*.>", true, "* then >"],
    ["foo", "*.>", false, "* then > needs two tokens"],
    ["foo.*", "foo.*", true, "literal * token is matched by a * wildcard"],
    ["foo.*", "foo.>", true, "literal * token is matched by >"],
    ["foo.*", "foo.bar", false, "literal * token is not a wildcard in the published subject"],
    ["foo.>", "foo.bar", false, "literal > token is not a wildcard"],
    ["foo.>", "foo.*", true, "literal > token matched by *"],
    ["foo.>", "foo.>", true, "literal > token matched by >"],
    ["foo*", "foo*", true, "token with * inside is literal"],
    ["foox", "foo*", false, "* inside a pattern token is not a wildcard"],
    ["a>", "a>", true, "> inside a token is literal"],
    ["a.b", "a>", false, "a> is not a prefix wildcard"],
    ["a", "*", true, "single-char token"],
    ["a", "b", false, "single-char mismatch"],
    ["*", "b", false, "published * vs literal pattern token"],
    ["", ">", false, "empty literal"],
    ["foo", "", false, "empty pattern"],
    ["foo..bar", ">", false, "empty token in literal never matches, not even >"],
    ["foo..bar", "foo.>", false, "empty token swallowed by > still fails"],
    ["foo.", "foo.>", false, "trailing dot"],
    [".foo", "*.foo", false, "leading dot"],
    ["foo.", "foo.*", false, "trailing dot against *"],
    ["foo.bar.", "foo.*", false, "extra empty token"],
    ["foo.bar", "foo..bar", false, "empty pattern token"],
    ["foo.bar.baz", "foo.>.baz", false, "> before the last token is no wildcard"],
    ["foo bar", ">", true, "whitespace in a published subject is just a byte"],
    ["\u00e9.x", "\u00e9.*", true, "latin1 bytes compare as bytes"],
  ];
  for (const [literal, pattern, expected, why] of rows) {
    test(`${JSON.stringify(literal)} ~ ${JSON.stringify(pattern)} → ${expected} (${why})`, () => {
      assert.equal(subjectMatches(literal, pattern), expected);
    });
  }
});

/**
 * The configuration lexer, rule by rule. Inputs and expected items follow nats-server's
 * conf/lex_test.go (columns here count from 1).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/config/config-error.ts";
import { Lexer, TokenKind, type Token } from "../../src/config/lexer.ts";

/** `kind:text` of every token but Eof. */
function items(src: string): string[] {
  return Lexer.tokenize(src)
    .filter((t) => t.kind !== TokenKind.Eof)
    .map((t) => `${t.kind}:${t.text}`);
}

function tokens(src: string): Token[] {
  return Lexer.tokenize(src).filter((t) => t.kind !== TokenKind.Eof);
}

/** Asserts a lexical error with its message and position. */
function lexError(src: string, message: RegExp, line: number, column: number): void {
  assert.throws(
    () => Lexer.tokenize(src, "test.conf"),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.problem, message);
      assert.deepEqual([err.file, err.line, err.column], ["test.conf", line, column], err.message);
      assert.equal(err.code, "NATS_EMBEDDED_INVALID_CONFIG");
      return true;
    },
  );
}

describe("config lexer: keys and separators", () => {
  it("reads `key = value`, `key: value` and `key value`", () => {
    for (const src of ["foo = bar", "foo: bar", "foo bar", "foo=bar", "foo:bar", "foo\t\tbar"]) {
      assert.deepEqual(items(src), ["key:foo", "string:bar"], src);
    }
  });

  it("positions each token at its first character", () => {
    assert.deepEqual(
      tokens("\n  foo = 'bar'").map((t) => [t.kind, t.line, t.column]),
      [
        ["key", 2, 3],
        ["string", 2, 9],
      ],
    );
  });

  it("accepts quoted keys, with spaces and special characters", () => {
    assert.deepEqual(items(`"foo bar" = 1\n'bar-1.2.3' = 2`), ["key:foo bar", "integer:1", "key:bar-1.2.3", "integer:2"]);
  });

  it("allows blanks and newlines between a key and its separator", () => {
    assert.deepEqual(items("foo\n= 1\nbar\n2"), ["key:foo", "integer:1", "key:bar", "integer:2"]);
  });

  it("ends top-level values at a newline, ';' or ','", () => {
    assert.deepEqual(items("foo='1'; bar=2.2, baz=true;"), ["key:foo", "string:1", "key:bar", "float:2.2", "key:baz", "bool:true"]);
    assert.deepEqual(items("foo=123\r\nbar=4\r\n"), ["key:foo", "integer:123", "key:bar", "integer:4"]);
  });

  it("rejects a separator where a key should be", () => {
    lexError(" :foo = 22", /^Unexpected key separator ':'/, 1, 2);
  });

  it("rejects a new line between a top-level separator and its value", () => {
    lexError("foo =\n1", /^Expected value but found new line/, 1, 6);
  });

  it("rejects a second value on the same line", () => {
    lexError("foo = 1 bar", /^Expected a top-level value to end with a new line, comment or EOF, but got 'b' instead/, 1, 9);
  });
});

describe("config lexer: comments", () => {
  it("skips # and // comments, whole-line and after values", () => {
    assert.deepEqual(items("# top\n// also\nfoo = 123 // trailing\nbar=4    # trailing"), ["key:foo", "integer:123", "key:bar", "integer:4"]);
  });

  it("treats '#' inside a bare word as part of it", () => {
    assert.deepEqual(items("foo = a#b"), ["key:foo", "string:a#b"]);
  });

  it("rejects a lone '/' where a key should be", () => {
    lexError("/foo = 1", /^Unexpected '\/'/, 1, 1);
  });
});

describe("config lexer: strings", () => {
  it("reads double-quoted strings with escapes", () => {
    assert.deepEqual(items(String.raw`foo = "a\tb\n\r\"\\"`), ["key:foo", 'string:a\tb\n\r"\\']);
  });

  it("decodes \\xHH escapes, runs of them as UTF-8", () => {
    assert.deepEqual(items(String.raw`foo = "\x65\xc3\xa9"`), ["key:foo", "string:eé"]);
    assert.deepEqual(items(String.raw`foo = \xe9`), ["key:foo", "string:\u00e9"]);
  });

  it("accepts JSON's \\/, \\b, \\f and \\u escapes", () => {
    assert.deepEqual(items(String.raw`foo = "\/\b\f\u0041"`), ["key:foo", "string:/\b\fA"]);
  });

  it("reads single-quoted strings raw, across lines", () => {
    assert.deepEqual(items(String.raw`foo = 'bar\r\n  \t'`), ["key:foo", String.raw`string:bar\r\n  \t`]);
    assert.deepEqual(items("text = 'two\nlines'"), ["key:text", "string:two\nlines"]);
  });

  it("reads empty strings", () => {
    assert.deepEqual(items(`a = ""\nb = ''`), ["key:a", "string:", "key:b", "string:"]);
  });

  it("reads bare strings up to a blank, newline, ';', ',', ']' or '}'", () => {
    assert.deepEqual(items("bar = baz\nbaz=boo;x=nats-route://foo:bar@host:4245"), [
      "key:bar",
      "string:baz",
      "key:baz",
      "string:boo",
      "key:x",
      "string:nats-route://foo:bar@host:4245",
    ]);
  });

  it("keeps an escaped bare word a string (\\\\true is not a boolean, \\\\$x not a variable)", () => {
    assert.deepEqual(items(String.raw`a = \\true` + "\n" + String.raw`b = \\$var`), ["key:a", String.raw`string:\true`, "key:b", String.raw`string:\$var`]);
  });

  it("reads ( ... ) block strings up to a ')' alone on its line", () => {
    assert.deepEqual(items("numbers (\n  12(34)56\n  (\n    7890\n  )\n)\n"), ["key:numbers", "string:\n  12(34)56\n  (\n    7890\n  )\n"]);
    assert.deepEqual(items("numbers (\n1234567890\n)"), ["key:numbers", "string:\n1234567890\n"]);
  });

  it("reports an unclosed string at its opening quote", () => {
    lexError('\nlisten: "localhost:4242\n\nhttp: localhost:8222\n', /^Unexpected EOF: the string's quote is never closed/, 2, 9);
    lexError("\nlisten: 'localhost:4242\n", /^Unexpected EOF: the string's quote is never closed/, 2, 9);
  });

  it("reports an unclosed block string at its '('", () => {
    lexError("listen = 4222\n\nquote = (\n\n  foo = bar\n\n", /^Unexpected EOF processing block/, 3, 9);
  });

  it("rejects unknown escapes and bad \\x digits", () => {
    lexError(String.raw`foo = \y`, /^Invalid escape character 'y'/, 1, 9);
    lexError(String.raw`foo = "[\xe]"`, /^Expected two hexadecimal digits after '\\x', but got 'e]'/, 1, 11);
    lexError('foo = "\\x6\n"', /^Expected two hexadecimal digits after '\\x', but hit end of line/, 1, 10);
  });
});

describe("config lexer: booleans and variables", () => {
  it("reads true/false/yes/no/on/off in any case as booleans, quoted ones as strings", () => {
    assert.deepEqual(items("a true\nb FALSE\nc yes\nd No\ne on\nf OFF\ng \"true\""), [
      "key:a",
      "bool:true",
      "key:b",
      "bool:FALSE",
      "key:c",
      "bool:yes",
      "key:d",
      "bool:No",
      "key:e",
      "bool:on",
      "key:f",
      "bool:OFF",
      "key:g",
      "string:true",
    ]);
  });

  it("reads a bare $name as a variable reference, in any position", () => {
    assert.deepEqual(items("foo = $bar\nfoo =$bar\nfoo $bar\nx [$a, $b]"), [
      "key:foo",
      "variable:bar",
      "key:foo",
      "variable:bar",
      "key:foo",
      "variable:bar",
      "key:x",
      "array-start:",
      "variable:a",
      "variable:b",
      "array-end:",
    ]);
  });
});

describe("config lexer: numbers", () => {
  it("reads integers, negative integers and floats", () => {
    assert.deepEqual(items("a = 123\nb = -123\nc = 2.5\nd = -0.5"), ["key:a", "integer:123", "key:b", "integer:-123", "key:c", "float:2.5", "key:d", "float:-0.5"]);
  });

  it("reads size suffixes as part of the integer", () => {
    assert.deepEqual(items("a = 1k\nb = 1K\nc = 64KB\nd = 2Mi\ne = 64MiB\nf = 1gb\ng = -2k"), [
      "key:a",
      "integer:1k",
      "key:b",
      "integer:1K",
      "key:c",
      "integer:64KB",
      "key:d",
      "integer:2Mi",
      "key:e",
      "integer:64MiB",
      "key:f",
      "integer:1gb",
      "key:g",
      "integer:-2k",
    ]);
  });

  it("reads a digit-led word that is not a number as a string", () => {
    assert.deepEqual(items("a = 3xyz\nb = 3Gyz\nm {\n  c = 4wqs,\n  d = 3xyz}"), [
      "key:a",
      "string:3xyz",
      "key:b",
      "string:3Gyz",
      "key:m",
      "map-start:",
      "key:c",
      "string:4wqs",
      "key:d",
      "string:3xyz",
      "map-end:",
    ]);
  });

  it("reads IP addresses and host:port as strings", () => {
    assert.deepEqual(items("a: 127.0.0.1:4222\nb: 127.0.0.1\nc: apcera.me:80\nd: nats.io:-1\ne: -1\nf: :-1\ng = :80\nh: 0.0.0.0:-1"), [
      "key:a",
      "string:127.0.0.1:4222",
      "key:b",
      "string:127.0.0.1",
      "key:c",
      "string:apcera.me:80",
      "key:d",
      "string:nats.io:-1",
      "key:e",
      "integer:-1",
      "key:f",
      "string::-1",
      "key:g",
      "string::80",
      "key:h",
      "string:0.0.0.0:-1",
    ]);
  });

  it("reads ISO 8601 Zulu datetimes", () => {
    assert.deepEqual(items("now = 2016-05-04T18:53:41Z"), ["key:now", "datetime:2016-05-04T18:53:41Z"]);
  });

  it("ends an integer at ']' (nats-server would make [1] a string)", () => {
    assert.deepEqual(items("a = [1]\nb = [1k]"), ["key:a", "array-start:", "integer:1", "array-end:", "key:b", "array-start:", "integer:1k", "array-end:"]);
  });

  it("rejects malformed numbers and dates", () => {
    lexError("foo = .2", /^Floats must start with a digit/, 1, 7);
    lexError("foo = 1.x", /^Floats must have a digit after the '\.', but got 'x'/, 1, 9);
    lexError("foo = -x", /^Expected a digit but got 'x'/, 1, 8);
    lexError("foo = 12-05", /^All ISO8601 dates must be in full Zulu form/, 1, 9);
    lexError("foo = 2016-05-04X18", /^Expected 'T' in ISO8601 datetime, but found 'X'/, 1, 17);
  });
});

describe("config lexer: arrays and blocks", () => {
  it("reads arrays separated by commas or newlines, with comments and a trailing comma", () => {
    assert.deepEqual(items("foo = [1, 2,3,'bar']"), ["key:foo", "array-start:", "integer:1", "integer:2", "integer:3", "string:bar", "array-end:"]);
    assert.deepEqual(items("foo = [\n 1, # One\n 2 // Two\n 'bar'     ,\n \"bar\",\n]"), [
      "key:foo",
      "array-start:",
      "integer:1",
      "integer:2",
      "string:bar",
      "string:bar",
      "array-end:",
    ]);
  });

  it("reads blocks with or without a separator, values ending at newline, ',' or ';'", () => {
    assert.deepEqual(items("foo = {ip='127.0.0.1', port = 4242}\nbar {\n  a: 1;\n  b 2\n}"), [
      "key:foo",
      "map-start:",
      "key:ip",
      "string:127.0.0.1",
      "key:port",
      "integer:4242",
      "map-end:",
      "key:bar",
      "map-start:",
      "key:a",
      "integer:1",
      "key:b",
      "integer:2",
      "map-end:",
    ]);
  });

  it("lets a block's value start on the next line", () => {
    assert.deepEqual(items("m {\n a:\n 1\n}"), ["key:m", "map-start:", "key:a", "integer:1", "map-end:"]);
  });

  it("reads arrays of blocks and nested blocks", () => {
    assert.deepEqual(items("users = [\n  {user: alice, password: foo}\n  {user: bob}\n]\na { b { c: 1 } }"), [
      "key:users",
      "array-start:",
      "map-start:",
      "key:user",
      "string:alice",
      "key:password",
      "string:foo",
      "map-end:",
      "map-start:",
      "key:user",
      "string:bob",
      "map-end:",
      "array-end:",
      "key:a",
      "map-start:",
      "key:b",
      "map-start:",
      "key:c",
      "integer:1",
      "map-end:",
      "map-end:",
    ]);
  });

  it("reads a top-level { ... } as no block at all, as JSON documents need", () => {
    assert.deepEqual(items('{"http_port": 8224,"port": 4224}\n'), ["key:http_port", "integer:8224", "key:port", "integer:4224"]);
    assert.deepEqual(items("{\n  {\n    listen: 0.0.0.0:4222 // c\n  }\n  # c\n}\n# c\n"), ["key:listen", "string:0.0.0.0:4222"]);
  });

  it("tolerates one stray '}' at the end, and no other", () => {
    assert.deepEqual(items("accounts { users = [{}]}\n}\n"), ["key:accounts", "map-start:", "key:users", "array-start:", "map-start:", "map-end:", "array-end:", "map-end:"]);
    lexError("}\nfoo = 1", /^Unexpected '}' with no block to close/, 1, 1);
  });

  it("reports unclosed blocks and arrays with where they opened", () => {
    lexError("listen = 4222\n\ncluster = {\n\n  foo = bar\n\n", /^Unexpected EOF processing map: the '\{' at line 3, column 11 is never closed/, 7, 1);
    lexError("foo = [1, 2", /^Unexpected EOF processing array: the '\[' at line 1, column 7 is never closed/, 1, 12);
    lexError("{\n port: 1\n", /^Unexpected EOF processing block: the '\{' at line 1, column 1 is never closed/, 3, 1);
  });

  it("rejects empty array slots and missing separators", () => {
    lexError("foo = [1, 2,,3]", /^Unexpected array value terminator ','/, 1, 13);
    lexError("foo = [1 2]", /^Expected an array value terminator ',' or an array terminator '\]', but got '2'/, 1, 10);
    lexError("foo = {a = 1 b = 2}", /^Expected a map value terminator ',' or a map terminator '\}', but got 'b'/, 1, 14);
    lexError("foo = { a = ]", /^Expected a map value terminator/, 1, 13);
    lexError("foo = { ] }", /^Unexpected array end '\]' processing map/, 1, 9);
    lexError("foo = { a = }", /^Expected value but found '\}'/, 1, 13);
  });

  it("refuses nesting deeper than the limit", () => {
    const deep = `a = ${"[".repeat(100)}${"]".repeat(100)}`;
    assert.throws(() => Lexer.tokenize(deep), /nested more than 64 deep/);
  });
});

describe("config lexer: include", () => {
  it("reads include with a bare, single- or double-quoted path", () => {
    for (const src of ['include "users.conf"', "include 'users.conf'", "include users.conf"]) {
      assert.deepEqual(items(src), ["include:users.conf"], src);
    }
  });

  it("reads include inside a block", () => {
    assert.deepEqual(items("foo { include users.conf }\nbar {include 'x y.conf'}"), [
      "key:foo",
      "map-start:",
      "include:users.conf",
      "map-end:",
      "key:bar",
      "map-start:",
      "include:x y.conf",
      "map-end:",
    ]);
  });

  it("takes `include: x` as an ordinary key", () => {
    assert.deepEqual(items("include: x"), ["key:include", "string:x"]);
  });

  it("rejects include values that cannot be paths", () => {
    lexError("include [a]", /^Expected include value but found start of an array/, 1, 9);
    lexError("include 9.conf", /^Expected include value but found start of a number/, 1, 9);
    lexError("include \n", /^Expected include value but found new line/, 1, 9);
    lexError("include 'a.conf", /^Unexpected EOF in quoted include/, 1, 9);
  });
});

/**
 * The configuration parser: values, size suffixes, variables, includes, JSON, errors with
 * file/line/column, and the bounds that keep a hostile file from hanging us. Expected values
 * follow nats-server's conf/parse_test.go.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { ConfigError } from "../../src/config/config-error.ts";
import { parseConfig, parseConfigFile } from "../../src/config/parser.ts";
import { toPlain, type ConfigMap } from "../../src/config/value.ts";

function plain(text: string, env: Record<string, string> = {}): unknown {
  return toPlain(parseConfig(text, { env }));
}

/** Asserts a ConfigError with its problem text and position. */
function configError(fn: () => unknown, problem: RegExp, where: { file?: string; line: number; column: number }): ConfigError {
  let caught: ConfigError | undefined;
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    caught = err;
    return true;
  });
  const err = caught!;
  assert.match(err.problem, problem);
  if (where.file !== undefined) assert.equal(err.file, where.file);
  assert.deepEqual([err.line, err.column], [where.line, where.column], err.message);
  const prefix = err.line > 0 ? `${err.file}:${err.line}:${err.column}: ` : `${err.file}: `;
  assert.ok(err.message.startsWith(prefix), err.message);
  return err;
}

/** A fresh directory with `files` in it, removed when the test ends. */
function directory(t: TestContext, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "nats-embedded-config-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe("config parser: values", () => {
  it("parses strings, floats, booleans and integers", () => {
    assert.deepEqual(plain("foo='1'; bar=2.2; baz=true; boo=22"), { foo: "1", bar: 2.2, baz: true, boo: 22 });
  });

  it("parses every boolean spelling", () => {
    assert.deepEqual(plain("a=TRUE\nb=yes\nc=on\nd=False\ne=no\nf=OFF"), { a: true, b: true, c: true, d: false, e: false, f: false });
  });

  it("multiplies size suffixes: k m g t p e by 1000, kb/ki/kib (and so on) by 1024, any case", () => {
    assert.deepEqual(plain("k = 8k\nkb = 4kb\nki = 3ki\nkib = 4KiB\nm = 1m\nmb = 2MB\nmi = 2Mi\nmib = 64MiB\ng = 2g\ngb = 2GB\nt = 1t\ntb = 1TB\np = 1p\npb = 1pb\nneg = -2k"), {
      k: 8_000,
      kb: 4 * 1024,
      ki: 3 * 1024,
      kib: 4 * 1024,
      m: 1_000_000,
      mb: 2 * 1024 ** 2,
      mi: 2 * 1024 ** 2,
      mib: 64 * 1024 ** 2,
      g: 2_000_000_000,
      gb: 2 * 1024 ** 3,
      t: 1e12,
      tb: 1024 ** 4,
      p: 1e15,
      pb: 1024 ** 5,
      neg: -2000,
    });
    const node = parseConfig("x = 64KB").entries.get("x")!.value;
    assert.deepEqual([node.kind, node.kind === "integer" && node.raw], ["integer", "64KB"]);
  });

  it("keeps durations as strings (the mapping reads them)", () => {
    assert.deepEqual(plain('a = "2m"\nb = 10s\nc = "500ms"\nd = 500ms'), { a: "2m", b: "10s", c: "500ms", d: "500ms" });
  });

  it("parses datetimes, nested blocks, arrays and arrays of blocks", () => {
    assert.deepEqual(plain("now = 2016-05-04T18:53:41Z\nfoo {\n  host {\n    ip = '127.0.0.1'\n    port = 4242\n  }\n  servers = [ \"a.com\", \"b.com\"]\n}\nusers [ {user: a}\n {user: b} ]"), {
      now: new Date(Date.UTC(2016, 4, 4, 18, 53, 41)),
      foo: { host: { ip: "127.0.0.1", port: 4242 }, servers: ["a.com", "b.com"] },
      users: [{ user: "a" }, { user: "b" }],
    });
  });

  it("keeps the last value of a key defined twice", () => {
    const root = parseConfig("port = 1\nhost = h\nport = 2");
    assert.deepEqual(toPlain(root), { host: "h", port: 2 });
    assert.deepEqual([...root.entries.keys()], ["host", "port"]);
    assert.equal(root.entries.get("port")!.keyPos.line, 3);
  });

  it("accepts empty and comment-only documents", () => {
    assert.deepEqual(plain(""), {});
    assert.deepEqual(plain("\n   \n# just comments\n// more\n"), {});
    assert.deepEqual(plain("{}"), {});
  });

  it("records file, line and column of keys and values", () => {
    const root = parseConfig("\n  cluster {\n    port: 4244\n  }", { file: "/etc/nats.conf" });
    const cluster = root.entries.get("cluster")!;
    assert.deepEqual(cluster.keyPos, { file: "/etc/nats.conf", line: 2, column: 3 });
    assert.equal(cluster.value.kind, "map");
    const port = (cluster.value as ConfigMap).entries.get("port")!;
    assert.deepEqual([port.keyPos.line, port.keyPos.column, port.value.pos.line, port.value.pos.column], [3, 5, 3, 11]);
  });

  it("toPlain keeps a __proto__ key as data", () => {
    const out = plain('"__proto__" { polluted: true }') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ["__proto__"]);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });
});

describe("config parser: errors", () => {
  it("rejects a key without a value, at the key", () => {
    configError(() => parseConfig("aaaaaaaaaa"), /^config is invalid: key "aaaaaaaaaa" has no value/, { file: "<config>", line: 1, column: 1 });
    configError(() => parseConfig("\n  # comment\n     aaaa   \n"), /has no value/, { line: 3, column: 6 });
  });

  it("takes `key =` at the very end as an empty string, as nats-server", () => {
    assert.deepEqual(plain("foo ="), { foo: "" });
  });

  it("rejects integers that do not fit exactly and unknown size suffixes", () => {
    configError(() => parseConfig("a = 99999999999999999999"), /^integer '99999999999999999999' is out of the range/, { line: 1, column: 5 });
    configError(() => parseConfig("a = 16EB"), /^integer '16EB' is out of the range/, { line: 1, column: 5 });
    configError(() => parseConfig("a = 1kbi"), /^expected integer, but got '1kbi' \(unknown size suffix\)/, { line: 1, column: 5 });
  });

  it("names the file in lexical errors", () => {
    configError(() => parseConfig("a = 1\nb = .5", { file: "/tmp/x.conf" }), /^Floats must start with a digit/, { file: "/tmp/x.conf", line: 2, column: 5 });
  });
});

describe("config parser: variables", () => {
  it("resolves a key defined earlier", () => {
    assert.deepEqual(plain("index = 22\nfoo = $index"), { index: 22, foo: 22 });
  });

  it("resolves the innermost definition, in this block or an enclosing one", () => {
    assert.deepEqual(plain("index = 22\nnest {\n  index = 11\n  foo = $index\n  deeper { bar = $index }\n}\nbar = $index"), {
      index: 22,
      nest: { index: 11, foo: 11, deeper: { bar: 11 } },
      bar: 22,
    });
  });

  it("shares blocks and arrays by reference to the variable", () => {
    assert.deepEqual(plain("PERMS = { publish: [a, b] }\nusers = [ {user: x, permissions: $PERMS} ]"), {
      PERMS: { publish: ["a", "b"] },
      users: [{ user: "x", permissions: { publish: ["a", "b"] } }],
    });
  });

  it("marks a key read through a variable as used", () => {
    const root = parseConfig("TEST_PORT = 4222\nport = $TEST_PORT\nunused = 1");
    assert.equal(root.entries.get("TEST_PORT")!.usedAsVariable, true);
    assert.equal(root.entries.get("unused")!.usedAsVariable, false);
  });

  it("does not see a key defined later", () => {
    configError(() => parseConfig("foo = $bar\nbar = 1", { env: {} }), /^variable reference for 'bar' can not be found/, { line: 1, column: 7 });
  });

  it("falls back to the environment, parsing the text as a value", () => {
    assert.deepEqual(plain("a = $N\nb = $S\nc = $Q\nd = $SZ\ne = $L", { N: "22", S: "xyz", Q: "'3xyz'", SZ: "64KB", L: "[1, 2]" }), {
      a: 22,
      b: "xyz",
      c: "3xyz",
      d: 65536,
      e: [1, 2],
    });
  });

  it("reads process.env when no env is given", () => {
    const name = `NATS_EMBEDDED_TEST_${process.pid}`;
    process.env[name] = "4223";
    try {
      assert.deepEqual(toPlain(parseConfig(`port = $${name}`)), { port: 4223 });
    } finally {
      delete process.env[name];
    }
  });

  it("lets an environment variable refer to another one", () => {
    assert.deepEqual(plain("a = $A", { A: "$B", B: "b" }), { a: "b" });
  });

  it("reports a cycle between environment variables at the reference", () => {
    configError(() => plain("x = 1\na = $A", { A: "$B", B: "$A" }), /^variable reference for 'A' could not be parsed: variable reference for 'B' could not be parsed: variable reference cycle for 'A'/, {
      line: 2,
      column: 5,
    });
  });

  it("reports an environment value that does not parse", () => {
    configError(() => plain("a = $A", { A: "two words" }), /^variable reference for 'A' could not be parsed: Expected a top-level value to end/, { line: 1, column: 5 });
  });

  it("reports an undefined variable with its position", () => {
    const err = configError(() => parseConfig("\nfoo = 1\nbar = $nope", { file: "/x.conf", env: {} }), /^variable reference for 'nope' can not be found/, {
      file: "/x.conf",
      line: 3,
      column: 7,
    });
    assert.match(err.message, /^\/x\.conf:3:7: variable reference/);
  });

  it("keeps a bare bcrypt hash as a string", () => {
    assert.deepEqual(plain("password: $2a$11$ooo"), { password: "$2a$11$ooo" });
  });

  it("does not expand quoted text", () => {
    assert.deepEqual(plain('a = "$HOME"\nb = \'$HOME\''), { a: "$HOME", b: "$HOME" });
  });

  it("refuses include inside an environment variable's value", () => {
    configError(() => plain("a = $A", { A: "1\ninclude x.conf" }), /could not be parsed: include is not allowed/, { line: 1, column: 5 });
  });
});

describe("config parser: JSON", () => {
  it("parses a JSON document", () => {
    const json = JSON.stringify({ http_port: 8227, port: 4227, write_deadline: "1h", debug: false, cluster: { port: 6222, routes: ["nats://127.0.0.1:4222"] }, tags: [] }, null, 2);
    assert.deepEqual(plain(json), { http_port: 8227, port: 4227, write_deadline: "1h", debug: false, cluster: { port: 6222, routes: ["nats://127.0.0.1:4222"] }, tags: [] });
  });

  it("parses minified JSON, and JSON.stringify's escapes", () => {
    assert.deepEqual(plain(JSON.stringify({ a: 'q"\\/\n\u0001é', b: { c: [1, 2.5, true] } })), { a: 'q"\\/\n\u0001é', b: { c: [1, 2.5, true] } });
  });

  it("parses nats-server's JSON-ish forms: trailing commas, missing commas, a stray '}'", () => {
    assert.deepEqual(plain('{\n  "jetstream": {\n    "store_dir": "/tmp/nats"\n    "max_mem": 1000000,\n  },\n  "port": 4222\n}\n'), {
      jetstream: { store_dir: "/tmp/nats", max_mem: 1_000_000 },
      port: 4222,
    });
    assert.deepEqual(plain("{\n  \"debug\":  False\n  \"prof_port\": 8221\n}\n"), { debug: false, prof_port: 8221 });
  });

  it("reads a JSON file with a byte order mark", (t) => {
    const dir = directory(t, { "a.json": '\ufeff{"port": 1}' });
    assert.deepEqual(toPlain(parseConfigFile(join(dir, "a.json"))), { port: 1 });
  });
});

describe("config parser: include", () => {
  it("merges an included file's keys where the directive stands, relative to the including file", (t) => {
    const dir = directory(t, {
      "main.conf": "listen: 127.0.0.1:4222\nauthorization {\n  include ./auth/passwords.conf\n  CAROL_PASS: foo\n  users = [ {user: alice, password: $ALICE_PASS} ]\n}\n",
      "auth/passwords.conf": "ALICE_PASS: $2a$10$UHR6GhotWhpLsKtVP0\ninclude 'more.conf'\n",
      "auth/more.conf": "BOB_PASS = bob",
    });
    const root = parseConfigFile(join(dir, "main.conf"));
    assert.deepEqual(toPlain(root), {
      listen: "127.0.0.1:4222",
      authorization: { ALICE_PASS: "$2a$10$UHR6GhotWhpLsKtVP0", BOB_PASS: "bob", CAROL_PASS: "foo", users: [{ user: "alice", password: "$2a$10$UHR6GhotWhpLsKtVP0" }] },
    });
    const auth = root.entries.get("authorization")!.value as ConfigMap;
    assert.deepEqual(auth.entries.get("BOB_PASS")!.keyPos, { file: join(dir, "auth", "more.conf"), line: 1, column: 1 });
  });

  it("accepts an include at the top level with a quoted path, and empty or comment-only files", (t) => {
    const dir = directory(t, { "main.conf": 'include "a b.conf"\ninclude empty.conf\nport = 2', "a b.conf": "port = 1\nhost = h", "empty.conf": "# nothing\n" });
    assert.deepEqual(toPlain(parseConfigFile(join(dir, "main.conf"))), { host: "h", port: 2 });
  });

  it("reads included JSON files", (t) => {
    const dir = directory(t, { "main.conf": "accounts {\n  foo { include 'foo.json' }\n  quux { include 'quux.json' }\n}", "foo.json": '{ "users": [ {"user": "foo"} ] }', "quux.json": "{}" });
    assert.deepEqual(toPlain(parseConfigFile(join(dir, "main.conf"))), { accounts: { foo: { users: [{ user: "foo" }] }, quux: {} } });
  });

  it("reports errors inside an included file at their own file, line and column", (t) => {
    const dir = directory(t, { "main.conf": "a = 1\ninclude bad.conf", "bad.conf": "\n  x = [1,,2]" });
    configError(() => parseConfigFile(join(dir, "main.conf")), /^Unexpected array value terminator/, { file: join(dir, "bad.conf"), line: 2, column: 10 });
  });

  it("reports a missing include at the directive", (t) => {
    const dir = directory(t, { "main.conf": "a = 1\n  include nope.conf" });
    configError(() => parseConfigFile(join(dir, "main.conf")), /^error parsing include file ".*nope\.conf": ENOENT/, { file: join(dir, "main.conf"), line: 2, column: 3 });
  });

  it("reports a missing configuration file as a whole-file problem", () => {
    const err = configError(() => parseConfigFile("/nonexistent/nats.conf"), /^error opening config file "\/nonexistent\/nats\.conf": ENOENT/, { line: 0, column: 0 });
    assert.match(err.message, /^\/nonexistent\/nats\.conf: error opening config file/);
  });

  it("detects an include cycle", (t) => {
    const dir = directory(t, { "a.conf": "x = 1\ninclude b.conf", "b.conf": "include ./sub/../a.conf" });
    const err = configError(() => parseConfigFile(join(dir, "a.conf")), /^include cycle: .*a\.conf -> .*b\.conf -> .*a\.conf$/, { file: join(dir, "b.conf"), line: 1, column: 1 });
    assert.equal(err.key, undefined);
  });

  it("detects a file including itself", (t) => {
    const dir = directory(t, { "a.conf": "include a.conf" });
    configError(() => parseConfigFile(join(dir, "a.conf")), /^include cycle/, { line: 1, column: 1 });
  });

  it("bounds include depth, even through symlinks that hide a cycle", (t) => {
    const dir = directory(t, { "a.conf": "include link1/a.conf" });
    symlinkSync(dir, join(dir, "link1"));
    configError(() => parseConfigFile(join(dir, "a.conf")), /^includes are nested more than 10 deep/, { line: 1, column: 1 });
  });

  it("bounds the number of files read", (t) => {
    const dir = directory(t, { "a.conf": Array.from({ length: 20 }, () => "include b.conf").join("\n"), "b.conf": "x = 1" });
    configError(() => parseConfigFile(join(dir, "a.conf"), { limits: { maxFiles: 10 } }), /^configuration reads more than 10 files/, { line: 10, column: 1 });
  });

  it("refuses a file over the size limit before reading it", (t) => {
    const dir = directory(t, { "big.conf": `a = "${"x".repeat(2000)}"`, "main.conf": "include big.conf" });
    configError(() => parseConfigFile(join(dir, "big.conf"), { limits: { maxFileSize: 1000 } }), /file is 2006 bytes, more than the limit of 1000/, { line: 0, column: 0 });
    configError(() => parseConfigFile(join(dir, "main.conf"), { limits: { maxFileSize: 1000 } }), /^error parsing include file .*more than the limit/, { line: 1, column: 1 });
    assert.throws(() => parseConfig("a = 1".repeat(100), { limits: { maxFileSize: 10 } }), /larger than the limit of 10 bytes/);
  });

  it("bounds the total size across includes", (t) => {
    const dir = directory(t, { "main.conf": "include a.conf\ninclude b.conf", "a.conf": `a = "${"x".repeat(600)}"`, "b.conf": `b = "${"x".repeat(600)}"` });
    configError(() => parseConfigFile(join(dir, "main.conf"), { limits: { maxTotalSize: 1000 } }), /more than the limit of 3\d\d/, { line: 2, column: 1 });
  });

  it("refuses to read something that is not a regular file", (t) => {
    const dir = directory(t, { "main.conf": `include ${tmpdir()}` });
    configError(() => parseConfigFile(join(dir, "main.conf")), /not a regular file/, { line: 1, column: 1 });
    configError(() => parseConfigFile("/dev/zero"), /not a regular file/, { line: 0, column: 0 });
  });

  it("resolves includes of text without a file against the working directory", (t) => {
    const dir = directory(t, { "inc.conf": "x = 1" });
    assert.deepEqual(toPlain(parseConfig(`include ${join(dir, "inc.conf")}`)), { x: 1 });
    assert.deepEqual(toPlain(parseConfig("include inc.conf", { readFile: (path) => (path === join(process.cwd(), "inc.conf") ? "y = 2" : "") })), { y: 2 });
  });
});

describe("config parser: hostile input", () => {
  it("turns variable fan-out into shared values, not exponential copies", () => {
    const lines = ["v0 = [1, 2]"];
    for (let i = 1; i <= 60; i++) lines.push(`v${i} = [$v${i - 1}, $v${i - 1}]`);
    const started = Date.now();
    const out = toPlain(parseConfig(lines.join("\n"))) as Record<string, unknown[]>;
    assert.ok(Date.now() - started < 2000);
    assert.equal(out["v60"]![0], out["v60"]![1]);
  });

  it("reads a large flat file in linear time", () => {
    const text = Array.from({ length: 50_000 }, (_, i) => `key_${i} = "value ${i}" # comment`).join("\n");
    const started = Date.now();
    assert.equal(parseConfig(text).entries.size, 50_000);
    assert.ok(Date.now() - started < 5000);
  });
});

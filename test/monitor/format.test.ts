/**
 * Go's formatting of monitoring values (monitor.go myUptime, time.Duration.String, RFC 3339
 * times, json.MarshalIndent escaping) and the query decoders' acceptance and error texts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { goDuration, goJson, goJsonIndent, goTime, goUptime, msToNs } from "../../src/monitor/go-format.ts";
import { decodeBool, decodeInt, decodeState, decodeSubs, decodeUint, MonitorRequestError } from "../../src/monitor/query.ts";

test("goUptime prints whole seconds as myUptime does", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [999, "0s"],
    [59_999, "59s"],
    [62_000, "1m2s"],
    [3_600_000, "1h0m0s"],
    [3_723_000, "1h2m3s"],
    [86_400_000, "1d0h0m0s"],
    [90_061_000, "1d1h1m1s"],
    [365 * 86_400_000 + 5_000, "1y0d0h0m5s"],
    [-5, "0s"],
  ];
  for (const [ms, text] of cases) assert.equal(goUptime(ms), text, String(ms));
});

test("goDuration prints as Go's time.Duration.String()", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [1, "1ns"],
    [999, "999ns"],
    [1_000, "1µs"],
    [958_000, "958µs"],
    [1_500, "1.5µs"],
    [1_000_000, "1ms"],
    [10_609_504, "10.609504ms"],
    [1_500_000_000, "1.5s"],
    [60_000_000_000, "1m0s"],
    [90_000_000_000, "1m30s"],
    [3_600_000_000_000, "1h0m0s"],
    [3_723_400_000_000, "1h2m3.4s"],
    [-2_000_000, "-2ms"],
  ];
  for (const [ns, text] of cases) assert.equal(goDuration(ns), text, String(ns));
  assert.equal(msToNs(120_000), 120_000_000_000);
});

test("goTime writes RFC 3339 in UTC with the fraction's trailing zeros dropped", () => {
  assert.equal(goTime(Date.UTC(2026, 0, 2, 3, 4, 5, 0)), "2026-01-02T03:04:05Z");
  assert.equal(goTime(Date.UTC(2026, 0, 2, 3, 4, 5, 120)), "2026-01-02T03:04:05.12Z");
  assert.equal(goTime(Date.UTC(2026, 0, 2, 3, 4, 5, 7)), "2026-01-02T03:04:05.007Z");
});

test("JSON escapes <, > and & as encoding/json does", () => {
  assert.equal(goJson({ a: "<b>&" }), '{"a":"\\u003cb\\u003e\\u0026"}');
  assert.equal(goJsonIndent({ a: [1], b: {} }), '{\n  "a": [\n    1\n  ],\n  "b": {}\n}');
  assert.deepEqual(JSON.parse(goJsonIndent({ s: "x<y" })), { s: "x<y" });
});

test("query decoders accept Go's spellings and reject the rest with its texts", () => {
  const q = (text: string): URLSearchParams => new URLSearchParams(text);
  for (const yes of ["1", "t", "T", "true", "TRUE", "True"]) assert.equal(decodeBool(q(`b=${yes}`), "b"), true, yes);
  for (const no of ["", "0", "f", "F", "false", "FALSE", "False"]) assert.equal(decodeBool(q(`b=${no}`), "b"), false, no);
  assert.equal(decodeBool(q(""), "b"), false);
  assert.throws(() => decodeBool(q("b=yes"), "b"), { message: `Error decoding boolean for 'b': strconv.ParseBool: parsing "yes": invalid syntax` });
  assert.equal(decodeInt(q("n=-4"), "n"), -4);
  assert.equal(decodeInt(q("n=%2B4"), "n"), 4);
  assert.throws(() => decodeInt(q("n=+4"), "n"), MonitorRequestError, "+ in a query is a space, as in Go");
  assert.throws(() => decodeInt(q("n=4.0"), "n"), MonitorRequestError);
  assert.equal(decodeUint(q("n=42"), "n"), 42);
  assert.throws(() => decodeUint(q("n=%2B1"), "n"), { message: `Error decoding uint64 for 'n': strconv.ParseUint: parsing "+1": invalid syntax` });
  assert.equal(decodeState(q("")), "open");
  assert.equal(decodeState(q("state=CLOSED")), "closed");
  assert.equal(decodeState(q("state=any")), "all");
  assert.equal(decodeState(q("state=All")), "all");
  assert.throws(() => decodeState(q("state=x")), { message: "Error decoding state for x" });
  assert.equal(decodeSubs(q("subs=Detail")), "detail");
  assert.equal(decodeSubs(q("subs=1")), true);
  assert.equal(decodeSubs(q("")), false);
});

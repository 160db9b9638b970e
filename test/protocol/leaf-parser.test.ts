/**
 * The leaf parser is the client parser's state machine walked for kind LEAF: every sample is
 * fed whole, one byte at a time and cut at every point in two, and must give the same ops and
 * the same error; the control-line and payload limits hold however the bytes arrive.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LeafParser } from "../../src/protocol/leaf-parser.ts";
import { recorder } from "../helpers/leaf-recorder.ts";
import { ParseError, type ParseErrorCode } from "../../src/protocol/parser-states.ts";

const LIMITS = { maxControlLine: 256, maxPayload: 1024 };

/** The ops and the result of parsing `chunks` in order. */
function run(chunks: Buffer[], limits = LIMITS): { ops: string[]; err: ParseErrorCode } {
  const r = recorder();
  const parser = new LeafParser(r.handler, limits);
  for (const chunk of chunks) {
    const err = parser.parse(chunk);
    if (err !== ParseError.None) return { ops: r.ops, err };
  }
  return { ops: r.ops, err: ParseError.None };
}

/** Whole, byte by byte, and cut in two at every offset: all must agree. */
function parseEveryWay(text: string, limits = LIMITS): { ops: string[]; err: ParseErrorCode } {
  const bytes = Buffer.from(text, "latin1");
  const whole = run([bytes], limits);
  const bytewise = run([...bytes].map((b) => Buffer.from([b])), limits);
  assert.deepEqual(bytewise, whole, "byte at a time");
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.deepEqual(run([bytes.subarray(0, cut), bytes.subarray(cut)], limits), whole, `cut at ${cut}`);
  }
  return whole;
}

describe("leaf parser (kind LEAF of the protocol state machine)", () => {
  it("parses every leaf op the same however the bytes are cut", () => {
    const { ops, err } = parseEveryWay(
      [
        `INFO {"server_id":"N1","leafnode_urls":["127.0.0.1:7422"]} \r\n`,
        `CONNECT {"name":"sp\u00c3\u00a9ke","pass":"x"}\r\n`,
        "PING\r\npong\r\n+ok\r\n",
        "LS+ foo.*\r\nls+\twork  grp 3\r\nLS- foo.*\r\nLS- work grp 3\r\n",
        "LMSG a.b 5\r\nhello\r\n",
        "LMSG a.b _INBOX.1 2\r\nhi\r\n",
        "LMSG a.b + _INBOX.2 q1 q2 3\r\nabc\r\n",
        "LMSG a.b | q1 0\r\n\r\n",
        "HMSG h.x 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
        "hmsg h.x + r q 12 12\r\nNATS/1.0\r\n\r\n\r\n",
        "-ERR 'Loop detected'\r\n",
        "LMSG big 20\r\n0123456789abcdefghij\r\n",
      ].join(""),
    );
    assert.equal(err, ParseError.None);
    assert.deepEqual(ops, [
      'INFO {"server_id":"N1","leafnode_urls":["127.0.0.1:7422"]}',
      'CONNECT {"name":"spéke","pass":"x"}',
      "PING",
      "PONG",
      "+OK",
      "LS+ foo.* - 1",
      "LS+ work grp 3",
      "LS- foo.* -",
      "LS- work grp",
      "MSG a.b r= q=- h=-1 hello",
      "MSG a.b r=_INBOX.1 q=- h=-1 hi",
      "MSG a.b r=_INBOX.2 q=q1,q2 h=-1 abc",
      "MSG a.b r= q=q1 h=-1 ",
      "MSG h.x r= q=- h=12 NATS/1.0\r\n\r\nhi",
      "MSG h.x r=r q=q h=12 NATS/1.0\r\n\r\n",
      "-ERR Loop detected",
      "MSG big r= q=- h=-1 0123456789abcdefghij",
    ]);
  });

  it("keeps the links' leniency: blank lines, blanks before an op, empty INFO/CONNECT/-ERR arguments", () => {
    const { ops, err } = parseEveryWay("\r\n  \r\n\tPING\r\nINFO\r\nCONNECT \r\n-ERR\r\n-ERR  unquoted text  \r\n");
    assert.equal(err, ParseError.None);
    assert.deepEqual(ops, ["PING", "INFO ", "CONNECT ", "-ERR ", "-ERR unquoted text"]);
  });

  it("names queue groups beyond those decoded in place", () => {
    const queues = Array.from({ length: 30 }, (_, i) => `q${i}`);
    const { ops, err } = parseEveryWay(`LMSG many + r ${queues.join(" ")} 1\r\nx\r\nHMSG many | ${queues.join(" ")} 0 1\r\ny\r\n`);
    assert.equal(err, ParseError.None);
    assert.deepEqual(ops, [`MSG many r=r q=${queues.join(",")} h=-1 x`, `MSG many r= q=${queues.join(",")} h=0 y`]);
  });

  it("refuses what a peer may not send, with the same error however it arrives", () => {
    const cases: [string, ParseErrorCode][] = [
      ["PUB foo 1\r\nx\r\n", ParseError.UnknownOperation],
      ["LMSG\r\n", ParseError.UnknownOperation],
      ["LSX foo\r\n", ParseError.UnknownOperation],
      ["LS+foo\r\n", ParseError.UnknownOperation],
      ["LMSG a.b\r\n", ParseError.BadArguments],
      ["LMSG a.b x y 1\r\nx\r\n", ParseError.BadArguments],
      ["LMSG a.b 2\r\nabcd\r\n", ParseError.BadArguments],
      ["LMSG a.b -1\r\n", ParseError.BadArguments],
      ["HMSG a.b 3 2\r\nab\r\n", ParseError.BadArguments],
      ["LS+ a b\r\n", ParseError.BadArguments],
      ["LS+\r\n", ParseError.BadArguments],
      ["LS- a b c d\r\n", ParseError.BadArguments],
      ["LMSG a.b 1025\r\n", ParseError.PayloadTooLarge],
      [`LS+ ${"a".repeat(300)}`, ParseError.ControlLineTooLong],
      [`LS+ ${"a".repeat(300)}\r\n`, ParseError.ControlLineTooLong],
      [`INFO {${"x".repeat(300)}}\r\n`, ParseError.ControlLineTooLong],
    ];
    for (const [text, expected] of cases) assert.equal(parseEveryWay(text).err, expected, JSON.stringify(text));
  });

  it("accepts a control line exactly at the limit, and the ops before an error are handed on", () => {
    const subject = "s".repeat(LIMITS.maxControlLine);
    assert.deepEqual(parseEveryWay(`LS+ ${subject}\r\n`), { ops: [`LS+ ${subject} - 1`], err: ParseError.None });
    assert.deepEqual(parseEveryWay("PING\r\nLS+ ok\r\nNOPE\r\nPING\r\n"), { ops: ["PING", "LS+ ok - 1"], err: ParseError.UnknownOperation });
  });

  it("holds no more than a control line while a newline never comes", () => {
    const parser = new LeafParser(recorder().handler, LIMITS);
    assert.equal(parser.parse(Buffer.from("LS+ ")), ParseError.None);
    let err: ParseErrorCode = ParseError.None;
    let fed = 0;
    while (err === ParseError.None && fed < 10_000) {
      err = parser.parse(Buffer.from("a"));
      fed++;
      assert.ok(parser.bufferedBytes <= LIMITS.maxControlLine + 1);
    }
    assert.equal(err, ParseError.ControlLineTooLong);
    assert.ok(fed <= LIMITS.maxControlLine + 2, `cut after ${fed} bytes`);
  });

  it("stops when the link closes in the middle of a chunk", () => {
    const ops: string[] = [];
    const parser: LeafParser = new LeafParser(
      {
        ...recorder().handler,
        onPing: () => {
          ops.push("PING");
          parser.halt();
        },
        onLeafSub: (s) => void ops.push(`LS+ ${s}`),
      },
      LIMITS,
    );
    assert.equal(parser.parse(Buffer.from("PING\r\nLS+ after\r\n")), ParseError.Halted);
    assert.deepEqual(ops, ["PING"]);
    assert.equal(parser.parse(Buffer.from("LS+ later\r\n")), ParseError.Halted);
  });
});

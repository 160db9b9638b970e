import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ParseError, ProtocolParser, type ParseErrorCode, type ProtocolHandler } from "../../src/protocol/parser.ts";

type Op =
  | ["CONNECT", string]
  | ["PUB", string, string, number, string]
  | ["SUB", string, string | undefined, string]
  | ["UNSUB", string, number]
  | ["PING"]
  | ["PONG"]
  | ["-ERR", string];

class Recorder implements ProtocolHandler {
  ops: Op[] = [];
  onConnect(json: string): void {
    this.ops.push(["CONNECT", json]);
  }
  onPub(subject: string, reply: string, headerSize: number, data: Buffer, start: number, end: number): void {
    this.ops.push(["PUB", subject, reply, headerSize, data.toString("latin1", start, end)]);
  }
  onSub(subject: string, queue: string | undefined, sid: string): void {
    this.ops.push(["SUB", subject, queue, sid]);
  }
  onUnsub(sid: string, max: number): void {
    this.ops.push(["UNSUB", sid, max]);
  }
  onPing(): void {
    this.ops.push(["PING"]);
  }
  onPong(): void {
    this.ops.push(["PONG"]);
  }
  onClientError(text: string): void {
    this.ops.push(["-ERR", text]);
  }
}

interface Outcome {
  ops: Op[];
  error: ParseErrorCode;
}

function parseChunks(chunks: Buffer[], setup?: (p: ProtocolParser) => void, limits = {}): Outcome {
  const rec = new Recorder();
  const parser = new ProtocolParser(rec, limits);
  parser.headers = true;
  setup?.(parser);
  let error: ParseErrorCode = ParseError.None;
  for (const chunk of chunks) {
    error = parser.parse(chunk);
    if (error !== ParseError.None) break;
  }
  return { ops: rec.ops, error };
}

/** Feeds the input whole, one byte at a time, and split at every position; all must agree. */
function parseAllWays(input: string, setup?: (p: ProtocolParser) => void, limits = {}): Outcome {
  const bytes = Buffer.from(input, "latin1");
  const whole = parseChunks([bytes], setup, limits);
  const byByte = parseChunks([...bytes].map((b) => Buffer.from([b])), setup, limits);
  assert.deepEqual(byByte, whole, `byte-at-a-time differs for ${JSON.stringify(input)}`);
  for (let cut = 1; cut < bytes.length; cut++) {
    const split = parseChunks([bytes.subarray(0, cut), bytes.subarray(cut)], setup, limits);
    assert.deepEqual(split, whole, `split at ${cut} differs for ${JSON.stringify(input)}`);
  }
  return whole;
}

describe("protocol parser", () => {
  it("parses each client op", () => {
    const out = parseAllWays(
      'CONNECT {"verbose":false}\r\nPING\r\nPONG\r\nSUB foo 1\r\nSUB foo q 2\r\nUNSUB 1\r\nUNSUB 2 5\r\n' +
        "PUB foo 5\r\nhello\r\nPUB foo bar 0\r\n\r\nHPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n-ERR 'oops'\r\n",
    );
    assert.equal(out.error, ParseError.None);
    assert.deepEqual(out.ops, [
      ["CONNECT", '{"verbose":false}'],
      ["PING"],
      ["PONG"],
      ["SUB", "foo", undefined, "1"],
      ["SUB", "foo", "q", "2"],
      ["UNSUB", "1", -1],
      ["UNSUB", "2", 5],
      ["PUB", "foo", "", -1, "hello"],
      ["PUB", "foo", "bar", -1, ""],
      ["PUB", "foo", "", 12, "NATS/1.0\r\n\r\nhi"],
      ["-ERR", "'oops'"],
    ]);
  });

  it("accepts lower and mixed case ops, tabs and runs of blanks between fields", () => {
    const out = parseAllWays("pub\tfoo  \t reply\t 2\r\nhi\r\nsUb foo\t\tq  9\r\nping\r\nPiNg\r\nhpub a 0 1\r\nx\r\n");
    assert.equal(out.error, ParseError.None);
    assert.deepEqual(out.ops, [
      ["PUB", "foo", "reply", -1, "hi"],
      ["SUB", "foo", "q", "9"],
      ["PING"],
      ["PING"],
      ["PUB", "a", "", 0, "x"],
    ]);
  });

  it("accepts LF-only line endings and a payload containing CRLF", () => {
    const out = parseAllWays("PUB foo 6\n\r\nab\r\n\r\nPING\n");
    assert.deepEqual(out.ops, [["PUB", "foo", "", -1, "\r\nab\r\n"], ["PING"]]);
  });

  it("keeps subject bytes exactly (latin1 round trip of UTF-8 input)", () => {
    const utf8 = Buffer.from("SUB caf\u00e9.\u2603 1\r\n", "utf8");
    const rec = new Recorder();
    const parser = new ProtocolParser(rec);
    assert.equal(parser.parse(utf8), ParseError.None);
    const subject = rec.ops[0]![1] as string;
    assert.deepEqual(Buffer.from(subject, "latin1"), Buffer.from("caf\u00e9.\u2603", "utf8"));
  });

  it("treats anything up to the newline after PING/PONG/+OK as part of the op, as nats-server", () => {
    const out = parseAllWays("PING extra\r\nPONGxyz\r\n+OK whatever\r\nPING\r\n");
    assert.deepEqual(out.ops, [["PING"], ["PONG"], ["PING"]]);
  });

  it("accepts CONNECT without a blank before the JSON and ignores a client's INFO", () => {
    const out = parseAllWays('CONNECT{"a":1}\r\nINFO {"x":1}\r\nPING\r\n');
    assert.deepEqual(out.ops, [["CONNECT", '{"a":1}'], ["PING"]]);
  });

  it("reports an unknown operation after handing on the ops before it", () => {
    for (const bad of ["FOO\r\n", "PUX foo 1\r\n", "PUB\r\n", "MSG foo 1 1\r\nx\r\n", "SUBX\r\n", "+KO\r\n"]) {
      const out = parseAllWays(`PING\r\n${bad}`);
      assert.deepEqual(out.ops, [["PING"]], bad);
      assert.equal(out.error, ParseError.UnknownOperation, bad);
    }
  });

  it("rejects a payload not followed by CRLF", () => {
    const out = parseAllWays("PUB foo 2\r\nhello\r\n");
    assert.equal(out.error, ParseError.UnknownOperation);
    assert.deepEqual(out.ops, []);
  });

  it("reports bad arguments (nats-server closes silently)", () => {
    const cases = [
      "PUB foo\r\n",
      "PUB foo bar baz 1\r\n",
      "PUB foo -1\r\n",
      "PUB foo abc\r\n",
      "PUB foo 1234567890\r\n",
      "HPUB foo 1\r\n",
      "HPUB foo 5 2\r\n",
      "HPUB foo x 2\r\n",
      "SUB foo\r\n",
      "SUB a b c d\r\n",
      "UNSUB\t\r\n",
      "UNSUB 1 2 3\r\n",
    ];
    for (const input of cases) {
      const out = parseAllWays(input);
      assert.equal(out.error, ParseError.BadArguments, input);
      assert.deepEqual(out.ops, [], input);
    }
  });

  it("reads a bad UNSUB max as 'now', as nats-server parseSize does", () => {
    assert.deepEqual(parseAllWays("UNSUB 1 x\r\n").ops, [["UNSUB", "1", -1]]);
  });

  it("refuses HPUB until headers are negotiated", () => {
    const out = parseAllWays("HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n", (p) => {
      p.headers = false;
    });
    assert.equal(out.error, ParseError.HeadersNotSupported);
  });

  it("checks max_payload on the control line, before any payload byte", () => {
    const out = parseChunks([Buffer.from("PUB foo 11\r\n")], undefined, { maxPayload: 10 });
    assert.equal(out.error, ParseError.PayloadTooLarge);
    const ok = parseAllWays("PUB foo 10\r\n0123456789\r\n", undefined, { maxPayload: 10 });
    assert.equal(ok.error, ParseError.None);
    assert.equal(ok.ops.length, 1);
    const hpub = parseChunks([Buffer.from("HPUB foo 5 11\r\n")], undefined, { maxPayload: 10 });
    assert.equal(hpub.error, ParseError.PayloadTooLarge);
  });

  it("limits the control-line argument to max_control_line bytes, whole or split", () => {
    const limit = 64;
    const arg = (n: number): string => `foo ${"x".repeat(n - 6)} 1`; // "foo " + x.. + " 1" = n bytes
    assert.equal(arg(limit).length, limit);
    const atLimit = parseAllWays(`SUB ${arg(limit)}\r\n`, undefined, { maxControlLine: limit });
    assert.equal(atLimit.error, ParseError.None);
    assert.equal(atLimit.ops.length, 1);
    const over = parseAllWays(`SUB ${arg(limit + 1)}\r\n`, undefined, { maxControlLine: limit });
    assert.equal(over.error, ParseError.ControlLineTooLong);
    // A line that never ends is refused once it passes the limit, without buffering more.
    const endless = parseChunks(
      Array.from({ length: 100 }, () => Buffer.from("x".repeat(10))),
      (p) => p.parse(Buffer.from("SUB ")),
      { maxControlLine: limit },
    );
    assert.equal(endless.error, ParseError.ControlLineTooLong);
  });

  it("requires CONNECT first when authentication is on", () => {
    const out = parseChunks([Buffer.from("PING\r\n")], (p) => {
      p.requireConnect = true;
    });
    assert.equal(out.error, ParseError.ConnectRequired);
    const ok = parseChunks([Buffer.from("CONNECT {}\r\n")], (p) => {
      p.requireConnect = true;
    });
    assert.equal(ok.error, ParseError.None);
    assert.deepEqual(ok.ops, [["CONNECT", "{}"]]);
  });

  it("hands a payload that arrived whole as a region of the chunk, and a split one as its own copy", () => {
    const payloads: [Buffer, number, number][] = [];
    const rec = new Recorder();
    rec.onPub = (_s, _r, _h, data, start, end) => void payloads.push([data, start, end]);
    const parser = new ProtocolParser(rec);
    const chunk = Buffer.from("PUB a 3\r\nabc\r\n");
    parser.parse(chunk);
    assert.deepEqual(payloads[0], [chunk, 9, 12]);
    const first = Buffer.from("PUB a 3\r\na");
    parser.parse(first);
    parser.parse(Buffer.from("bc\r\n"));
    const [data, start, end] = payloads[1]!;
    assert.notEqual(data, first);
    assert.equal(data.toString("latin1", start, end), "abc");
  });

  it("stops at once when the handler halts it", () => {
    const rec = new Recorder();
    const parser = new ProtocolParser(rec);
    rec.onPing = () => parser.halt();
    assert.equal(parser.parse(Buffer.from("PING\r\nSUB foo 1\r\n")), ParseError.Halted);
    assert.deepEqual(rec.ops, []);
    assert.equal(parser.parse(Buffer.from("SUB foo 1\r\n")), ParseError.Halted);
  });

  it("never hands out a stale subject when consecutive PUBs differ by a byte", () => {
    const out = parseAllWays("PUB a.b 1\r\nx\r\nPUB a.c 1\r\nx\r\nPUB a.c 1\r\nx\r\nPUB a.cd 1\r\nx\r\nPUB b.c 1\r\nx\r\n");
    assert.deepEqual(
      out.ops.map((op) => op[1]),
      ["a.b", "a.c", "a.c", "a.cd", "b.c"],
    );
    const long = "x".repeat(100);
    const both = parseAllWays(`PUB ${long}.1 1\r\nx\r\nPUB ${long}.2 1\r\nx\r\n`);
    assert.deepEqual(both.ops.map((op) => op[1]), [`${long}.1`, `${long}.2`]);
  });

  it("parses a large pipelined batch of messages", () => {
    const n = 5000;
    const input = Buffer.from("PUB foo.bar 16\r\n0123456789abcdef\r\n".repeat(n));
    let count = 0;
    const rec = new Recorder();
    rec.onPub = () => void count++;
    const parser = new ProtocolParser(rec);
    // Deliberately odd chunk sizes so that boundaries fall everywhere.
    for (let i = 0; i < input.length; i += 997) assert.equal(parser.parse(input.subarray(i, i + 997)), ParseError.None);
    assert.equal(count, n);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CONTROL_TAIL_ROOM,
  encodeError,
  encodeHmsgPrefix,
  encodeInfo,
  encodeMsgPrefix,
  noRespondersFrame,
  writeControlLineTail,
} from "../../src/protocol/encoder.ts";
import { OutboundBuffer } from "../../src/core/outbound-buffer.ts";

function tail(reply: string, hdr: number, total: number): string {
  const buf = Buffer.alloc(reply.length + CONTROL_TAIL_ROOM);
  const end = writeControlLineTail(buf, 0, reply, hdr, total);
  return buf.toString("latin1", 0, end);
}

describe("encoder", () => {
  it("frames INFO with nats-server's trailing space, and -ERR in quotes", () => {
    assert.equal(encodeInfo('{"a":1}').toString(), 'INFO {"a":1} \r\n');
    assert.equal(encodeError("Invalid Subject").toString(), "-ERR 'Invalid Subject'\r\n");
    assert.equal(noRespondersFrame("_INBOX.a.1", "3").toString(), "HMSG _INBOX.a.1 3 16 16\r\nNATS/1.0 503\r\n\r\n\r\n");
  });

  it("writes MSG and HMSG control lines for every size width", () => {
    for (const n of [0, 7, 9, 10, 99, 100, 4096, 65535, 1048576, 999999999]) {
      assert.equal(encodeMsgPrefix("a.b", "1").toString() + tail("", -1, n), `MSG a.b 1 ${n}\r\n`);
      assert.equal(encodeHmsgPrefix("a.b", "1").toString() + tail("r", 12, n), `HMSG a.b 1 r 12 ${n}\r\n`);
    }
  });

  it("queues control lines, small copies and large references in order", () => {
    const out = new OutboundBuffer();
    const big = Buffer.alloc(10_000, 0x61);
    out.appendMessage(encodeMsgPrefix("s", "9"), "inbox.1", -1, Buffer.from("xxabcxx"), 2, 5);
    out.appendMessage(encodeMsgPrefix("s", "9"), "", -1, big, 0, big.length);
    const expected = `MSG s 9 inbox.1 3\r\nabc\r\nMSG s 9 10000\r\n${"a".repeat(10_000)}\r\n`;
    assert.equal(out.queued, expected.length);
    const chunks = out.take();
    assert.equal(chunks.length, 3, "slab, referenced payload, slab");
    assert.equal(chunks[1]!.buffer, big.buffer, "a large payload is not copied");
    assert.equal(Buffer.concat(chunks).toString("latin1"), expected);
    assert.equal(out.queued, 0);
    assert.deepEqual(out.take(), []);
  });

  it("grows past its slab for long control lines without losing bytes", () => {
    const out = new OutboundBuffer();
    let expected = "";
    for (let i = 0; i < 2000; i++) {
      const reply = `_INBOX.${"r".repeat(i % 50)}.${i}`;
      const payload = Buffer.alloc(i % 300, 0x7a);
      out.appendMessage(encodeMsgPrefix(`subj.${i}`, String(i)), reply, -1, payload, 0, payload.length);
      expected += `MSG subj.${i} ${i} ${reply} ${payload.length}\r\n${payload.toString()}\r\n`;
    }
    assert.equal(Buffer.concat(out.take()).toString("latin1"), expected);
  });
});

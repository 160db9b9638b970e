/**
 * What only the memory store does: bodies packed in slabs, moved when a few survivors keep
 * mostly empty slabs alive. Moving must never change a message, nor a view handed out earlier.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStore } from "../../src/jetstream/store/memory-store.ts";
import { UNLIMITED, bytes, text } from "./harness.ts";

function body(seq: number): string {
  return `${seq}:`.padEnd(1000, String.fromCharCode(97 + (seq % 26)));
}

describe("memory store", () => {
  it("keeps every message intact when sparse slabs are compacted", () => {
    const store = new MemoryStore(UNLIMITED);
    const count = 20_000;
    for (let seq = 1; seq <= count; seq++) {
      store.store(`s.${seq % 5}`, seq % 3 === 0 ? bytes(`NATS/1.0\r\nSeq: ${seq}\r\n\r\n`) : undefined, bytes(body(seq)));
    }
    const heldEarly = store.load(40);
    assert.ok(heldEarly);
    // 20 MB stored; deleting 95% leaves ~1 MB spread over every slab, which triggers compaction.
    for (let seq = 1; seq <= count; seq++) if (seq % 20 !== 0) store.remove(seq);
    assert.equal(store.state().messages, count / 20);
    for (let seq = 20; seq <= count; seq += 20) {
      const msg = store.load(seq);
      assert.ok(msg, `seq ${seq}`);
      assert.equal(text(msg.data), body(seq));
      assert.equal(msg.headers === undefined ? undefined : text(msg.headers), seq % 3 === 0 ? `NATS/1.0\r\nSeq: ${seq}\r\n\r\n` : undefined);
    }
    assert.equal(text(heldEarly.data), body(40), "a view taken before the move still reads the same bytes");
    // New messages after a compaction land correctly too.
    const { seq } = store.store("after", bytes("NATS/1.0\r\n\r\n"), bytes("tail"));
    assert.equal(text(store.load(seq)?.data), "tail");
    assert.equal(text(store.load(seq)?.headers), "NATS/1.0\r\n\r\n");
  });

  it("stores empty and large bodies", () => {
    const store = new MemoryStore(UNLIMITED);
    const large = new Uint8Array(3 * 1024 * 1024).fill(7);
    store.store("empty", undefined, new Uint8Array(0));
    store.store("large", undefined, large);
    store.store("hdr-only", bytes("NATS/1.0\r\n\r\n"), new Uint8Array(0));
    assert.equal(store.load(1)?.data.length, 0);
    assert.equal(store.load(2)?.data.length, large.length);
    assert.equal(store.load(2)?.data[large.length - 1], 7);
    assert.equal(text(store.load(3)?.headers), "NATS/1.0\r\n\r\n");
    assert.equal(store.load(3)?.data.length, 0);
  });
});

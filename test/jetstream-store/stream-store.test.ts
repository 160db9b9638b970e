/**
 * The StreamStore contract, run against every store kind (memory and file): sequences, filtered
 * loads, removal, nats-server's purge semantics, limits, pending counts and removal reasons.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { RemovalReason, StoreLimits, StreamStore } from "../../src/jetstream/store/stream-store.ts";
import { fileKind, fileS2Kind } from "./file-kind.ts";
import { type StoreKind, bytes, memoryKind, text, waitFor } from "./harness.ts";

const KINDS: readonly StoreKind[] = [memoryKind, fileKind, fileS2Kind];

for (const kind of KINDS) {
  describe(`${kind.name} store`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    after(async () => {
      for (const cleanup of cleanups) await cleanup();
    });
    async function open(limits?: Partial<StoreLimits>): Promise<StreamStore> {
      const { store, cleanup } = await kind.open(limits);
      cleanups.push(cleanup);
      return store;
    }
    function fill(store: StreamStore, subjects: readonly string[]): void {
      for (const [i, subject] of subjects.entries()) store.store(subject, undefined, bytes(`m${i + 1}`));
    }
    function removals(store: StreamStore): Array<{ seq: number; subject: string; reason: RemovalReason }> {
      const seen: Array<{ seq: number; subject: string; reason: RemovalReason }> = [];
      store.onRemoved((seq, subject, reason) => seen.push({ seq, subject, reason }));
      return seen;
    }

    it("starts empty at sequence 0 like a new nats-server stream", async () => {
      const store = await open();
      assert.deepEqual(store.state(), {
        messages: 0,
        bytes: 0,
        firstSeq: 0,
        firstTimeNs: 0n,
        lastSeq: 0,
        lastTimeNs: 0n,
        numSubjects: 0,
        numDeleted: 0,
      });
      assert.equal(store.load(1), undefined);
      assert.equal(store.loadNext(">", 0), undefined);
      assert.equal(store.loadLast(">"), undefined);
    });

    it("assigns consecutive sequences and loads messages back byte for byte", async () => {
      const store = await open();
      const hdr = bytes("NATS/1.0\r\nA: b\r\n\r\n");
      const first = store.store("a.b", hdr, bytes("one"));
      const second = store.store("a.c", undefined, new Uint8Array(0), 123n);
      assert.equal(first.seq, 1);
      assert.equal(second.seq, 2);
      assert.equal(second.timeNs, 123n);
      assert.ok(first.timeNs > 1_600_000_000_000_000_000n, "a wall-clock time in ns");
      const one = store.load(1);
      assert.ok(one);
      assert.equal(one.subject, "a.b");
      assert.equal(text(one.headers), "NATS/1.0\r\nA: b\r\n\r\n");
      assert.equal(text(one.data), "one");
      assert.equal(one.timeNs, first.timeNs);
      const two = store.load(2);
      assert.equal(two?.headers, undefined);
      assert.equal(two?.data.length, 0);
      const state = store.state();
      assert.equal(state.messages, 2);
      assert.equal(state.firstSeq, 1);
      assert.equal(state.lastSeq, 2);
      assert.equal(state.firstTimeNs, first.timeNs);
      assert.equal(state.lastTimeNs, 123n);
      assert.equal(state.numSubjects, 2);
      assert.equal(state.bytes, kind.messageSize("a.b", hdr, bytes("one")) + kind.messageSize("a.c", undefined, new Uint8Array(0)));
    });

    it("keeps its own copy of the bytes it was given", async () => {
      const store = await open();
      const data = bytes("abc");
      store.store("x", undefined, data);
      data[0] = 0x7a;
      assert.equal(text(store.load(1)?.data), "abc");
    });

    it("loadNext follows literal, wildcard and all-stream filters", async () => {
      const store = await open();
      fill(store, ["a.1", "b.1", "a.2", "b.2", "a.1", "c.x.y"]);
      assert.equal(store.loadNext("a.1", 0)?.seq, 1);
      assert.equal(store.loadNext("a.1", 2)?.seq, 5);
      assert.equal(store.loadNext("a.1", 6), undefined);
      assert.equal(store.loadNext("a.*", 2)?.seq, 3);
      assert.equal(store.loadNext("b.*", 5), undefined);
      assert.equal(store.loadNext("c.>", 1)?.seq, 6);
      assert.equal(store.loadNext("*.2", 4)?.seq, 4);
      assert.equal(store.loadNext(">", 3)?.seq, 3);
      assert.equal(store.loadNext("", 6)?.seq, 6);
      assert.equal(store.loadNext("nope", 1), undefined);
      store.remove(3);
      assert.equal(store.loadNext("a.*", 2)?.seq, 5);
      assert.equal(store.loadNext(">", 3)?.seq, 4);
    });

    it("loadLast finds the newest match, also after the newest is removed", async () => {
      const store = await open();
      fill(store, ["a.1", "b.1", "a.2", "a.1", "b.1"]);
      assert.equal(store.loadLast("a.1")?.seq, 4);
      assert.equal(store.loadLast("a.*")?.seq, 4);
      assert.equal(store.loadLast(">")?.seq, 5);
      assert.equal(store.loadLast("z"), undefined);
      store.remove(4);
      store.remove(5);
      assert.equal(store.loadLast("a.1")?.seq, 1);
      assert.equal(store.loadLast("a.*")?.seq, 3);
      assert.equal(store.loadLast(">")?.seq, 3);
      assert.equal(store.lastSeqForSubject("a.1"), 1);
      assert.equal(store.lastSeqForSubject("b.1"), 2);
      assert.equal(store.lastSeqForSubject("zz"), 0);
    });

    it("removes messages, counts interior deletes and moves the first sequence", async () => {
      const store = await open();
      const seen = removals(store);
      fill(store, ["a", "b", "c", "d"]);
      assert.equal(store.remove(2), true);
      assert.equal(store.remove(2), false);
      assert.equal(store.remove(99), false);
      assert.equal(store.state().numDeleted, 1);
      assert.equal(store.remove(1, "ack"), true);
      let state = store.state();
      assert.equal(state.firstSeq, 3);
      assert.equal(state.messages, 2);
      assert.equal(state.numDeleted, 0);
      assert.equal(state.numSubjects, 2);
      store.remove(4);
      store.remove(3);
      state = store.state();
      assert.equal(state.messages, 0);
      assert.equal(state.bytes, 0);
      assert.equal(state.firstSeq, 5, "an empty store's first is last + 1");
      assert.equal(state.lastSeq, 4);
      assert.equal(state.firstTimeNs, 0n);
      assert.deepEqual(
        seen.map((r) => [r.seq, r.subject, r.reason]),
        [
          [2, "b", "delete"],
          [1, "a", "ack"],
          [4, "d", "delete"],
          [3, "c", "delete"],
        ],
      );
      assert.equal(store.store("e", undefined, bytes("")).seq, 5);
    });

    it("purges everything and keeps the sequence going", async () => {
      const store = await open();
      const seen = removals(store);
      fill(store, ["a", "b", "c"]);
      assert.equal(store.purge(), 3);
      assert.deepEqual(seen.map((r) => r.reason), ["purge", "purge", "purge"]);
      const state = store.state();
      assert.equal(state.messages, 0);
      assert.equal(state.firstSeq, 4);
      assert.equal(state.lastSeq, 3);
      assert.equal(state.numSubjects, 0);
      assert.equal(store.store("d", undefined, bytes("")).seq, 4);
      assert.equal(store.state().firstSeq, 4);
    });

    it("purging a fresh stream moves first to 1 as nats-server does", async () => {
      const store = await open();
      assert.equal(store.purge(), 0);
      assert.equal(store.state().firstSeq, 1);
      assert.equal(store.state().lastSeq, 0);
    });

    it("purges by filter, by sequence, with keep, and filter + keep", async () => {
      const store = await open();
      fill(store, ["a.1", "b.1", "a.2", "b.2", "a.1", "b.1", "a.1"]);
      assert.equal(store.purge({ filter: "b.*" }), 3);
      assert.deepEqual([...store.subjectsState(">")].sort(), [["a.1", 3], ["a.2", 1]]);
      assert.equal(store.purge({ filter: "a.1", keep: 1 }), 2);
      assert.equal(store.loadNext("a.1", 0)?.seq, 7);
      assert.equal(store.purge({ filter: "a.1", keep: 5 }), 0, "keep ≥ count purges nothing");
      assert.equal(store.state().messages, 2);

      const seqStore = await open();
      fill(seqStore, ["x", "y", "x", "y", "x"]);
      assert.equal(seqStore.purge({ seq: 1 }), 0, "seq 1 purges nothing (below 1)");
      assert.equal(seqStore.purge({ seq: 3 }), 2);
      assert.equal(seqStore.state().firstSeq, 3);
      assert.equal(seqStore.purge({ filter: "x", seq: 5 }), 1, "with a filter, only matching below seq");
      assert.deepEqual([3, 4, 5].map((s) => seqStore.load(s)?.seq), [undefined, 4, 5]);

      const keepStore = await open();
      fill(keepStore, ["k.1", "k.2", "k.1", "k.2", "k.3"]);
      assert.equal(keepStore.purge({ keep: 2 }), 3);
      assert.equal(keepStore.state().firstSeq, 4);
      assert.equal(keepStore.purge({ filter: "k.*", keep: 1 }), 1, "keep counts the filter's total, as nats-server");
      assert.equal(keepStore.state().messages, 1);
      assert.equal(keepStore.load(5)?.subject, "k.3");
    });

    it("purging past the end moves both ends so the next message gets that sequence", async () => {
      const store = await open();
      fill(store, ["a", "b"]);
      assert.equal(store.purge({ seq: 10 }), 2);
      assert.equal(store.state().firstSeq, 10);
      assert.equal(store.state().lastSeq, 9);
      assert.equal(store.store("c", undefined, bytes("")).seq, 10);
    });

    it("enforces max_msgs by dropping the oldest", async () => {
      const store = await open({ maxMsgs: 3 });
      const seen = removals(store);
      fill(store, ["a", "b", "c", "d", "e"]);
      const state = store.state();
      assert.equal(state.messages, 3);
      assert.equal(state.firstSeq, 3);
      assert.deepEqual(seen.map((r) => [r.seq, r.reason]), [
        [1, "limits"],
        [2, "limits"],
      ]);
    });

    it("enforces max_bytes with the store's own accounting", async () => {
      const per = kind.messageSize("s", undefined, bytes("0123456789"));
      const store = await open({ maxBytes: per * 2 + 1 });
      for (let i = 0; i < 5; i++) store.store("s", undefined, bytes("0123456789"));
      const state = store.state();
      assert.equal(state.messages, 2);
      assert.equal(state.bytes, per * 2);
      assert.equal(state.firstSeq, 4);
    });

    it("enforces max_msgs_per_subject, dropping the subject's oldest", async () => {
      const store = await open({ maxMsgsPerSubject: 2 });
      const seen = removals(store);
      fill(store, ["a", "b", "a", "a", "b", "a"]);
      assert.deepEqual(seen.map((r) => r.seq), [1, 3]);
      assert.deepEqual([...store.subjectsState(">")].sort(), [["a", 2], ["b", 2]]);
      assert.equal(store.state().numDeleted, 1, "seq 3 is an interior delete");
      assert.equal(store.loadNext("a", 0)?.seq, 4);
    });

    it("expires messages older than max_age on a timer", async () => {
      const store = await open({ maxAgeNs: 150_000_000 });
      const seen = removals(store);
      fill(store, ["a", "b"]);
      await waitFor(() => store.state().messages === 0, "max_age expiry");
      assert.deepEqual(seen.map((r) => [r.seq, r.reason]), [
        [1, "age"],
        [2, "age"],
      ]);
      assert.equal(store.state().firstSeq, 3);
      store.store("c", undefined, bytes(""));
      assert.equal(store.state().messages, 1, "a fresh message stays until it ages");
      await waitFor(() => store.state().messages === 0, "the second expiry");
    });

    it("applies new limits at once on updateLimits", async () => {
      const store = await open();
      const seen = removals(store);
      fill(store, ["a", "a", "a", "b", "b", "c"]);
      store.updateLimits({ maxMsgs: -1, maxBytes: -1, maxAgeNs: 0, maxMsgsPerSubject: 1 });
      assert.deepEqual([...store.subjectsState(">")].sort(), [["a", 1], ["b", 1], ["c", 1]]);
      store.updateLimits({ maxMsgs: 2, maxBytes: -1, maxAgeNs: 0, maxMsgsPerSubject: 1 });
      assert.equal(store.state().messages, 2);
      assert.equal(store.state().firstSeq, 5);
      store.updateLimits({ maxMsgs: -1, maxBytes: -1, maxAgeNs: 1, maxMsgsPerSubject: -1 });
      assert.equal(store.state().messages, 0, "everything is older than 1 ns");
      assert.ok(seen.every((r) => r.reason === "limits" || r.reason === "age"));
      assert.equal(seen.length, 6);
    });

    it("counts pending messages per filter, from a sequence, and last-per-subject", async () => {
      const store = await open();
      fill(store, ["a.1", "b.1", "a.2", "a.1", "b.1", "a.1", "c"]);
      assert.equal(store.numPending(">", 0, false), 7);
      assert.equal(store.numPending("", 3, false), 5);
      assert.equal(store.numPending("a.*", 0, false), 4);
      assert.equal(store.numPending("a.*", 4, false), 2);
      assert.equal(store.numPending("a.1", 2, false), 2);
      assert.equal(store.numPending("a.1", 7, false), 0);
      assert.equal(store.numPending("a.*", 0, true), 2);
      assert.equal(store.numPending(">", 0, true), 4);
      assert.equal(store.numPending(">", 6, true), 2, "only subjects whose newest is at or after 6");
      assert.equal(store.numPending("b.1", 0, true), 1);
      store.remove(6);
      store.remove(2);
      assert.equal(store.numPending("a.1", 2, false), 1);
      assert.equal(store.numPending(">", 2, false), 4);
      assert.equal(store.numPending(">", 6, true), 1);
      assert.equal(store.numPending("a.1", 5, true), 0, "a.1's newest is now 4");
      // Force the scan to walk the lower side of the range as well.
      assert.equal(store.numPending(">", 7, false), 1);
      assert.equal(store.numPending("*.1", 7, false), 0);
      assert.equal(store.numPending("*", 7, false), 1);
    });

    it("reports per-subject counts for a filter", async () => {
      const store = await open();
      fill(store, ["a.1", "a.2", "a.1", "b.1.x"]);
      assert.deepEqual(Object.fromEntries(store.subjectsState("a.*")), { "a.1": 2, "a.2": 1 });
      assert.deepEqual(Object.fromEntries(store.subjectsState("a.1")), { "a.1": 2 });
      assert.deepEqual(Object.fromEntries(store.subjectsState("b.>")), { "b.1.x": 1 });
      assert.equal(store.subjectsState(">").size, 3);
      assert.equal(store.subjectsState("none").size, 0);
    });

    it("skipTo moves the next sequence forward on a new stream", async () => {
      const store = await open();
      store.skipTo(100);
      assert.equal(store.state().firstSeq, 100);
      assert.equal(store.state().lastSeq, 99);
      assert.equal(store.store("a", undefined, bytes("")).seq, 100);
      store.skipTo(50);
      assert.equal(store.store("a", undefined, bytes("")).seq, 101, "skipping backwards is a no-op");
    });

    it("answers quickly across a huge gap in the sequence range", async () => {
      const store = await open();
      fill(store, ["a", "b"]);
      store.skipTo(1_000_000_000);
      store.store("c", undefined, bytes(""));
      assert.equal(store.state().numDeleted, 1_000_000_000 - 3);
      // Each of these would walk a billion sequences if gaps were walked one by one.
      assert.equal(store.loadNext(">", 3)?.seq, 1_000_000_000);
      assert.equal(store.loadNext("c", 0)?.seq, 1_000_000_000);
      assert.equal(store.numPending(">", 3, false), 1);
      assert.equal(store.numPending(">", 999_999_000, false), 1);
      store.remove(1_000_000_000);
      assert.equal(store.loadLast(">")?.seq, 2);
      store.store("d", undefined, bytes(""));
      store.remove(1);
      store.remove(2);
      assert.equal(store.state().firstSeq, 1_000_000_001);
      store.store("e", undefined, bytes(""));
      assert.equal(store.purge({ seq: 1_000_000_002 }), 1);
      assert.equal(store.state().firstSeq, 1_000_000_002);
    });

    it("answers subject queries right after heavy, scattered removals", async () => {
      const store = await open();
      const subjects: string[] = [];
      for (let i = 0; i < 3000; i++) subjects.push(i % 3 === 0 ? "hot" : `cold.${i % 7}`);
      fill(store, subjects);
      // Remove most messages in a scattered order so per-subject bookkeeping must prune and compact.
      for (let k = 0; k < 3000; k++) {
        const seq = ((k * 7919) % 3000) + 1;
        if (seq % 10 !== 0) store.remove(seq);
      }
      const live = (seq: number): boolean => seq % 10 === 0;
      const subjectOf = (seq: number): string => subjects[seq - 1]!;
      for (const from of [1, 2, 1234, 2990, 3000]) {
        const expectedNext = Array.from({ length: 3000 }, (_, i) => i + 1).find((s) => s >= from && live(s) && subjectOf(s) === "hot");
        assert.equal(store.loadNext("hot", from)?.seq, expectedNext, `loadNext hot from ${from}`);
        const expectedCold = Array.from({ length: 3000 }, (_, i) => i + 1).find((s) => s >= from && live(s) && subjectOf(s).startsWith("cold."));
        assert.equal(store.loadNext("cold.*", from)?.seq, expectedCold, `loadNext cold.* from ${from}`);
        let pending = 0;
        for (let s = from; s <= 3000; s++) if (live(s) && subjectOf(s) === "hot") pending++;
        assert.equal(store.numPending("hot", from, false), pending, `numPending hot from ${from}`);
      }
      const hotLive = Array.from({ length: 3000 }, (_, i) => i + 1).filter((s) => live(s) && subjectOf(s) === "hot");
      assert.equal(store.lastSeqForSubject("hot"), hotLive.at(-1));
      assert.equal(store.subjectsState("hot").get("hot"), hotLive.length);
      assert.equal(store.purge({ filter: "hot", keep: 1 }), hotLive.length - 1);
      assert.equal(store.loadNext("hot", 0)?.seq, hotLive.at(-1));
    });

    it("keeps consumer config and state", async () => {
      const store = await open();
      const consumer = store.consumerStore("C1");
      assert.equal(consumer.load(), undefined);
      consumer.saveConfig({ durable_name: "C1", ack_policy: "explicit" });
      const state = {
        delivered: { consumerSeq: 5, streamSeq: 9 },
        ackFloor: { consumerSeq: 3, streamSeq: 7 },
        pending: [{ streamSeq: 8, consumerSeq: 4, timeNs: 1_700_000_000_000_000_123n }],
        redelivered: [{ streamSeq: 8, count: 2 }],
      };
      consumer.save(state);
      assert.deepEqual(consumer.load(), state);
      assert.deepEqual(consumer.loadConfig(), { durable_name: "C1", ack_policy: "explicit" });
      await consumer.delete();
      assert.equal(store.consumerStore("C1").load(), undefined);
    });

    it("does not let a throwing listener break the store", async () => {
      const store = await open({ maxMsgs: 1 });
      const seen: number[] = [];
      store.onRemoved(() => {
        throw new Error("observer bug");
      });
      store.onRemoved((seq) => seen.push(seq));
      const warnings: string[] = [];
      const onWarning = (w: Error): void => void warnings.push(w.message);
      process.on("warning", onWarning);
      try {
        fill(store, ["a", "b", "c"]);
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off("warning", onWarning);
      }
      assert.deepEqual(seen, [1, 2]);
      assert.equal(store.state().messages, 1);
      assert.equal(warnings.filter((w) => w.includes("observer bug")).length, 2, "the bug is reported, not swallowed");
    });
  });
}

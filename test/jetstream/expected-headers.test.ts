/**
 * `Nats-Expected-Last-Subject-Sequence-Subject` (nats-server 2.11, stream.go
 * processJetStreamMsg): the last-subject-sequence check of a publish is made against another
 * subject, wildcards included; alone, without `Nats-Expected-Last-Subject-Sequence`, it is
 * refused with 10193. The scenario is nats.js's `jetstream - last subject sequence subject`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { headers } from "@nats-io/nats-core";
import { StorageType } from "@nats-io/jetstream";
import { startJetStream, TRANSPORTS } from "./stream-helpers.ts";

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`expected last subject sequence of another subject (${transport}, ${storage})`, () => {
      it("checks the last message matching the given filter", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "A", subjects: ["a.>"], max_msgs_per_subject: 1, storage });
        for (const s of ["a.1.foo", "a.1.bar", "a.2.foo", "a.3.bar", "a.1.baz", "a.1.bar", "a.2.baz"]) await h.js.publish(s, s);
        // a.1.* is last at 6 (a.1.bar), a.2.* at 7, a.3.* at 4.
        const pc = (subject: string, filter: string, seq: number) =>
          h.js.publish(subject, "data", { expect: { lastSubjectSequence: seq, lastSubjectSequenceSubject: filter } }).then(
            (pa) => pa.seq,
            (err: Error) => err.message,
          );
        for (const [subject, filter, seq] of [
          ["a.1.foo", "a.1.*", 0],
          ["a.1.xxx", "a.1.*", 1],
          ["a.2.foo", "a.2.*", 1],
          ["a.1.bar", "a.1.*", 5],
        ] as const) {
          assert.match(String(await pc(subject, filter, seq)), /wrong last sequence/, `${subject} ${filter} ${seq}`);
        }
        assert.equal(await pc("a.1.bar", "a.1.*", 6), 8);
        assert.equal(await pc("a.2.new", "a.2.*", 7), 9);
        assert.equal(await pc("a.3.new", "a.3.bar", 4), 10);
        // A filter nothing matches is at 0.
        assert.equal(await pc("a.4.x", "a.4.*", 0), 11);
        assert.match(String(await pc("a.4.y", "a.5.*", 1)), /wrong last sequence: 0/);
        // The raw answer: nats-server's code, and the last sequence found.
        const hd = headers();
        hd.set("Nats-Expected-Last-Subject-Sequence", "3");
        hd.set("Nats-Expected-Last-Subject-Sequence-Subject", "a.1.*");
        const wrong = (await h.nc.request("a.1.foo", "x", { headers: hd, timeout: 2000 })).json<Record<string, unknown>>();
        assert.deepEqual(wrong, { error: { code: 400, err_code: 10071, description: "wrong last sequence: 8" }, stream: "A", seq: 0 });
      });

      it("refuses the subject header without the sequence header (10193)", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "B", subjects: ["b.>"], storage });
        const hd = headers();
        hd.set("Nats-Expected-Last-Subject-Sequence-Subject", "b.*");
        const r = (await h.nc.request("b.1", "x", { headers: hd, timeout: 2000 })).json<Record<string, unknown>>();
        assert.deepEqual(r, { error: { code: 400, err_code: 10193, description: "missing sequence for expected last sequence per subject" }, stream: "B", seq: 0 });
        // Not a subject at all: no message matches it.
        const bad = headers();
        bad.set("Nats-Expected-Last-Subject-Sequence", "0");
        bad.set("Nats-Expected-Last-Subject-Sequence-Subject", "b..x");
        const ok = (await h.nc.request("b.1", "x", { headers: bad, timeout: 2000 })).json<Record<string, unknown>>();
        assert.equal(ok["seq"], 1);
        assert.equal((await h.jsm.streams.info("B")).state.messages, 1);
      });
    });
  }
}

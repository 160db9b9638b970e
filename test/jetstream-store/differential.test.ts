/**
 * Differential test: a seeded random mix of appends, deletes, purges and limit changes applied
 * to a memory store and a file store with tiny segments (so rotation, tombstones, unlinks and
 * rewrites all happen), the file store reopened every so often. After every step both must
 * agree on state and contents; the memory store is the model.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { FileStoreFactory } from "../../src/jetstream/store/file-store-factory.ts";
import { fileStoreMessageSize } from "../../src/jetstream/store/file-store.ts";
import { MemoryStore } from "../../src/jetstream/store/memory-store.ts";
import type { StoreLimits, StreamStore } from "../../src/jetstream/store/stream-store.ts";
import { UNLIMITED, bytes, tempDir, text } from "./harness.ts";

/** mulberry32: small, seedable, good enough to pick operations. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBJECTS = ["a.1", "a.2", "a.3", "b.1", "b.2", "c.x.y", "c.x.z", "d"];
const FILTERS = [">", "a.*", "a.1", "b.>", "c.x.*", "d", "*.1", "zz"];

let temp: { dir: string; remove: () => Promise<void> };
let file: StreamStore | undefined;

beforeEach(async () => {
  temp = await tempDir();
});
afterEach(async () => {
  await file?.close();
  file = undefined;
  await temp.remove();
});

function compare(model: StreamStore, subject: StreamStore, pick: () => number, step: string): void {
  const m = model.state();
  const f = subject.state();
  assert.deepEqual({ ...f, bytes: 0 }, { ...m, bytes: 0 }, `state after ${step}`);
  const filter = FILTERS[Math.floor(pick() * FILTERS.length)]!;
  const from = m.firstSeq + Math.floor(pick() * (m.lastSeq - m.firstSeq + 2));
  assert.equal(subject.loadNext(filter, from)?.seq, model.loadNext(filter, from)?.seq, `loadNext(${filter}, ${from}) after ${step}`);
  assert.equal(subject.loadLast(filter)?.seq, model.loadLast(filter)?.seq, `loadLast(${filter}) after ${step}`);
  assert.equal(subject.numPending(filter, from, false), model.numPending(filter, from, false), `numPending(${filter}, ${from}) after ${step}`);
  assert.equal(subject.numPending(filter, from, true), model.numPending(filter, from, true), `numPending last(${filter}, ${from}) after ${step}`);
  assert.deepEqual(subject.subjectsState(filter), model.subjectsState(filter), `subjectsState(${filter}) after ${step}`);
}

function compareAll(model: StreamStore, subject: StreamStore, step: string): void {
  const { firstSeq, lastSeq } = model.state();
  let bytesExpected = 0;
  for (let seq = firstSeq; seq <= lastSeq; seq++) {
    const a = model.load(seq);
    const b = subject.load(seq);
    assert.equal(b?.subject, a?.subject, `seq ${seq} after ${step}`);
    if (a === undefined || b === undefined) continue;
    assert.equal(text(b.data), text(a.data));
    assert.equal(b.headers === undefined, a.headers === undefined);
    assert.equal(b.timeNs, a.timeNs);
    bytesExpected += fileStoreMessageSize(a.subject, a.headers, a.data);
  }
  assert.equal(subject.state().bytes, bytesExpected, `file store bytes after ${step}`);
}

describe("memory and file stores agree under a random workload", () => {
  for (const seed of [1, 7, 42]) {
    it(`seed ${seed}`, { timeout: 60_000 }, async () => {
      const pick = random(seed);
      const options = { segmentSize: 1024, syncPolicy: "never" as const, consumerSaveDelayMs: 0 };
      const factory = new FileStoreFactory(temp.dir, options);
      let limits: StoreLimits = UNLIMITED;
      const model = new MemoryStore(limits);
      file = await factory.open("D", { name: "D" }, limits);
      let time = 1_700_000_000_000_000_000n;
      for (let step = 0; step < 1500; step++) {
        const roll = pick();
        let label: string;
        if (roll < 0.55) {
          const subject = SUBJECTS[Math.floor(pick() * SUBJECTS.length)]!;
          const headers = pick() < 0.3 ? bytes(`NATS/1.0\r\nK: ${step}\r\n\r\n`) : undefined;
          const data = bytes(`${step}:`.padEnd(Math.floor(pick() * 60), "x"));
          time += 1000n;
          const a = model.store(subject, headers, data, time);
          const b: { seq: number } = file.store(subject, headers, data, time);
          assert.equal(b.seq, a.seq);
          label = `store ${subject}`;
        } else if (roll < 0.85) {
          const { firstSeq, lastSeq } = model.state();
          const seq = firstSeq + Math.floor(pick() * (lastSeq - firstSeq + 1));
          assert.equal(file.remove(seq), model.remove(seq));
          label = `remove ${seq}`;
        } else if (roll < 0.9) {
          const filter = pick() < 0.5 ? FILTERS[Math.floor(pick() * FILTERS.length)]! : undefined;
          const keep = pick() < 0.4 ? Math.floor(pick() * 5) : undefined;
          const { firstSeq, lastSeq } = model.state();
          const seq = keep === undefined && pick() < 0.4 ? firstSeq + Math.floor(pick() * (lastSeq - firstSeq + 3)) : undefined;
          const request = { filter, keep, seq };
          assert.equal(file.purge(request), model.purge(request), `purge ${JSON.stringify(request)}`);
          label = `purge ${JSON.stringify(request)}`;
        } else if (roll < 0.93) {
          limits = {
            maxMsgs: pick() < 0.5 ? -1 : 20 + Math.floor(pick() * 60),
            maxBytes: -1,
            maxAgeNs: 0,
            maxMsgsPerSubject: pick() < 0.5 ? -1 : 1 + Math.floor(pick() * 8),
          };
          model.updateLimits(limits);
          file.updateLimits(limits);
          label = `limits ${JSON.stringify(limits)}`;
        } else if (roll < 0.96) {
          // Let deferred segment rewrites run, then compare everything.
          await new Promise((resolve) => setImmediate(resolve));
          compareAll(model, file, `step ${step}`);
          label = "settle";
        } else {
          await new Promise((resolve) => setImmediate(resolve));
          await file.close();
          // Half the reopens use the checkpoint the close left, half rebuild by scanning (as after a crash).
          const scan = pick() < 0.5;
          if (scan) fs.rmSync(path.join(temp.dir, "jetstream", "D", "msgs", "index.ckp"), { force: true });
          file = await factory.open("D", { name: "D" }, limits);
          compareAll(model, file, `reopen (${scan ? "scan" : "checkpoint"}) at step ${step}`);
          label = "reopen";
        }
        compare(model, file, pick, `step ${step} (${label})`);
      }
      await new Promise((resolve) => setImmediate(resolve));
      await file.close();
      file = await factory.open("D", { name: "D" }, limits);
      compareAll(model, file, "the final reopen");
    });
  }
});

/**
 * What only the file store promises: everything survives a restart (deletions and purges too),
 * torn or corrupt tails are cut without losing complete records, segments rotate and give space
 * back, consumer state persists, recover() lists what is on disk, and a kill -9 loses nothing
 * store() had returned.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { FileStoreFactory } from "../../src/jetstream/store/file-store-factory.ts";
import { FileStore, type FileStoreOptions } from "../../src/jetstream/store/file-store.ts";
import type { StoreLimits, StreamStore } from "../../src/jetstream/store/stream-store.ts";
import { UNLIMITED, bytes, sleep, tempDir, text, waitFor } from "./harness.ts";
import { killWriterAfter } from "./kill-writer.ts";

let temp: { dir: string; remove: () => Promise<void> };
const open: StreamStore[] = [];

beforeEach(async () => {
  temp = await tempDir();
});
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  await temp.remove();
});

const SMALL: FileStoreOptions = { segmentSize: 4096, syncPolicy: "never", consumerSaveDelayMs: 0 };

async function openStore(options: FileStoreOptions = SMALL, limits: Partial<StoreLimits> = {}, name = "S"): Promise<StreamStore> {
  const store = await new FileStoreFactory(temp.dir, options).open(name, { name }, { ...UNLIMITED, ...limits });
  open.push(store);
  return store;
}

async function reopen(store: StreamStore, options: FileStoreOptions = SMALL, limits: Partial<StoreLimits> = {}): Promise<StreamStore> {
  await store.close();
  open.splice(open.indexOf(store), 1);
  return openStore(options, limits);
}

const msgsDir = (name = "S"): string => path.join(temp.dir, "jetstream", name, "msgs");
const segmentFiles = (name = "S"): string[] =>
  fs
    .readdirSync(msgsDir(name))
    .filter((f) => f.endsWith(".seg"))
    .sort((a, b) => parseInt(a) - parseInt(b));
const dirBytes = (name = "S"): number => segmentFiles(name).reduce((sum, f) => sum + fs.statSync(path.join(msgsDir(name), f)).size, 0);
const lastSegment = (name = "S"): string => path.join(msgsDir(name), segmentFiles(name).at(-1)!);
/** A clean close leaves an index checkpoint; tests that damage segments remove it, as a crash would have. */
const forgetCheckpoint = (name = "S"): void => fs.rmSync(path.join(msgsDir(name), "index.ckp"), { force: true });

function fill(store: StreamStore, count: number, subject = (i: number): string => `s.${i % 3}`): void {
  for (let i = 0; i < count; i++) store.store(subject(i), i % 2 === 0 ? bytes(`NATS/1.0\r\nI: ${i}\r\n\r\n`) : undefined, bytes(`payload-${i}`));
}

describe("file store", () => {
  it("recovers messages, headers, times, deletions and sequences after a restart", async () => {
    let store = await openStore();
    fill(store, 30);
    store.remove(5);
    store.remove(1);
    store.purge({ filter: "s.2", keep: 2 });
    const before = store.state();
    const snapshot = Array.from({ length: 30 }, (_, i) => store.load(i + 1));
    store = await reopen(store);
    assert.deepEqual(store.state(), before);
    for (let seq = 1; seq <= 30; seq++) {
      const message = store.load(seq);
      const expected = snapshot[seq - 1];
      assert.equal(message?.subject, expected?.subject, `seq ${seq}`);
      if (expected === undefined) continue;
      assert.equal(text(message?.data), text(expected.data));
      assert.equal(message?.headers === undefined ? undefined : text(message.headers), expected.headers === undefined ? undefined : text(expected.headers));
      assert.equal(message?.timeNs, expected.timeNs);
    }
    assert.deepEqual(store.subjectsState(">"), new Map([["s.0", 9], ["s.1", 9], ["s.2", 2]]));
    assert.equal(store.store("s.9", undefined, bytes("next")).seq, 31);
  });

  it("opens from the checkpoint a clean close leaves, and scans when there is none", async () => {
    let store = await openStore();
    fill(store, 60);
    for (const seq of [3, 17, 18, 40]) store.remove(seq);
    store.purge({ seq: 5 });
    await new Promise((resolve) => setImmediate(resolve));
    const before = store.state();
    const pending = store.numPending("s.1", 0, false);
    store = await reopen(store);
    const direct = store as FileStore;
    assert.equal(direct.recovery.fromCheckpoint, true);
    assert.equal(fs.existsSync(path.join(msgsDir(), "index.ckp")), false, "taken at open, so a crash cannot leave it stale");
    assert.deepEqual(store.state(), before);
    assert.equal(store.numPending("s.1", 0, false), pending);
    assert.equal(text(store.load(60)?.data), "payload-59");
    assert.equal(store.load(17), undefined);
    // Deletes and appends after a checkpointed open must survive a crash (a scan) as well.
    store.remove(41);
    store.store("s.new", undefined, bytes("after"));
    const after = store.state();
    await store.close();
    open.length = 0;
    forgetCheckpoint();
    store = await openStore();
    assert.equal((store as FileStore).recovery.fromCheckpoint, false);
    assert.deepEqual(store.state(), after);
    assert.equal(store.load(41), undefined);
    assert.equal(text(store.load(61)?.data), "after");
  });

  it("ignores a checkpoint that does not match the segments, or is damaged", async () => {
    let store = await openStore();
    fill(store, 10);
    await store.close();
    open.length = 0;
    fs.appendFileSync(lastSegment(), Buffer.alloc(3)); // the files changed after the checkpoint
    store = await openStore();
    assert.equal((store as FileStore).recovery.fromCheckpoint, false);
    assert.equal(store.state().messages, 10);
    await store.close();
    open.length = 0;
    const checkpoint = path.join(msgsDir(), "index.ckp");
    const content = fs.readFileSync(checkpoint);
    content[20] = content[20]! ^ 0xff;
    fs.writeFileSync(checkpoint, content);
    store = await openStore();
    assert.equal((store as FileStore).recovery.fromCheckpoint, false);
    assert.equal(store.state().messages, 10);
  });

  it("reports a record damaged after a clean close instead of throwing, and reads past it", async () => {
    const reported: string[] = [];
    const options = { ...SMALL, segmentSize: 1024 * 1024, reportError: (what: string) => void reported.push(what) };
    let store = await openStore(options);
    for (let i = 1; i <= 4; i++) store.store("d", undefined, bytes(`damage-me-${i}`));
    await store.close();
    open.length = 0;
    const file = lastSegment();
    const content = fs.readFileSync(file);
    const at = content.indexOf(Buffer.from("damage-me-2"));
    content[at] = content[at]! ^ 0x01;
    fs.writeFileSync(file, content); // same size: the checkpoint is still trusted
    store = await openStore(options);
    assert.equal((store as FileStore).recovery.fromCheckpoint, true);
    assert.equal(store.load(2), undefined);
    assert.match(reported.join("\n"), /cannot read seq 2/);
    assert.equal(store.loadNext("d", 2)?.seq, 3, "the damaged message does not hide the next one");
    assert.equal(text(store.load(4)?.data), "damage-me-4");
  });

  it("keeps the sequence after a purge of everything across a restart", async () => {
    let store = await openStore();
    fill(store, 50);
    assert.equal(store.purge(), 50);
    store = await reopen(store);
    const state = store.state();
    assert.equal(state.messages, 0);
    assert.equal(state.firstSeq, 51);
    assert.equal(state.lastSeq, 50);
    assert.equal(store.store("x", undefined, bytes("")).seq, 51);
  });

  it("keeps skipTo and compaction past the end across a restart", async () => {
    let store = await openStore();
    store.skipTo(1000);
    store = await reopen(store);
    assert.equal(store.state().firstSeq, 1000);
    assert.equal(store.store("x", undefined, bytes("")).seq, 1000);
    store.purge({ seq: 5000 });
    store = await reopen(store);
    assert.equal(store.state().lastSeq, 4999);
    assert.equal(store.store("x", undefined, bytes("")).seq, 5000);
  });

  it("cuts a torn tail record and keeps appending with the right sequence", async () => {
    let store = await openStore({ ...SMALL, segmentSize: 1024 * 1024 });
    fill(store, 10);
    await store.close();
    open.length = 0;
    const file = lastSegment();
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 7);
    forgetCheckpoint(); // as after a crash: no clean close left an index
    store = await openStore({ ...SMALL, segmentSize: 1024 * 1024 });
    assert.equal(store.state().messages, 9);
    assert.equal(store.state().lastSeq, 9);
    assert.equal(store.store("after", undefined, bytes("torn")).seq, 10);
    assert.equal(text(store.load(10)?.data), "torn");
    store = await reopen(store, { ...SMALL, segmentSize: 1024 * 1024 });
    assert.equal(store.state().messages, 10);
    assert.equal(store.load(10)?.subject, "after");
  });

  it("recovers every complete record whatever byte a crash cut the tail at", async () => {
    const options = { ...SMALL, segmentSize: 1024 * 1024 };
    const store = await openStore(options);
    for (let i = 1; i <= 6; i++) store.store(`t.${i % 2}`, i % 2 === 0 ? bytes("NATS/1.0\r\nX: y\r\n\r\n") : undefined, bytes(`tail-${i}`));
    store.remove(2); // a tombstone among the last records
    store.store("t.last", undefined, bytes("last"));
    await store.close();
    open.length = 0;
    const file = lastSegment();
    const original = fs.readFileSync(file);
    const { RecordKind, decodeFrame, frameLengthAt } = await import("../../src/jetstream/store/record-codec.ts");
    const records: Array<{ end: number; message?: number; deletes?: number[]; lastSeq?: number }> = [];
    for (let at = 0; at < original.length; ) {
      const length = frameLengthAt(original, at);
      assert.equal(typeof length, "number");
      const record = decodeFrame(original, at, length as number);
      at += length as number;
      if (record.kind === RecordKind.message) records.push({ end: at, message: record.seq });
      else if (record.kind === RecordKind.delete) records.push({ end: at, deletes: record.seqs });
      else records.push({ end: at, lastSeq: record.lastSeq });
    }
    // The tail holds M5, M6, the tombstone for 2 (with a state marker) and M7: cut at every byte of it.
    for (let cut = records[3]!.end; cut <= original.length; cut++) {
      fs.writeFileSync(file, original.subarray(0, cut));
      forgetCheckpoint(); // as after a crash: no clean close left an index
      const reopened = new FileStore(path.join(temp.dir, "jetstream", "S"), UNLIMITED, options);
      try {
        const complete = records.filter((r) => r.end <= cut);
        assert.equal(reopened.recovery.truncatedBytes, cut - complete.at(-1)!.end, `cut at ${cut}`);
        const deleted = new Set(complete.flatMap((r) => r.deletes ?? []));
        const present = complete.flatMap((r) => (r.message !== undefined && !deleted.has(r.message) ? [r.message] : []));
        for (let seq = 1; seq <= 7; seq++) {
          assert.equal(reopened.load(seq) !== undefined, present.includes(seq), `seq ${seq} at cut ${cut}`);
        }
        const highest = Math.max(...complete.map((r) => Math.max(r.message ?? 0, r.lastSeq ?? 0, ...(r.deletes ?? []))));
        assert.equal(reopened.store("again", undefined, bytes("")).seq, highest + 1, `next seq after cut ${cut}`);
      } finally {
        await reopened.close();
      }
    }
  });

  it("drops garbage appended after the last record", async () => {
    let store = await openStore();
    fill(store, 5);
    await store.close();
    open.length = 0;
    fs.appendFileSync(lastSegment(), Buffer.from("this is not a record at all, just noise"));
    forgetCheckpoint(); // as after a crash: no clean close left an index
    store = await openStore();
    assert.equal(store.state().messages, 5);
    assert.equal(store.store("x", undefined, bytes("ok")).seq, 6);
    store = await reopen(store);
    assert.equal(text(store.load(6)?.data), "ok");
    assert.equal(store.state().messages, 6);
  });

  it("drops a last record whose CRC does not match", async () => {
    let store = await openStore({ ...SMALL, segmentSize: 1024 * 1024 });
    fill(store, 4);
    store.store("last", undefined, bytes("final-payload"));
    await store.close();
    open.length = 0;
    const file = lastSegment();
    const content = fs.readFileSync(file);
    const at = content.lastIndexOf(Buffer.from("final-payload"));
    content[at] = content[at]! ^ 0xff;
    fs.writeFileSync(file, content);
    forgetCheckpoint(); // as after a crash: no clean close left an index
    store = await openStore({ ...SMALL, segmentSize: 1024 * 1024 });
    assert.equal(store.state().messages, 4);
    assert.equal(store.load(5), undefined);
    assert.equal(store.loadLast(">")?.seq, 4);
  });

  it("skips a damaged record in the middle of a segment and keeps the rest", async () => {
    const store = await openStore({ ...SMALL, segmentSize: 1024 * 1024 });
    for (let i = 1; i <= 6; i++) store.store(`m.${i}`, undefined, bytes(`body-number-${i}`));
    await store.close();
    open.length = 0;
    const file = lastSegment();
    const content = fs.readFileSync(file);
    const at = content.indexOf(Buffer.from("body-number-3"));
    content[at] = content[at]! ^ 0x01;
    fs.writeFileSync(file, content);
    forgetCheckpoint(); // as after a crash: no clean close left an index
    const direct = new FileStore(path.join(temp.dir, "jetstream", "S"), UNLIMITED, SMALL);
    open.push(direct);
    assert.equal(direct.recovery.skippedRecords, 1);
    assert.equal(direct.recovery.truncatedBytes, 0);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((seq) => direct.load(seq)?.subject),
      ["m.1", "m.2", undefined, "m.4", "m.5", "m.6"],
    );
    assert.equal(direct.state().lastSeq, 6);
    assert.equal(direct.store("m.7", undefined, bytes("")).seq, 7);
  });

  it("writes consumer state saved after the stream store closed, and never after it was destroyed", async () => {
    const options = { ...SMALL, consumerSaveDelayMs: 10_000 };
    let store = await openStore(options);
    const consumer = store.consumerStore("late");
    consumer.saveConfig({ durable_name: "late" });
    await store.close();
    open.length = 0;
    const late = { delivered: { consumerSeq: 2, streamSeq: 2 }, ackFloor: { consumerSeq: 1, streamSeq: 1 }, pending: [], redelivered: [] };
    consumer.save(late);
    store = await openStore(options);
    assert.deepEqual(store.consumerStore("late").load(), late, "written at once, not on a timer nobody will flush");
    const survivor = store.consumerStore("late");
    await store.destroy();
    open.length = 0;
    survivor.save(late);
    survivor.saveConfig({ durable_name: "late" });
    assert.equal(fs.existsSync(path.join(temp.dir, "jetstream", "S")), false, "a destroyed stream's directory stays gone");
  });

  it("rotates segments at the configured size and reads across them", async () => {
    let store = await openStore({ ...SMALL, segmentSize: 2048 });
    fill(store, 200);
    assert.ok(segmentFiles().length >= 5, `expected several segments, got ${segmentFiles().length}`);
    for (const file of segmentFiles()) assert.ok(fs.statSync(path.join(msgsDir(), file)).size <= 2048);
    store = await reopen(store, { ...SMALL, segmentSize: 2048 });
    assert.equal(store.state().messages, 200);
    assert.equal(text(store.load(1)?.data), "payload-0");
    assert.equal(text(store.load(200)?.data), "payload-199");
    assert.equal(store.loadNext("s.1", 100)?.seq, 101);
  });

  it("gives space back: dead segments are unlinked, sparse ones rewritten", async () => {
    let store = await openStore({ ...SMALL, segmentSize: 2048 });
    fill(store, 400);
    const full = dirBytes();
    // Interior deletes: keep every tenth message.
    for (let seq = 1; seq <= 400; seq++) if (seq % 10 !== 0) store.remove(seq);
    await waitFor(() => dirBytes() < full / 3, "sparse segments to be rewritten");
    const sparse = dirBytes();
    assert.equal(store.state().messages, 40);
    assert.equal(text(store.load(390)?.data), "payload-389");
    store = await reopen(store, { ...SMALL, segmentSize: 2048 });
    assert.equal(store.state().messages, 40);
    assert.equal(store.state().numDeleted, 400 - 10 - 40 + 1);
    assert.equal(store.load(11), undefined, "a deleted message stays deleted after a rewrite and a restart");
    assert.equal(text(store.load(20)?.data), "payload-19");
    store.purge();
    assert.ok(dirBytes() < sparse / 4, `purge unlinks the segments (${dirBytes()} bytes left of ${sparse})`);
    store = await reopen(store, { ...SMALL, segmentSize: 2048 });
    assert.equal(store.state().messages, 0);
    assert.equal(store.state().firstSeq, 401);
  });

  it("gives space back under max_msgs as old segments fall off the front", async () => {
    const store = await openStore({ ...SMALL, segmentSize: 2048 }, { maxMsgs: 10 });
    fill(store, 1000);
    assert.ok(segmentFiles().length <= 3, `old segments are unlinked (${segmentFiles().length} left)`);
    assert.equal(store.state().messages, 10);
    assert.equal(store.state().firstSeq, 991);
  });

  it("expires by max_age while closed, at the next open", async () => {
    let store = await openStore(SMALL, { maxAgeNs: 100_000_000 });
    fill(store, 5);
    await store.close();
    open.length = 0;
    await sleep(150);
    store = await openStore(SMALL, { maxAgeNs: 100_000_000 });
    assert.equal(store.state().messages, 0);
    assert.equal(store.state().firstSeq, 6);
  });

  it("persists consumer config and state, coalescing frequent saves", async () => {
    const options = { ...SMALL, consumerSaveDelayMs: 50 };
    let store = await openStore(options);
    const consumer = store.consumerStore("C");
    consumer.saveConfig({ durable_name: "C", deliver_policy: "all" });
    const state = (n: number) => ({
      delivered: { consumerSeq: n, streamSeq: n + 10 },
      ackFloor: { consumerSeq: n - 1, streamSeq: n + 9 },
      pending: [{ streamSeq: n + 10, consumerSeq: n, timeNs: 1_700_000_000_123_456_789n + BigInt(n) }],
      redelivered: [{ streamSeq: n + 10, count: 3 }],
    });
    for (let n = 1; n <= 100; n++) consumer.save(state(n));
    assert.deepEqual(consumer.load(), state(100), "the newest state is readable before it is written");
    const stateFile = path.join(temp.dir, "jetstream", "S", "obj", "C", "o.dat");
    await waitFor(() => fs.existsSync(stateFile), "the coalesced write");
    consumer.save(state(101));
    store = await reopen(store, options);
    const reopened = store.consumerStore("C");
    assert.deepEqual(reopened.load(), state(101), "close writes the last state");
    assert.deepEqual(reopened.loadConfig(), { durable_name: "C", deliver_policy: "all" });
    await reopened.delete();
    assert.equal(fs.existsSync(path.dirname(stateFile)), false);
  });

  it("fails store() on a full disk without claiming the message, and stays usable", { skip: !fs.existsSync("/dev/full") }, async () => {
    const dir = path.join(temp.dir, "full");
    fs.mkdirSync(path.join(dir, "msgs"), { recursive: true });
    // A segment that is /dev/full: every write fails with ENOSPC.
    fs.symlinkSync("/dev/full", path.join(dir, "msgs", "1.seg"));
    const store = new FileStore(dir, UNLIMITED, { ...SMALL, segmentSize: 1024 * 1024 });
    open.push(store);
    assert.throws(() => store.store("a", undefined, bytes("lost")), /ENOSPC/);
    const state = store.state();
    assert.equal(state.messages, 0);
    assert.equal(state.lastSeq, 0, "the sequence was not used up");
    assert.equal(store.load(1), undefined);
    assert.throws(() => store.store("a", undefined, bytes("lost again")), /ENOSPC/);
    assert.equal(store.state().lastSeq, 0);
  });

  it("reports a consumer state write that fails instead of throwing into the ack path", async () => {
    const reported: string[] = [];
    const store = await openStore({ ...SMALL, reportError: (what) => void reported.push(what) });
    const consumer = store.consumerStore("blocked");
    // A plain file where the consumer's directory should be: every write fails.
    fs.mkdirSync(path.join(temp.dir, "jetstream", "S", "obj"), { recursive: true });
    fs.writeFileSync(path.join(temp.dir, "jetstream", "S", "obj", "blocked"), "not a directory");
    const state = { delivered: { consumerSeq: 1, streamSeq: 1 }, ackFloor: { consumerSeq: 0, streamSeq: 0 }, pending: [], redelivered: [] };
    assert.doesNotThrow(() => consumer.save(state));
    assert.match(reported.join("\n"), /writing state failed/);
    assert.deepEqual(consumer.load(), state, "the state is kept for the next try");
  });

  it("recover() lists streams with their config and consumers", async () => {
    const factory = new FileStoreFactory(temp.dir, SMALL);
    assert.deepEqual(await factory.recover(), []);
    const a = await factory.open("A", { name: "A", subjects: ["a.>"] }, UNLIMITED);
    const b = await factory.open("B", { name: "B" }, UNLIMITED);
    open.push(a, b);
    a.consumerStore("c2").saveConfig({ durable_name: "c2" });
    a.consumerStore("c1").saveConfig({ durable_name: "c1" });
    factory.saveConfig("B", { name: "B", max_msgs: 5 });
    fs.mkdirSync(path.join(temp.dir, "jetstream", "half-created"));
    assert.deepEqual(await factory.recover(), [
      {
        name: "A",
        config: { name: "A", subjects: ["a.>"] },
        consumers: [
          { name: "c1", config: { durable_name: "c1" } },
          { name: "c2", config: { durable_name: "c2" } },
        ],
      },
      { name: "B", config: { name: "B", max_msgs: 5 }, consumers: [] },
    ]);
    await b.destroy();
    open.splice(open.indexOf(b), 1);
    assert.deepEqual((await factory.recover()).map((s) => s.name), ["A"]);
  });

  it("refuses stream and consumer names that would leave the store directory", async () => {
    const factory = new FileStoreFactory(temp.dir, SMALL);
    await assert.rejects(factory.open("../evil", {}, UNLIMITED), /invalid stream name/);
    const store = await openStore();
    assert.throws(() => store.consumerStore("a/b"), /invalid consumer name/);
  });

  it("refuses to open a stream directory twice, and can destroy after close", async () => {
    const factory = new FileStoreFactory(temp.dir, SMALL);
    const first = await openStore();
    first.store("a", undefined, bytes("1"));
    await assert.rejects(factory.open("S", { name: "S" }, UNLIMITED), /already open/);
    await first.close();
    open.length = 0;
    const second = await factory.open("S", { name: "S" }, UNLIMITED);
    assert.equal(second.state().messages, 1);
    await second.close();
    await second.destroy();
    assert.equal(fs.existsSync(path.join(temp.dir, "jetstream", "S")), false);
  });

  it("reports background failures to the reporter it was given", async () => {
    const reported: string[] = [];
    const store = await openStore({ ...SMALL, reportError: (what, err) => void reported.push(`${what}: ${String(err)}`) }, { maxMsgs: 1 });
    store.onRemoved(() => {
      throw new Error("listener bug");
    });
    store.store("a", undefined, bytes("1"));
    store.store("b", undefined, bytes("2"));
    assert.equal(reported.length, 1);
    assert.match(reported[0]!, /onRemoved listener threw: Error: listener bug/);
  });

  it("works with sync after every append", async () => {
    let store = await openStore({ segmentSize: 4096, syncPolicy: "always" });
    fill(store, 20);
    store.remove(3);
    await store.flush();
    store = await reopen(store, { segmentSize: 4096, syncPolicy: "always" });
    assert.equal(store.state().messages, 19);
  });

  it("opens a store directly, reporting what recovery cut", async () => {
    const dir = path.join(temp.dir, "direct");
    const store = new FileStore(dir, UNLIMITED, SMALL);
    store.store("a", undefined, bytes("1"));
    await store.close();
    fs.appendFileSync(path.join(dir, "msgs", "1.seg"), Buffer.alloc(10, 1));
    fs.rmSync(path.join(dir, "msgs", "index.ckp")); // as after a crash: no clean close left an index
    fs.writeFileSync(path.join(dir, "msgs", "1.seg.tmp"), "a rewrite that never got renamed");
    const again = new FileStore(dir, UNLIMITED, SMALL);
    open.push(again);
    assert.equal(again.recovery.truncatedBytes, 10);
    assert.equal(again.state().messages, 1);
    assert.deepEqual(fs.readdirSync(path.join(dir, "msgs")), ["1.seg"], "the unfinished rewrite's temp file is cleaned up");
  });

  it("loses nothing store() returned when the process is killed -9", { timeout: 60_000 }, async () => {
    const { acked, signal, stderr } = await killWriterAfter(temp.dir, 3000);
    assert.equal(signal, "SIGKILL", `the writer was killed, not finished: ${stderr}`);
    const store = await openStore({ segmentSize: 64 * 1024 }, {}, "CRASH");
    const state = store.state();
    const highest = acked.at(-1)!;
    assert.ok(state.lastSeq >= highest, `last ${state.lastSeq} < acked ${highest}`);
    for (const seq of acked) assert.ok(store.load(seq) !== undefined, `acked seq ${seq} survived`);
    assert.equal(state.messages, state.lastSeq, "no gaps");
    assert.equal(store.store("after", undefined, bytes("")).seq, state.lastSeq + 1);
  });
});

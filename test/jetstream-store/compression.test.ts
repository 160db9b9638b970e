/**
 * The file store with `compression: "s2"`: sealed segments (and the active one at a clean
 * close) are stored compressed, read back byte for byte, survive a restart (from the index
 * checkpoint and by a full scan), and damage to compressed data loses only what it hit, never
 * throwing into the caller.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { uncompress } from "snappyjs";
import { FileStore, type FileStoreOptions } from "../../src/jetstream/store/file-store.ts";
import type { StoreLimits } from "../../src/jetstream/store/stream-store.ts";
import { UNLIMITED, bytes, tempDir, text, waitFor } from "./harness.ts";
import { killWriterAfter } from "./kill-writer.ts";

let temp: { dir: string; remove: () => Promise<void> };
const open: FileStore[] = [];
const errors: string[] = [];

beforeEach(async () => {
  temp = await tempDir();
  errors.length = 0;
});
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  await temp.remove();
});

const OPTIONS: FileStoreOptions = { segmentSize: 64 * 1024, syncPolicy: "never", consumerSaveDelayMs: 0, reportError: (what) => errors.push(what) };
const S2: StoreLimits = { ...UNLIMITED, compression: "s2" };
const NONE: StoreLimits = { ...UNLIMITED, compression: "none" };
const MAGIC = Buffer.from("NES2");

const streamDir = (name: string): string => path.join(temp.dir, name);
const msgsDir = (name: string): string => path.join(streamDir(name), "msgs");
const segmentFiles = (name: string): string[] =>
  fs
    .readdirSync(msgsDir(name))
    .filter((f) => f.endsWith(".seg"))
    .sort((a, b) => parseInt(a) - parseInt(b))
    .map((f) => path.join(msgsDir(name), f));
const diskBytes = (name: string): number => segmentFiles(name).reduce((sum, f) => sum + fs.statSync(f).size, 0);
const isCompressed = (file: string): boolean => fs.readFileSync(file).subarray(0, 4).equals(MAGIC);

function openStore(name: string, limits: StoreLimits = S2, options: FileStoreOptions = OPTIONS): FileStore {
  const store = new FileStore(streamDir(name), limits, options);
  open.push(store);
  return store;
}

async function closeStore(store: FileStore): Promise<void> {
  await store.close();
  open.splice(open.indexOf(store), 1);
}

/** A JSON event as applications publish them: repeated keys, similar values. */
function event(i: number): Uint8Array {
  return bytes(JSON.stringify({ id: i, user: `user-${i % 97}`, event: i % 3 === 0 ? "click" : "page_view", ts: 1_700_000_000_000 + i * 17, path: `/products/${i % 500}`, amount: (i * 37) % 1000 }));
}

function fill(store: FileStore, count: number): void {
  for (let i = 1; i <= count; i++) store.store(`events.${i % 5}`, i % 4 === 0 ? bytes(`NATS/1.0\r\nI: ${i}\r\n\r\n`) : undefined, event(i));
}

function assertAllBack(store: FileStore, count: number, from = 1): void {
  for (let i = from; i <= count; i++) {
    const msg = store.load(i);
    assert.ok(msg !== undefined, `seq ${i} is there`);
    assert.equal(msg.subject, `events.${i % 5}`);
    assert.deepEqual(Buffer.from(msg.data), Buffer.from(event(i)), `seq ${i} data`);
    assert.equal(text(msg.headers), i % 4 === 0 ? `NATS/1.0\r\nI: ${i}\r\n\r\n` : "<undefined>");
  }
}

describe("file store compression (s2)", () => {
  it("compresses sealed segments in the background and reads them back byte-equal", async () => {
    const store = openStore("S");
    fill(store, 3000);
    await waitFor(() => !store.compressing, "sealing");
    const files = segmentFiles("S");
    assert.ok(files.length > 3, `several segments (${files.length})`);
    // Every segment but the active one is compressed.
    assert.deepEqual(
      files.map((f) => isCompressed(f)),
      files.map((_, i) => i < files.length - 1),
    );
    assertAllBack(store, 3000);
    assert.equal(store.loadNext("events.3", 1)?.seq, 3);
    assert.equal(store.loadLast("events.1")?.seq, 2996);
    assert.deepEqual(errors, []);
  });

  it("takes far less disk than the same messages uncompressed, at rest", async () => {
    const compressed = openStore("C");
    const plain = openStore("P", NONE);
    fill(compressed, 3000);
    fill(plain, 3000);
    await closeStore(compressed);
    await closeStore(plain);
    // At a clean close the active segment is compressed too: all of it is at rest compressed.
    assert.ok(segmentFiles("C").every(isCompressed));
    assert.ok(segmentFiles("P").every((f) => !isCompressed(f)));
    const ratio = diskBytes("C") / diskBytes("P");
    assert.ok(ratio < 0.5, `compressed/uncompressed = ${ratio.toFixed(3)}`);
  });

  it("writes chunks a Snappy (so S2) decoder reads as they are", async () => {
    const store = openStore("S");
    fill(store, 200);
    await closeStore(store);
    const file = fs.readFileSync(segmentFiles("S")[0]!);
    const chunks = file.readUInt32LE(16);
    const headerLength = 20 + chunks * 12 + 4;
    const first = file.subarray(headerLength, headerLength + file.readUInt32LE(24));
    const raw = uncompress(first);
    assert.equal(raw.length, file.readUInt32LE(20));
    assert.equal(raw.readUInt32LE(0) <= raw.length, true);
    assert.ok(raw.includes(Buffer.from("events.1")));
  });

  it("recovers after a restart, from the checkpoint and by a full scan, and appends after the last message", async () => {
    let store = openStore("S");
    fill(store, 2000);
    store.remove(10);
    store.remove(1500);
    await closeStore(store);

    store = openStore("S");
    assert.equal(store.recovery.fromCheckpoint, true);
    assert.equal(store.state().messages, 1998);
    assert.equal(store.load(10), undefined);
    assertAllBack(store, 9);
    assertAllBack(store, 1499, 11);
    assertAllBack(store, 2000, 1501);
    // The active segment a close compressed is expanded to take appends again.
    assert.equal(store.store("events.1", undefined, event(2001)).seq, 2001);
    await closeStore(store);

    fs.rmSync(path.join(msgsDir("S"), "index.ckp"));
    store = openStore("S");
    assert.equal(store.recovery.fromCheckpoint, false);
    assert.equal(store.recovery.damagedChunks, 0);
    assert.equal(store.state().messages, 1999);
    assert.equal(store.state().lastSeq, 2001);
    assert.equal(store.load(1500), undefined);
    assertAllBack(store, 1499, 11);
    assertAllBack(store, 2001, 1501);
    assert.deepEqual(errors, []);
  });

  it("rewrites a compressed segment whose messages were mostly removed, and keeps it compressed", async () => {
    const store = openStore("S");
    fill(store, 3000);
    await waitFor(() => !store.compressing, "sealing");
    const first = segmentFiles("S")[0]!;
    const rawSize = (): number => fs.readFileSync(first).readDoubleLE(8);
    const before = rawSize();
    for (let seq = 2; seq <= 2000; seq++) if (seq % 10 !== 0) store.remove(seq);
    // The rewrite writes the survivors raw, then the sealer compresses them again.
    await waitFor(() => isCompressed(first) && rawSize() < before / 2, "the first segment rewritten and compressed again");
    await waitFor(() => !store.compressing, "sealing after the rewrite");
    assert.ok(segmentFiles("S").slice(0, -1).every(isCompressed));
    for (let seq = 10; seq <= 2000; seq += 10) assert.deepEqual(Buffer.from(store.load(seq)!.data), Buffer.from(event(seq)));
    assertAllBack(store, 3000, 2001);
    assert.deepEqual(errors, []);
  });

  it("never makes incompressible data bigger on disk, and reads it back", async () => {
    const store = openStore("S");
    const plain = openStore("P", NONE);
    const bodies = Array.from({ length: 300 }, () => randomBytes(1000));
    for (const body of bodies) store.store("r", undefined, body);
    for (const body of bodies) plain.store("r", undefined, body);
    await waitFor(() => !store.compressing, "sealing");
    assert.ok(diskBytes("S") <= diskBytes("P"), `${diskBytes("S")} <= ${diskBytes("P")}`);
    for (const [i, body] of bodies.entries()) assert.deepEqual(Buffer.from(store.load(i + 1)!.data), body);
  });

  it("follows an update: s2 compresses the sealed segments already there and those to come; none leaves them readable", async () => {
    const store = openStore("S", NONE);
    fill(store, 1000);
    await waitFor(() => !store.compressing, "sealing");
    assert.ok(segmentFiles("S").length > 2);
    assert.ok(segmentFiles("S").every((f) => !isCompressed(f)));
    store.updateLimits(S2);
    await waitFor(() => !store.compressing, "sealing");
    assert.ok(segmentFiles("S").slice(0, -1).every(isCompressed), "the sealed segments written before the update");
    fill(store, 1000);
    await waitFor(() => !store.compressing, "sealing");
    assert.ok(segmentFiles("S").slice(0, -1).every(isCompressed), "and those sealed after it");
    store.updateLimits(NONE);
    await closeStore(store);
    assert.equal(isCompressed(segmentFiles("S").at(-1)!), false, "with none, close leaves the active segment raw");
    const again = openStore("S", NONE);
    assert.equal(again.state().messages, 2000);
    for (let seq = 1; seq <= 2000; seq++) assert.ok(again.load(seq) !== undefined, `seq ${seq}`);
  });

  it("skips a damaged compressed chunk at recovery, reports it, and keeps running", async () => {
    let store = openStore("S");
    fill(store, 3000);
    await closeStore(store);
    const file = segmentFiles("S")[1]!;
    const content = fs.readFileSync(file);
    const at = content.length - 100; // inside the last chunk's compressed bytes
    content[at] = content[at]! ^ 0xff;
    fs.writeFileSync(file, content);
    fs.rmSync(path.join(msgsDir("S"), "index.ckp"));

    store = openStore("S");
    assert.equal(store.recovery.damagedChunks, 1);
    assert.ok(errors.some((e) => e.includes("damaged compressed chunk")), errors.join("; "));
    const lost = store.state().lastSeq - store.state().messages;
    assert.ok(lost > 0 && lost < 1000, `lost ${lost} messages of one chunk`);
    let missing = 0;
    for (let seq = 1; seq <= 3000; seq++) if (store.load(seq) === undefined) missing++;
    assert.equal(missing, lost);
    assert.equal(store.store("events.1", undefined, event(3001)).seq, 3001);
  });

  it("loses a whole segment whose compressed header is damaged, and keeps the others", async () => {
    let store = openStore("S");
    fill(store, 3000);
    await closeStore(store);
    const file = segmentFiles("S")[0]!;
    const content = fs.readFileSync(file);
    content[9] = content[9]! ^ 0xff; // the raw size: the header CRC no longer holds
    fs.writeFileSync(file, content);
    fs.rmSync(path.join(msgsDir("S"), "index.ckp"));

    store = openStore("S");
    assert.equal(store.recovery.damagedChunks, 1);
    assert.equal(store.load(1), undefined);
    assert.equal(store.state().lastSeq, 3000);
    assert.deepEqual(Buffer.from(store.load(3000)!.data), Buffer.from(event(3000)));
  });

  it("a chunk damaged after a clean close (read through the checkpoint) is a missing message, not an exception", async () => {
    let store = openStore("S");
    fill(store, 3000);
    await closeStore(store);
    const file = segmentFiles("S")[0]!;
    const content = fs.readFileSync(file);
    const at = content.length - 100;
    content[at] = content[at]! ^ 0xff; // same size: the checkpoint still matches
    fs.writeFileSync(file, content);

    store = openStore("S");
    assert.equal(store.recovery.fromCheckpoint, true);
    const results = Array.from({ length: 3000 }, (_, i) => store.load(i + 1));
    const missing = results.filter((m) => m === undefined).length;
    assert.ok(missing > 0 && missing < 1000, `missing ${missing}`);
    assert.ok(errors.some((e) => e.includes("cannot read seq")), errors.join("; "));
  });

  it("loses nothing store() returned when the process is killed, sealing or not", async () => {
    // Past a few 64 KiB segments, so some are sealed (compressed) and one may be in the works.
    const { acked, signal, stderr } = await killWriterAfter(temp.dir, 3000, ["s2"]);
    assert.equal(signal, "SIGKILL", `the writer was killed, not finished: ${stderr}`);
    const dir = path.join(temp.dir, "jetstream", "CRASH");
    const files = segmentFiles(path.join("jetstream", "CRASH"));
    assert.ok(files.some(isCompressed), "some segment was compressed before the kill");
    const store = new FileStore(dir, S2, OPTIONS);
    open.push(store);
    assert.equal(store.recovery.damagedChunks, 0);
    const state = store.state();
    assert.ok(state.lastSeq >= acked.at(-1)!, `last ${state.lastSeq} < acked ${acked.at(-1)}`);
    for (const seq of acked) assert.equal(store.load(seq)?.data.length, 200, `acked seq ${seq} survived`);
    assert.equal(state.messages, state.lastSeq, "no gaps");
    assert.equal(store.store("after", undefined, bytes("")).seq, state.lastSeq + 1);
  });
});

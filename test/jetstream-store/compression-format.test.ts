/**
 * The compressed segment format alone: chunks cut at record boundaries, a header that checks
 * itself, chunks a plain Snappy decoder reads, and damage found by the CRCs rather than by
 * whatever a decoder makes of garbage.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { uncompress } from "snappyjs";
import { encodeMessage } from "../../src/jetstream/store/record-codec.ts";
import {
  CHUNK_TARGET_BYTES,
  FIXED_HEADER_LENGTH,
  assembleCompressedSegment,
  chunkBoundaries,
  compressChunk,
  decompressChunk,
  headerLength,
  isCompressedSegment,
  parseLayout,
} from "../../src/jetstream/store/segment-compression.ts";

function records(count: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 1; i <= count; i++) parts.push(encodeMessage(i, `orders.${i % 7}`, undefined, Buffer.from(JSON.stringify({ order: i, sku: `sku-${i % 40}`, qty: i % 5 })), BigInt(i) * 1000n));
  return Buffer.concat(parts);
}

function seal(raw: Buffer): Buffer {
  const ends = chunkBoundaries(raw);
  const lengths = ends.map((end, i) => end - (i === 0 ? 0 : ends[i - 1]!));
  return assembleCompressedSegment(
    lengths,
    ends.map((end, i) => compressChunk(raw.subarray(i === 0 ? 0 : ends[i - 1]!, end))),
  );
}

describe("compressed segment format", () => {
  it("cuts chunks at record boundaries near the target size and round-trips", () => {
    const raw = records(5000);
    const ends = chunkBoundaries(raw);
    assert.ok(ends.length > 3);
    assert.equal(ends.at(-1), raw.length);
    for (const [i, end] of ends.slice(0, -1).entries()) {
      const start = i === 0 ? 0 : ends[i - 1]!;
      assert.ok(end - start >= CHUNK_TARGET_BYTES && end - start < CHUNK_TARGET_BYTES + 200, `chunk ${i}: ${end - start}`);
    }
    const file = seal(raw);
    assert.ok(isCompressedSegment(file));
    assert.ok(file.length < raw.length / 2, `${file.length} of ${raw.length}`);
    // A reader needs only the fixed part to know how much header to read.
    const header = file.subarray(0, headerLength(file.subarray(0, FIXED_HEADER_LENGTH)));
    const layout = parseLayout(header, file.length);
    assert.ok(layout !== undefined);
    assert.equal(layout.rawSize, raw.length);
    assert.equal(layout.chunks[0]!.fileOffset, header.length);
    const back = Buffer.concat(layout.chunks.map((c) => decompressChunk(c, file.subarray(c.fileOffset, c.fileOffset + c.fileLength))));
    assert.ok(back.equals(raw));
  });

  it("writes chunks that a plain Snappy decoder reads (S2 decoders read Snappy blocks too)", () => {
    const raw = records(100);
    const file = seal(raw);
    const [chunk] = parseLayout(file, file.length)!.chunks;
    assert.ok(chunk !== undefined);
    assert.ok(uncompress(file.subarray(chunk.fileOffset, chunk.fileOffset + chunk.fileLength)).equals(raw.subarray(0, chunk.rawLength)));
  });

  it("never mistakes a raw segment for a compressed one", () => {
    assert.equal(isCompressedSegment(records(1)), false);
    assert.equal(isCompressedSegment(Buffer.alloc(0)), false);
  });

  it("refuses a damaged header and a damaged chunk", () => {
    const file = seal(records(3000));
    const badHeader = Buffer.from(file);
    badHeader[17] = badHeader[17]! ^ 0x01; // the chunk count
    assert.equal(parseLayout(badHeader, badHeader.length), undefined);
    assert.equal(parseLayout(file, file.length - 1), undefined, "a truncated file");
    const layout = parseLayout(file, file.length)!;
    const chunk = layout.chunks[1]!;
    const bytes = Buffer.from(file.subarray(chunk.fileOffset, chunk.fileOffset + chunk.fileLength));
    bytes[10] = bytes[10]! ^ 0x40;
    assert.throws(() => decompressChunk(chunk, bytes), /CRC/);
  });
});

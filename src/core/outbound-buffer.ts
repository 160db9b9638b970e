/**
 * Bytes queued for one connection until the end of the current I/O turn, when they are written
 * in one go. Control lines and small payloads are copied into a slab so a burst of small
 * messages becomes one write; a large payload is queued by reference (no copy), splitting the
 * slab around it. The slab is dropped at each flush and the next one sized from recent
 * traffic, so an idle connection holds no buffer at all.
 */
import { CONTROL_TAIL_ROOM, writeControlLineTail } from "../protocol/encoder.ts";
import type { Payload } from "./subscription.ts";

/** Payloads at or below this size are copied; larger ones are referenced. */
const COPY_THRESHOLD = 4096;
/** Up to this many bytes, a plain loop copies faster than `Buffer#copy`. */
const SMALL_COPY = 64;
const MIN_SLAB = 1024;
const MAX_SLAB = 64 * 1024;
const CR = 13;
const LF = 10;

const EMPTY = Buffer.alloc(0);

export class OutboundBuffer {
  #slab: Buffer = EMPTY;
  /** Start of the slab region not yet handed out. */
  #start = 0;
  #pos = 0;
  #chunks: Buffer[] = [];
  #queued = 0;
  #nextSlabSize = MIN_SLAB;

  /** Bytes queued and not yet taken for writing. */
  get queued(): number {
    return this.#queued;
  }

  /** Queues a whole frame (INFO, PONG, -ERR...). */
  appendBytes(b: Buffer): void {
    this.appendRegion(b, 0, b.length);
  }

  /**
   * Queues `data[start, end)`: copied when small, referenced when large. A string (an
   * in-process publish) is the whole payload, `end` its UTF-8 length: encoded straight into
   * the slab when small, so it never exists as bytes anywhere else.
   */
  appendRegion(data: Payload, start: number, end: number): void {
    const n = end - start;
    if (typeof data === "string") {
      this.#appendString(data, n);
    } else if (n > COPY_THRESHOLD) {
      this.#sealSlab();
      this.#chunks.push(asBuffer(data).subarray(start, end));
    } else {
      this.#reserve(n);
      this.#pos = copyBytes(data, start, end, this.#slab, this.#pos);
    }
    this.#queued += n;
  }

  /**
   * Queues a whole MSG/HMSG frame: the control line (the subscription's cached `prefix`, then
   * the tail written by the encoder), the payload `data[start, end)` (copied when small,
   * referenced when large) and the closing CRLF, with one check for room in the common case.
   */
  appendMessage(prefix: Buffer, reply: string, headerSize: number, data: Payload, start: number, end: number): void {
    const n = end - start;
    const copy = n <= COPY_THRESHOLD && typeof data !== "string";
    this.#reserve(prefix.length + reply.length + CONTROL_TAIL_ROOM + (copy ? n + 2 : 0));
    const slab = this.#slab;
    const begin = this.#pos;
    let pos = copyBytes(prefix, 0, prefix.length, slab, begin);
    pos = writeControlLineTail(slab, pos, reply, headerSize, n);
    if (!copy) {
      this.#pos = pos;
      this.#queued += pos - begin;
      this.appendRegion(data, start, end);
      this.appendCrlf();
      return;
    }
    pos = copyBytes(data as Uint8Array, start, end, slab, pos);
    slab[pos++] = CR;
    slab[pos++] = LF;
    this.#pos = pos;
    this.#queued += pos - begin;
  }

  #appendString(text: string, bytes: number): void {
    if (bytes > COPY_THRESHOLD) {
      this.#sealSlab();
      this.#chunks.push(Buffer.from(text, "utf8"));
    } else {
      this.#reserve(bytes);
      this.#pos += this.#slab.write(text, this.#pos, bytes, "utf8");
    }
    this.#queued += bytes;
  }

  /** Queues the CRLF that ends a payload. */
  appendCrlf(): void {
    this.#reserve(2);
    this.#slab[this.#pos++] = CR;
    this.#slab[this.#pos++] = LF;
    this.#queued += 2;
  }

  /** Hands over everything queued, in order; the buffer is empty afterwards. */
  take(): Buffer[] {
    this.#sealSlab();
    const used = this.#queued;
    this.#nextSlabSize = used >= MAX_SLAB / 2 ? MAX_SLAB : Math.max(MIN_SLAB, used * 2);
    this.#slab = EMPTY;
    this.#start = this.#pos = 0;
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#queued = 0;
    return chunks;
  }

  /** Drops everything queued (the connection is gone). */
  clear(): void {
    this.#slab = EMPTY;
    this.#start = this.#pos = 0;
    this.#chunks = [];
    this.#queued = 0;
  }

  #sealSlab(): void {
    if (this.#pos > this.#start) {
      this.#chunks.push(this.#slab.subarray(this.#start, this.#pos));
      this.#start = this.#pos;
    }
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#slab.length) return;
    this.#sealSlab();
    // Regions already handed out stay valid: the old slab lives on in those views.
    this.#slab = Buffer.allocUnsafe(Math.max(this.#nextSlabSize, n));
    this.#nextSlabSize = Math.min(MAX_SLAB, this.#nextSlabSize * 2);
    this.#start = 0;
    this.#pos = 0;
  }
}

/**
 * Copies `src[start, end)` into `dst` at `pos`; returns the position after it. Buffer#copy
 * costs more in argument checks than a short loop costs in total, so short runs are looped.
 */
function copyBytes(src: Uint8Array, start: number, end: number, dst: Buffer, pos: number): number {
  const n = end - start;
  if (n <= SMALL_COPY) {
    for (let i = 0; i < n; i++) dst[pos + i] = src[start + i]!;
  } else {
    dst.set(src.subarray(start, end), pos);
  }
  return pos + n;
}

/** A Buffer view of `bytes` (the same memory), for the socket writes that take Buffers. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

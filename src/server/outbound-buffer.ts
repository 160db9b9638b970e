/**
 * Bytes queued for one connection until the end of the current I/O turn, when they are written
 * in one go. Control lines and small payloads are copied into a slab so a burst of small
 * messages becomes one write; a large payload is queued by reference (no copy), splitting the
 * slab around it. The slab is dropped at each flush and the next one sized from recent
 * traffic, so an idle connection holds no buffer at all.
 */

/** Payloads at or below this size are copied; larger ones are referenced. */
const COPY_THRESHOLD = 4096;
const MIN_SLAB = 1024;
const MAX_SLAB = 64 * 1024;

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

  appendLatin1(s: string): void {
    // A latin1 string never takes more bytes than it has chars.
    this.#reserve(s.length);
    this.#pos += this.#slab.write(s, this.#pos, "latin1");
    this.#queued += s.length;
  }

  appendBytes(b: Buffer): void {
    const n = b.length;
    if (n > COPY_THRESHOLD) {
      this.#sealSlab();
      this.#chunks.push(b);
    } else {
      this.#reserve(n);
      b.copy(this.#slab, this.#pos);
      this.#pos += n;
    }
    this.#queued += n;
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

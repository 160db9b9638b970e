/**
 * Where the memory store keeps message bodies: packed into large append-only slabs instead of
 * one typed array each. A small typed array costs V8 well over 100 bytes on top of its content;
 * for 16-byte messages that was most of the store's memory.
 *
 * Slabs are never written twice at the same place, so a view handed out by `view()` stays valid
 * (and unchanged) for as long as the caller holds it, even after the body moved or was removed.
 * Space comes back when every body in a slab is gone (the slab is garbage) or, for slabs kept
 * alive by a few bodies, when `compact()` moves those into the current slab.
 */

/** Slabs start small (a store with a handful of messages stays small) and double up to this. */
const SLAB_SIZE = 1024 * 1024;
const FIRST_SLAB_SIZE = 4096;
/** Bodies bigger than this get an allocation of their own (no point packing them). */
const LARGE_BODY = SLAB_SIZE / 8;

export class Slab {
  readonly bytes: Uint8Array;
  /** Bytes handed out so far. */
  used = 0;
  /** Bytes of bodies still stored. */
  live = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
}

/** Where one body is. */
export interface BodyLocation {
  slab: Slab;
  offset: number;
}

export class BodySlabs {
  #current = new Slab(FIRST_SLAB_SIZE);
  /** Slabs with live bodies (and the current one): what the store holds on to. */
  readonly #held = new Set<Slab>([this.#current]);
  #heldBytes = FIRST_SLAB_SIZE;
  #liveBytes = 0;

  /** Copies `headers` then `data` into a slab. */
  write(headers: Uint8Array | undefined, data: Uint8Array): BodyLocation {
    const length = (headers?.length ?? 0) + data.length;
    const location = this.#allocate(length);
    if (headers !== undefined) location.slab.bytes.set(headers, location.offset);
    location.slab.bytes.set(data, location.offset + (headers?.length ?? 0));
    return location;
  }

  view(location: BodyLocation, start: number, end: number): Uint8Array {
    return location.slab.bytes.subarray(location.offset + start, location.offset + end);
  }

  release(location: BodyLocation, length: number): void {
    const slab = location.slab;
    slab.live -= length;
    this.#liveBytes -= length;
    if (slab.live === 0 && slab !== this.#current && this.#held.delete(slab)) this.#heldBytes -= slab.bytes.length;
  }

  /** True when slabs kept alive by a few bodies hold more than twice what is stored (plus slack). */
  get wasteful(): boolean {
    return this.#heldBytes > 2 * this.#liveBytes + 4 * SLAB_SIZE;
  }

  /** Whether a body in this slab should move in a compaction. */
  isSparse(slab: Slab): boolean {
    return slab !== this.#current && slab.live * 2 < slab.used;
  }

  /** Moves a body to the current slab; the caller updates its location with the result. */
  move(location: BodyLocation, length: number): BodyLocation {
    const moved = this.#allocate(length);
    moved.slab.bytes.set(location.slab.bytes.subarray(location.offset, location.offset + length), moved.offset);
    this.release(location, length);
    return moved;
  }

  #allocate(length: number): BodyLocation {
    if (length > LARGE_BODY) {
      const slab = new Slab(length);
      slab.used = length;
      this.#account(slab, length);
      return { slab, offset: 0 };
    }
    if (this.#current.used + length > this.#current.bytes.length) {
      const previous = this.#current;
      this.#current = new Slab(Math.min(SLAB_SIZE, Math.max(previous.bytes.length * 2, length)));
      if (previous.live === 0 && this.#held.delete(previous)) this.#heldBytes -= previous.bytes.length;
      this.#held.add(this.#current);
      this.#heldBytes += this.#current.bytes.length;
    }
    const offset = this.#current.used;
    this.#current.used += length;
    this.#current.live += length;
    this.#liveBytes += length;
    return { slab: this.#current, offset };
  }

  #account(slab: Slab, length: number): void {
    slab.live = length;
    this.#liveBytes += length;
    this.#held.add(slab);
    this.#heldBytes += slab.bytes.length;
  }
}

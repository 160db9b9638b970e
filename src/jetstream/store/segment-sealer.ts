/**
 * Compresses sealed segments of an `s2` stream in the background, as nats-server compresses a
 * message block once it is full (filestore.go, `recompressOnDiskIfNeeded` after a new block).
 * The work is sliced: each turn of the event loop compresses about SLICE_BYTES, so sealing an
 * 8 MiB segment (~40 ms of pure-JS Snappy on one core) never holds the host's loop for long.
 *
 * A segment changes under a slow job only when the log rewrites it; the job then starts over.
 * The file is swapped atomically (Segment.replace), so a crash leaves the raw or the sealed
 * file, both readable.
 */
import { assembleCompressedSegment, chunkBoundaries, compressChunk } from "./segment-compression.ts";
import type { Segment } from "./segment.ts";

/** Raw bytes compressed per event-loop turn (~5 ms). */
const SLICE_BYTES = 1024 * 1024;

interface Job {
  readonly segment: Segment;
  readonly generation: number;
  readonly content: Buffer;
  readonly ends: readonly number[];
  readonly compressed: Buffer[];
}

export interface SealerHost {
  /** Whether `segment` should still be compressed now (in the log, not active, still live, compression on). */
  wanted(segment: Segment): boolean;
  reportError(what: string, err: unknown): void;
}

export class SegmentSealer {
  readonly #host: SealerHost;
  readonly #queue: Segment[] = [];
  /** Segments whose data did not get smaller: not tried again while the store is open. */
  readonly #incompressible = new WeakSet<Segment>();
  #job: Job | undefined;
  #turn: NodeJS.Immediate | undefined;
  #stopped = false;

  constructor(host: SealerHost) {
    this.#host = host;
  }

  /** True while segments wait or one is being compressed (tests wait on it). */
  get busy(): boolean {
    return this.#job !== undefined || this.#queue.length > 0;
  }

  queue(segment: Segment): void {
    if (this.#stopped || segment.compressed || this.#incompressible.has(segment) || this.#queue.includes(segment)) return;
    this.#queue.push(segment);
    this.#schedule();
  }

  /** Compresses `segment` at once (at close: the active segment goes to rest compressed too). */
  sealNow(segment: Segment): void {
    if (segment.compressed || segment.size === 0 || this.#incompressible.has(segment)) return;
    const job = this.#start(segment);
    this.#advance(job, Infinity);
    this.#finish(job);
  }

  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
    this.#job = undefined;
    if (this.#turn !== undefined) clearImmediate(this.#turn);
    this.#turn = undefined;
  }

  #schedule(): void {
    if (this.#turn !== undefined || this.#stopped || !this.busy) return;
    this.#turn = setImmediate(() => {
      this.#turn = undefined;
      try {
        this.#step();
      } catch (err) {
        // Disk full, a read error: the segment stays raw (still readable) and the next one is tried.
        this.#host.reportError(`compressing segment ${this.#job?.segment.path ?? ""} failed`, err);
        this.#job = undefined;
      }
      this.#schedule();
    });
    this.#turn.unref();
  }

  #step(): void {
    let job = this.#job;
    if (job !== undefined && (job.segment.generation !== job.generation || !this.#host.wanted(job.segment))) job = undefined;
    while (job === undefined) {
      const segment = this.#queue.shift();
      if (segment === undefined) {
        this.#job = undefined;
        return;
      }
      if (!segment.compressed && this.#host.wanted(segment)) job = this.#start(segment);
    }
    this.#job = job;
    if (this.#advance(job, SLICE_BYTES)) {
      this.#job = undefined;
      this.#finish(job);
    }
  }

  #start(segment: Segment): Job {
    const content = segment.readAll();
    return { segment, generation: segment.generation, content, ends: chunkBoundaries(content), compressed: [] };
  }

  /** Compresses chunks until about `budget` raw bytes are done; true when the whole segment is. */
  #advance(job: Job, budget: number): boolean {
    let done = 0;
    while (job.compressed.length < job.ends.length && done < budget) {
      const i = job.compressed.length;
      const start = i === 0 ? 0 : job.ends[i - 1]!;
      job.compressed.push(compressChunk(job.content.subarray(start, job.ends[i]!)));
      done += job.ends[i]! - start;
    }
    return job.compressed.length === job.ends.length;
  }

  #finish(job: Job): void {
    if (job.segment.generation !== job.generation) return;
    const rawLengths = job.ends.map((end, i) => end - (i === 0 ? 0 : job.ends[i - 1]!));
    const file = assembleCompressedSegment(rawLengths, job.compressed);
    if (file.length >= job.content.length) {
      this.#incompressible.add(job.segment);
      return;
    }
    job.segment.replace(file);
  }
}

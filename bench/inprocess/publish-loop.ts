/**
 * The timed publish loop shared by the publish → subscriber probes (emit-probe.ts,
 * workload-probe.ts), so every in-process rate is taken the same way: a warm-up window, then
 * several time slices, each giving a rate. The median slice is the figure, so a burst of
 * interference from the rest of the machine moves one slice, not the result.
 */
import { nowNs } from "./protocol.ts";

export interface LoopSizes {
  /** Messages published between two clock reads. */
  batch: number;
  warmupMs: number;
  slices: number;
  sliceMs: number;
}

export interface LoopResult {
  /** Messages published over the warm-up and the slices: what the subscribers must have seen. */
  totalPublished: number;
  /** Messages published per second in each measured slice, ascending. */
  sliceRates: number[];
  /** Messages published and seconds spent over the measured slices (warm-up excluded). */
  published: number;
  seconds: number;
}

/** Publishes in batches of `batch` until `ms` have passed; returns messages published and seconds. */
function timed(publish: () => void, batch: number, ms: number): { published: number; seconds: number } {
  const limitNs = ms * 1e6;
  let published = 0;
  const t0 = nowNs();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) publish();
    published += batch;
    elapsed = nowNs() - t0;
  } while (elapsed < limitNs);
  return { published, seconds: elapsed / 1e9 };
}

export function publishLoop(publish: () => void, sizes: LoopSizes): LoopResult {
  const warm = timed(publish, sizes.batch, sizes.warmupMs);
  const sliceRates: number[] = [];
  let published = 0;
  let seconds = 0;
  for (let i = 0; i < sizes.slices; i++) {
    const slice = timed(publish, sizes.batch, sizes.sliceMs);
    sliceRates.push(slice.published / slice.seconds);
    published += slice.published;
    seconds += slice.seconds;
  }
  sliceRates.sort((a, b) => a - b);
  return { totalPublished: warm.published + published, sliceRates, published, seconds };
}

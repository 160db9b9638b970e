/**
 * What monitoring remembers about one server between requests: the per-path request counts
 * of `/varz` `http_req_stats` and the last CPU sample behind `cpu`. The introspection view is
 * built fresh on each call, so the state is keyed by the server's sublist, which lives exactly
 * as long as the server (a WeakMap, so nothing outlives it).
 */
import type { MonitorView } from "./monitor-view.ts";

export interface MonitorState {
  /** Requests served per path, as nats-server counts them (`/varz`, `/connz`, ...). */
  readonly httpReqStats: Map<string, number>;
  /** Process CPU time (µs, user + system) and wall time (ms) when `cpu` was last computed. */
  cpuSample: { cpuMicros: number; wallMs: number; percent: number } | undefined;
}

const states = new WeakMap<object, MonitorState>();

/** The state kept for the server behind `view`. */
export function monitorState(view: MonitorView): MonitorState {
  let state = states.get(view.sublist);
  if (state === undefined) {
    state = { httpReqStats: new Map(), cpuSample: undefined };
    states.set(view.sublist, state);
  }
  return state;
}

/** Counts one request to `path` (nats-server `httpReqStats[path]++`). */
export function countRequest(view: MonitorView, path: string): void {
  const stats = monitorState(view).httpReqStats;
  stats.set(path, (stats.get(path) ?? 0) + 1);
}

/** Below this interval the previous CPU figure is reused, so that bursts of requests agree. */
const MIN_CPU_SAMPLE_MS = 500;

/**
 * Process CPU use in percent of one core, over the time since the previous sample (nats-server
 * samples `pcpu` periodically, pse_linux.go); over the process lifetime for the first sample.
 * Rounded to one decimal, as `ps` shows it.
 */
export function cpuPercent(view: MonitorView): number {
  const state = monitorState(view);
  const usage = process.cpuUsage();
  const cpuMicros = usage.user + usage.system;
  const wallMs = Date.now();
  const previous = state.cpuSample;
  if (previous !== undefined && wallMs - previous.wallMs < MIN_CPU_SAMPLE_MS) return previous.percent;
  const sinceMs = previous?.wallMs ?? wallMs - process.uptime() * 1000;
  const usedMicros = cpuMicros - (previous?.cpuMicros ?? 0);
  const elapsedMicros = Math.max(1, (wallMs - sinceMs) * 1000);
  const percent = Math.round((usedMicros / elapsedMicros) * 1000) / 10;
  state.cpuSample = { cpuMicros, wallMs, percent };
  return percent;
}

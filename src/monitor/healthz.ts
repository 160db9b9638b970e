/**
 * `/healthz` (monitor.go `HealthStatus`, `healthz`): `{"status":"ok"}` while the server serves.
 * nats-server's further checks are all JetStream ones, and there is no JetStream here yet.
 */
import type { MonitorView } from "./monitor-view.ts";

/** The `/healthz` document. */
export interface HealthStatus {
  /** `ok`, or `error` / `unavailable` with `error` saying why. */
  status: "ok" | "error" | "unavailable";
  error?: string;
}

/** The query flags nats-server 2.10 accepts on `/healthz`; all concern JetStream. */
export const HEALTHZ_FLAGS = ["js-enabled", "js-enabled-only", "js-server-only", "details"] as const;

/** Health of the server behind `view`. */
export function healthz(_view: MonitorView): HealthStatus {
  // Reaching the view at all means the server object is alive and its monitor is serving;
  // nats-server's remaining checks (readiness of listeners, JetStream) do not apply.
  return { status: "ok" };
}

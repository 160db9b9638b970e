/**
 * The monitoring HTTP listener (issue 4): nats-server's `/varz`, `/connz`, `/subsz`,
 * `/healthz`, Prometheus `/metrics` and the dashboard at `/`.
 */
import type { Listener, ListenAddress } from "../server/listener.ts";
import type { ServerIntrospection } from "../server/introspection.ts";

export async function startMonitorServer(_source: () => ServerIntrospection, _address: ListenAddress): Promise<Listener> {
  throw new Error("the monitoring listener is not implemented yet");
}

/**
 * What monitoring reads of a server: its introspection view, less the live tail's `tap`, which
 * only `/tail` uses (and which a view may lack: the tail then answers 501).
 */
import type { ServerIntrospection } from "./introspection.ts";
import type { Tap, TapOptions } from "../direct/public-types.ts";

/** The read-only server state the endpoints are computed from. */
export type MonitorView = Omit<ServerIntrospection, "tap">;

/** A view that may also tap the bus, for the live tail. */
export type TailSource = MonitorView & {
  tap?: ((subject: string, options?: TapOptions) => Tap) | undefined;
};

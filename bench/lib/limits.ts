/**
 * Open-file limits for the idle-connections scenario. Each idle client costs one descriptor
 * in the coordinator and one in the server, so the count is capped by the smaller limit
 * (minus headroom for everything else), and the cap is reported rather than hit as EMFILE.
 */
import { execFileSync } from "node:child_process";
import { openFilesLimit } from "./proc-stats.ts";
import { wrappedCommand } from "./server-process.ts";

/** What servers are asked for; root may raise the hard limit, others keep what they have. */
export const SERVER_NOFILE = 65_536;
const HEADROOM = 256;

/** The open-files limit a server started by {@link wrappedCommand} actually gets. */
function serverLimit(): number {
  const [file, ...args] = wrappedCommand(["bash", "-c", "ulimit -n"], SERVER_NOFILE);
  const text = execFileSync(file!, args, { encoding: "utf8" }).trim();
  return text === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(text);
}

export interface IdleCap {
  connections: number;
  /** Set when the wanted count had to be reduced. */
  note: string | undefined;
}

export function capIdleConnections(wanted: number): IdleCap {
  const own = openFilesLimit("self");
  const server = serverLimit();
  const cap = Math.min(own, server) - HEADROOM;
  if (wanted <= cap) return { connections: wanted, note: undefined };
  const connections = Math.max(100, Math.floor(cap / 100) * 100);
  return {
    connections,
    note: `idle connections reduced from ${wanted} to ${connections}: open-files limit ${own} (coordinator) / ${server} (server)`,
  };
}

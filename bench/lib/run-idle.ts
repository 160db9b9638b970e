/**
 * Idle connections: the coordinator itself opens N raw connections (CONNECT + PING, wait for
 * PONG) in batches, holds them long enough for the server's first keepalive PING, and reads
 * the server's resident memory. What it shows is the per-connection cost of each broker:
 * buffers, timers, per-client objects.
 */
import net from "node:net";
import { connectFrame } from "../load/frames.ts";
import { memoryUsage } from "./proc-stats.ts";
import { remaining, type Measurement, type RunContext, type Scenario } from "./scenario.ts";

export interface IdleSpec {
  connections: number;
  /** Connections opened concurrently; kept under the listen backlog (Node's default is 511). */
  batch: number;
  /** Time to hold all connections open before reading memory. */
  holdMs: number;
}

const MIB = 1024;

export function idleScenario(spec: IdleSpec): Scenario {
  return {
    id: "idle-conns",
    title: `${spec.connections.toLocaleString("en-US")} idle connections`,
    description: `${spec.connections.toLocaleString("en-US")} raw TCP clients (CONNECT + PING/PONG), opened ${spec.batch} at a time, held ${spec.holdMs} ms; server RSS from /proc.`,
    metrics: [
      { key: "peakRssMiB", label: "server peak RSS", unit: "MiB", better: "lower" },
      { key: "kibPerConn", label: "RSS per connection", unit: "KiB", better: "lower" },
    ],
    run: (ctx) => runIdle(spec, ctx),
  };
}

async function runIdle(spec: IdleSpec, ctx: RunContext): Promise<Measurement> {
  const { pid, port } = ctx.server;
  const before = memoryUsage(pid);
  const sockets: net.Socket[] = [];
  let dropped = 0;
  const onDropped = (): void => {
    dropped++;
  };
  try {
    const t0 = Date.now();
    for (let opened = 0; opened < spec.connections; opened += spec.batch) {
      const n = Math.min(spec.batch, spec.connections - opened);
      const batch = await Promise.all(Array.from({ length: n }, () => openIdle(port, remaining(ctx))));
      for (const s of batch) {
        s.once("close", onDropped);
        sockets.push(s);
      }
    }
    const connectSeconds = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, Math.min(spec.holdMs, remaining(ctx))));
    if (dropped > 0) throw new Error(`${dropped} of ${spec.connections} idle connections were closed by the server`);
    const after = memoryUsage(pid);
    return {
      metrics: { peakRssMiB: after.peakRssKiB / MIB, kibPerConn: (after.rssKiB - before.rssKiB) / spec.connections },
      details: { connectSeconds, rssBeforeMiB: before.rssKiB / MIB, rssAfterMiB: after.rssKiB / MIB, connections: spec.connections },
    };
  } finally {
    for (const s of sockets) {
      s.off("close", onDropped);
      s.destroy();
    }
  }
}

/** One idle client: resolves once the server answered the first PING; answers its PINGs afterwards. */
function openIdle(port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let text = "";
    let ready = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("idle connection: no PONG in time"));
    }, timeoutMs);
    socket.on("connect", () => socket.write(`${connectFrame("bench-idle")}PING\r\n`));
    socket.on("data", (chunk: Buffer) => {
      if (ready) {
        // Keepalive: a server PING left unanswered would end as a stale connection.
        if (chunk.includes("PING")) socket.write("PONG\r\n");
        return;
      }
      text += chunk.toString("latin1");
      if (text.includes("PONG\r\n")) {
        ready = true;
        text = "";
        clearTimeout(timer);
        resolve(socket);
      }
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`idle connection: ${err.message}`));
    });
  });
}

/**
 * Message rate across a leaf node link: our broker as the leaf of a nats-server hub, against a
 * nats-server leaf of the same hub, on the same setup.
 *
 *   node --import tsx bench/leafnode.bench.ts [--messages 200000] [--size 128] [--runs 3]
 *
 * Each run starts a fresh hub (nats-server) and a fresh leaf process — ours through its CLI
 * with a `leafnodes { remotes }` config file, or nats-server with the same file — and the two
 * leaf kinds alternate which goes first. A publisher (official client) on one side sends the
 * messages as fast as it can; a subscriber on the other side counts them. The rate is
 * messages over the time from the first publish to the last message received, both ways
 * (hub → leaf, leaf → hub). The median of the runs is printed; `--json <file>` writes them all.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { SERVER_NOFILE } from "./lib/limits.ts";
import { startServer, type ServerHandle, type ServerKind } from "./lib/server-process.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

type LeafKind = ServerKind;

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const a = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof a === "object" && a !== null ? a.port : 0;
}

/** Starts a server with a configuration file, through the main benchmark's launcher. */
async function start(kind: LeafKind, dir: string, config: string): Promise<ServerHandle> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, config);
  return startServer(kind, { root: ROOT, nofile: SERVER_NOFILE, extraArgs: ["-c", file], fromSource: true });
}

async function waitFor(predicate: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Publishes `n` messages on `pub` and resolves with msgs/s once `sub`'s side received them all. */
async function rate(pub: NatsConnection, sub: NatsConnection, subject: string, n: number, size: number): Promise<number> {
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const s = sub.subscribe(subject, {
    callback: () => {
      if (++received === n) done();
    },
  });
  await sub.flush();
  // Interest must reach the other side: probe until one message crosses.
  const probe = `${subject}.probe`;
  let probed = false;
  const p = sub.subscribe(probe, { callback: () => void (probed = true) });
  await sub.flush();
  await waitFor(async () => {
    pub.publish(probe, "");
    await pub.flush();
    await new Promise((r) => setTimeout(r, 10));
    return probed;
  }, "interest across the link");
  p.unsubscribe();
  const payload = new Uint8Array(size);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    pub.publish(subject, payload);
    // Let the client's outbound buffer drain now and then, as a steady producer would.
    if (i % 5000 === 4999) await pub.flush();
  }
  await pub.flush();
  await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${received}/${n} received`)), 60_000))]);
  const seconds = (performance.now() - t0) / 1000;
  s.unsubscribe();
  return n / seconds;
}

async function runOnce(kind: LeafKind, dir: string, n: number, size: number): Promise<{ hubToLeaf: number; leafToHub: number }> {
  const leafPort = await freePort();
  const hub = await start("nats-server", dir, `leafnodes { listen: 127.0.0.1:${leafPort} }\n`);
  const leafConfig = `leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }\n`;
  const leaf = await start(kind, dir, leafConfig);
  const onHub = await connect({ servers: `127.0.0.1:${hub.port}`, reconnect: false });
  const onLeaf = await connect({ servers: `127.0.0.1:${leaf.port}`, reconnect: false });
  try {
    const hubToLeaf = await rate(onHub, onLeaf, "bench.down", n, size);
    const leafToHub = await rate(onLeaf, onHub, "bench.up", n, size);
    return { hubToLeaf, leafToHub };
  } finally {
    await onHub.close();
    await onLeaf.close();
    await leaf.stop();
    await hub.stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { messages: { type: "string", default: "200000" }, size: { type: "string", default: "128" }, runs: { type: "string", default: "3" }, json: { type: "string" } },
  });
  const n = Number(values.messages);
  const size = Number(values.size);
  const runs = Number(values.runs);
  const dir = mkdtempSync(join(tmpdir(), "leaf-bench-"));
  const results: Record<LeafKind, { hubToLeaf: number; leafToHub: number }[]> = { "nats-embedded": [], "nats-server": [] };
  try {
    for (let r = 0; r < runs; r++) {
      const order: LeafKind[] = r % 2 === 0 ? ["nats-embedded", "nats-server"] : ["nats-server", "nats-embedded"];
      for (const kind of order) {
        const result = await runOnce(kind, dir, n, size);
        results[kind].push(result);
        console.error(`run ${r + 1} ${kind}: hub→leaf ${Math.round(result.hubToLeaf)} msg/s, leaf→hub ${Math.round(result.leafToHub)} msg/s`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\n${n} messages of ${size} B, median of ${runs} runs (msgs/s)\n`);
  console.log("| leaf | hub → leaf | leaf → hub |");
  console.log("| --- | ---: | ---: |");
  for (const kind of ["nats-embedded", "nats-server"] as const) {
    const rs = results[kind];
    console.log(`| ${kind} | ${Math.round(median(rs.map((x) => x.hubToLeaf))).toLocaleString("en")} | ${Math.round(median(rs.map((x) => x.leafToHub))).toLocaleString("en")} |`);
  }
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ messages: n, size, runs, node: process.version, results }, null, 2)}\n`);
}

await main();

/**
 * Start-up for a test as the first test of a run pays it: a fresh plain Node process
 * (fresh-process.ts), timed from before the first import to the first reply.
 *
 *   in-process   `import("nats-embedded")`, `createServer()`, `server.connect()` (which loads
 *                the official client), an echo subscriber, the first `nc.request()`
 *   nats-server  `import("@nats-io/transport-node")`, spawn `nats-server -a 127.0.0.1 -p -1`,
 *                wait for its ready line (the same text and pattern as nats-server.ts), connect
 *                over loopback TCP, an echo subscriber, the first `nc.request()`
 *
 * Both report the time from before the import to the reply, the time since their process
 * started, and their RSS at the reply; stopping the server is after the report.
 */
import { natsServerBinary } from "../lib/server-process.ts";
import { reportLine, runFresh } from "./fresh-process.ts";
import { LISTEN_RE, READY_TEXT } from "./nats-server.ts";
import type { StartupContender } from "./protocol.ts";

const SUBJECT = "bench.startup";
const TIMEOUT_MS = 5_000;

/** Echo responder, first request, the payload checked, then the report: the same in both programs. */
function roundTripAndReport(payloadSize: number): string {
  return [
    `nc.subscribe(${JSON.stringify(SUBJECT)}, { callback: (_err, msg) => void msg.respond(msg.data) });`,
    `const reply = await nc.request(${JSON.stringify(SUBJECT)}, new Uint8Array(${payloadSize}).fill(120), { timeout: ${TIMEOUT_MS} });`,
    "const t1 = performance.now();",
    `if (reply.data.length !== ${payloadSize}) throw new Error("reply of " + reply.data.length + " bytes");`,
    "const rss = process.memoryUsage().rss;",
  ].join("\n");
}

function inProcessProgram(payloadSize: number): string {
  return [
    "const t0 = performance.now();",
    'const { createServer } = await import("nats-embedded");',
    "const server = createServer();",
    "const nc = await server.connect();",
    roundTripAndReport(payloadSize),
    reportLine("{ ms: t1 - t0, atMs: t1, rss }"),
  ].join("\n");
}

function natsServerProgram(payloadSize: number): string {
  return [
    "const t0 = performance.now();",
    'const { connect } = await import("@nats-io/transport-node");',
    'const { spawn } = await import("node:child_process");',
    `const child = spawn(${JSON.stringify(natsServerBinary())}, ["-a", "127.0.0.1", "-p", "-1"], { stdio: ["ignore", "ignore", "pipe"] });`,
    'process.on("exit", () => child.kill("SIGKILL"));',
    "const port = await new Promise((resolve, reject) => {",
    '  let log = "";',
    `  const timer = setTimeout(() => reject(new Error("nats-server not ready: " + log)), ${TIMEOUT_MS});`,
    '  child.once("exit", () => reject(new Error("nats-server exited: " + log)));',
    '  child.stderr.on("data", (chunk) => {',
    "    log += chunk;",
    `    const m = new RegExp(${JSON.stringify(LISTEN_RE.source)}).exec(log);`,
    `    if (m !== null && log.includes(${JSON.stringify(READY_TEXT)})) { clearTimeout(timer); resolve(Number(m[1])); }`,
    "  });",
    "});",
    "const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });",
    roundTripAndReport(payloadSize),
    reportLine("{ ms: t1 - t0, atMs: t1, rss }"),
  ].join("\n");
}

/** One fresh process of `contender`: milliseconds from before the import to the reply, and more. */
export function freshStartup(root: string, contender: StartupContender, payloadSize: number): Promise<Record<string, number>> {
  return runFresh(root, contender === "in-process" ? inProcessProgram(payloadSize) : natsServerProgram(payloadSize));
}

/**
 * Starts the two brokers under test the same way: a fresh process on a random 127.0.0.1
 * port, its port learnt from the nats-server-style "Listening for client connections" line.
 *
 * Both are started through `bash -c 'ulimit -n …; exec …'` so the idle-connections scenario
 * is not capped by the default open-files limit, then `setpriv --pdeathsig KILL` so a
 * coordinator killed with SIGKILL still takes its servers down. `exec` keeps one pid from
 * bash to the server, so /proc/<pid> is the server itself, not a wrapper. Our broker runs as
 * shipped, `node dist/cli.js` (built by bench/run.ts first): no npx or tsx wrapper process and
 * no TypeScript loader in the CPU and RSS we read.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { track } from "./children.ts";
import { processName } from "./proc-stats.ts";

export const SERVER_KINDS = ["nats-embedded", "nats-server"] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export interface ServerHandle {
  readonly kind: ServerKind;
  readonly pid: number;
  readonly port: number;
  /** Whether the process has exited (a crash mid-run fails the run). */
  exited(): boolean;
  /** The last part of what the server logged. */
  log(): string;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

export interface LaunchOptions {
  /** Repository root: our broker's compiled CLI is `dist/cli.js` under it. */
  root: string;
  /** Open-files limit asked for with `ulimit -n` (silently left as is if not allowed). */
  nofile: number;
  /** Run our broker with `--cpu-prof` writing into this directory. Ignored for nats-server. */
  cpuProfileDir?: string | undefined;
  /** More flags for both servers, after the listen address (e.g. `-js -sd <dir>`, `-c <file>`). */
  extraArgs?: readonly string[];
  /** Run our broker from `src/` through tsx instead of the compiled `dist/` (no build needed). */
  fromSource?: boolean;
}

const LISTEN_RE = /Listening for client connections on [^\s]+:(\d+)/;
const READY_TEXT = "Server is ready";
const START_TIMEOUT_MS = 20_000;
/** Time for a graceful exit: our broker writes its CPU profile on the way out. */
const STOP_GRACE_MS = 5_000;
const LOG_KEEP = 16 * 1024;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string, fallbacks: readonly string[]): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir !== "" && isExecutable(join(dir, name))) return join(dir, name);
  }
  return fallbacks.find(isExecutable);
}

/** The reference binary: $NATS_SERVER_BIN, then PATH, then Debian's /usr/sbin. */
export function natsServerBinary(): string {
  const fromEnv = process.env["NATS_SERVER_BIN"];
  if (fromEnv !== undefined && fromEnv !== "" && isExecutable(fromEnv)) return fromEnv;
  const found = findOnPath("nats-server", ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]);
  if (found === undefined) throw new Error("nats-server not found (PATH, /usr/sbin, /usr/bin, $NATS_SERVER_BIN); install it with `apt-get install -y nats-server`");
  return found;
}

function serverCommand(kind: ServerKind, options: LaunchOptions): string[] {
  const args = ["-a", "127.0.0.1", "-p", "-1", ...(options.extraArgs ?? [])];
  if (kind === "nats-server") return [natsServerBinary(), ...args];
  const profile = options.cpuProfileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", options.cpuProfileDir];
  const entry = options.fromSource === true ? ["--import", "tsx", join(options.root, "src", "cli.ts")] : [join(options.root, "dist", "cli.js")];
  return [process.execPath, ...profile, ...entry, ...args];
}

const setpriv = findOnPath("setpriv", ["/usr/bin/setpriv"]);

/** The argv that wraps a server command with the open-files limit and the parent-death signal. */
export function wrappedCommand(command: readonly string[], nofile: number): string[] {
  const guard = setpriv === undefined ? [] : [setpriv, "--pdeathsig", "KILL", "--"];
  return ["bash", "-c", `ulimit -n ${Math.floor(nofile)} 2>/dev/null; exec "$@"`, "bench-server", ...guard, ...command];
}

export async function startServer(kind: ServerKind, options: LaunchOptions): Promise<ServerHandle> {
  const [file, ...args] = wrappedCommand(serverCommand(kind, options), options.nofile);
  const child = track(spawn(file!, args, { cwd: options.root, stdio: ["ignore", "pipe", "pipe"] }));
  let logText = "";
  let exitedFlag = false;
  const exited = new Promise<void>((resolve) => child.once("exit", () => {
    exitedFlag = true;
    resolve();
  }));
  const append = (chunk: Buffer): void => {
    logText += chunk.toString("utf8");
    if (logText.length > LOG_KEEP * 2) logText = logText.slice(-LOG_KEEP);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);

  const stop = async (): Promise<void> => {
    if (!exitedFlag) {
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, STOP_GRACE_MS)))]);
      clearTimeout(timer);
      if (!exitedFlag) {
        child.kill("SIGKILL");
        await exited;
      }
    }
  };

  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind} did not become ready within ${START_TIMEOUT_MS} ms; log:\n${logText}`)), START_TIMEOUT_MS);
      const check = (): void => {
        const m = LISTEN_RE.exec(logText);
        if (m !== null && logText.includes(READY_TEXT)) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout?.on("data", check);
      child.stderr?.on("data", check);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot start ${kind}: ${err.message}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${kind} exited during start-up (code ${code}, signal ${signal}); log:\n${logText}`));
      });
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${kind} has no pid`);
    // bash and setpriv exec into the server: the pid must now name the server itself.
    const name = processName(pid);
    const expected = kind === "nats-server" ? "nats-server" : "node";
    if (name !== expected) throw new Error(`pid ${pid} is "${name}", expected "${expected}": CPU/RSS would measure the wrong process`);
    return { kind, pid, port, exited: () => exitedFlag, log: () => logText, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Start the reference `nats-server` binary (Debian package `nats-server`) on a
 * random 127.0.0.1 port, for differential tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export interface NatsServerProcess {
  /** The client port the server listens on (127.0.0.1). */
  readonly port: number;
  /** Everything the server logged so far (stderr + stdout). */
  log(): string;
  /** Kill the server and remove its temp files. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Text of a nats-server config file; written to a temp file and passed with `-c`. */
  config?: string;
  /** How long to wait for the "Listening for client connections" line. Default 10 s. */
  startTimeoutMs?: number;
}

const FIXED_LOCATIONS = ["/usr/bin/nats-server", "/usr/sbin/nats-server", "/usr/local/bin/nats-server"];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Path of the nats-server binary (env NATS_SERVER_BIN, then PATH, then fixed locations), or undefined. */
export function natsServerPath(): string | undefined {
  const fromEnv = process.env["NATS_SERVER_BIN"];
  if (fromEnv !== undefined && fromEnv !== "" && isExecutable(fromEnv)) return fromEnv;
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "nats-server");
    if (isExecutable(candidate)) return candidate;
  }
  return FIXED_LOCATIONS.find(isExecutable);
}

/** Whether the reference nats-server binary is available. */
export function hasNatsServer(): boolean {
  return natsServerPath() !== undefined;
}

const LISTEN_RE = /Listening for client connections on [^\s:]+:(\d+)/;

/**
 * Start nats-server with `-a 127.0.0.1 -p -1` (random port) plus `args`, learning
 * the port from its log. The second parameter may be a config-file text (shorthand
 * for `{ config }`).
 */
export async function startNatsServer(
  args: string[] = [],
  options: StartOptions | string = {},
): Promise<NatsServerProcess> {
  const opts: StartOptions = typeof options === "string" ? { config: options } : options;
  const bin = natsServerPath();
  if (bin === undefined) {
    throw new Error(
      "nats-server binary not found (looked in PATH, /usr/bin, /usr/sbin, /usr/local/bin, $NATS_SERVER_BIN); " +
        "install it with `apt-get install -y nats-server`",
    );
  }

  let tmp: string | undefined;
  const fullArgs = ["-a", "127.0.0.1", "-p", "-1"];
  if (opts.config !== undefined) {
    tmp = mkdtempSync(join(tmpdir(), "nats-server-"));
    const file = join(tmp, "nats-server.conf");
    writeFileSync(file, opts.config);
    fullArgs.push("-c", file);
  }
  fullArgs.push(...args);

  const child: ChildProcess = spawn(bin, fullArgs, { stdio: ["ignore", "pipe", "pipe"] });
  let logText = "";
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const cleanupTmp = (): void => {
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  };

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
    cleanupTmp();
  };

  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`nats-server did not report its port within ${timeoutMs} ms; log:\n${logText}`));
      }, timeoutMs);
      const onData = (chunk: Buffer): void => {
        logText += chunk.toString("utf8");
        const m = LISTEN_RE.exec(logText);
        if (m !== null && m[1] !== undefined) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stderr?.on("data", onData);
      child.stdout?.on("data", onData);
      child.once("error", (err: Error) => {
        clearTimeout(timer);
        reject(new Error(`failed to start ${bin}: ${err.message}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited early (code ${code}, signal ${signal}); log:\n${logText}`));
      });
    });
    return { port, log: () => logText, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

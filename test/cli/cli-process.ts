/**
 * Runs the `nats-embedded` command as a child process for a test: output collected, every wait
 * bounded, the process killed and its temporary files removed when the test ends.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export interface CliProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly pid: number;
  stderr(): string;
  stdout(): string;
  /** Resolves with the first match of `pattern` in `read()` (stderr by default); rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, read?: () => string, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code of a process that ends by itself (killed after 10 s). */
  exitCode(): Promise<number | null>;
}

/** A temporary directory removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "nats-embedded-cli-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts the command with `args`; it is SIGKILLed when the test ends, if still running. */
export function startCli(t: TestContext, args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  let running = true;
  void exited.then(() => (running = false));
  t.after(() => {
    if (running) child.kill("SIGKILL");
  });
  return {
    child,
    pid: child.pid!,
    stderr: () => stderr,
    stdout: () => stdout,
    async waitFor(pattern, read = () => stderr, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(read());
        if (match !== null) return match;
        if (!running) throw new Error(`exited before ${pattern} appeared; stderr:\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; stderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop(signal = "SIGTERM") {
      if (running) child.kill(signal);
      return this.exitCode();
    },
    async exitCode() {
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      try {
        const [code] = await exited;
        return code;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Waits for `Server is ready` and returns the client port from the `Listening` line. */
export async function ready(cli: CliProcess, read?: () => string): Promise<number> {
  const [, port] = await cli.waitFor(/Listening for client connections on [^\s]+:(\d+)[\s\S]*\[INF\] Server is ready/, read);
  return Number(port);
}

/** Connects with a raw socket and returns the server's INFO. */
export async function readInfo(port: number, host = "127.0.0.1"): Promise<Record<string, unknown>> {
  const socket = net.connect(port, host);
  try {
    let received = "";
    const timeout = setTimeout(() => socket.destroy(new Error("no INFO within 5s")), 5000);
    for await (const chunk of socket) {
      received += (chunk as Buffer).toString();
      const end = received.indexOf("\r\n");
      if (end >= 0) {
        clearTimeout(timeout);
        return JSON.parse(received.slice("INFO ".length, end)) as Record<string, unknown>;
      }
    }
    throw new Error(`connection closed before INFO: ${received}`);
  } finally {
    socket.destroy();
  }
}

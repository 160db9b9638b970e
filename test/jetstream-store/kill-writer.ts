/**
 * Runs crash-writer.ts in a child process and kills it with SIGKILL once it has reported
 * `after` stored sequences: what a crash test then recovers must hold every one of them.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface KilledWriter {
  /** Sequences store() returned before the kill, in order. */
  acked: number[];
  /** The signal the writer ended by (SIGKILL unless it finished or failed first). */
  signal: NodeJS.Signals | null;
  stderr: string;
}

export async function killWriterAfter(dir: string, after: number, args: string[] = []): Promise<KilledWriter> {
  const script = fileURLToPath(new URL("./crash-writer.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, dir, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const acked: number[] = [];
  let buffered = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`writer did not get going: ${stderr}`)), 30_000);
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) acked.push(Number(line));
      if (acked.length >= after) {
        clearTimeout(timer);
        child.kill("SIGKILL");
        resolve();
      }
    });
    child.on("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { acked, signal: await exited, stderr };
}

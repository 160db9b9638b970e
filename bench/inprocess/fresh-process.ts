/**
 * A fresh, plain Node process running a short ESM program, for the figures that only a fresh
 * process shows: what importing the package costs, and a test's first request/reply from
 * nothing. The program is JavaScript text run with `node --input-type=module -e`, not a
 * TypeScript file: Node 20 cannot run TypeScript without a loader (tsx), and a loader's hooks
 * would sit on every module the import loads, which is exactly what is being measured.
 *
 * The program runs with the repository as its working directory, so `import("nats-embedded")`
 * resolves through package.json's `exports` to `dist/` as it does for users. It must print one
 * line of JSON, an object of numbers, as its last line of output.
 */
import { spawn, type ChildProcess } from "node:child_process";

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** Runs `program` in a fresh `node`; resolves with the numbers of its last output line. */
export function runFresh(root: string, program: string, timeoutMs = 30_000): Promise<Record<string, number>> {
  // NODE_OPTIONS could carry a loader or flags from the shell that ran the benchmark: a bare
  // Node is the point.
  const env = { ...process.env };
  delete env["NODE_OPTIONS"];
  const child = spawn(process.execPath, ["--input-type=module", "-e", program], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (e) => reject(new Error(`cannot start a fresh node: ${e.message}`)));
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      const last = out.trim().split("\n").pop() ?? "";
      const report = code === 0 ? parseNumbers(last) : undefined;
      if (report === undefined) reject(new Error(`fresh node exited (code ${code}, signal ${signal}) without a report\nstdout: ${out}\nstderr: ${err}`));
      else resolve(report);
    });
  });
}

function parseNumbers(line: string): Record<string, number> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const entries = Object.entries(value);
  return entries.every(([, v]) => typeof v === "number" && Number.isFinite(v)) ? (Object.fromEntries(entries) as Record<string, number>) : undefined;
}

/** Program text that prints `fields` (a JavaScript object expression) as the report line and exits. */
export function reportLine(fields: string): string {
  return `process.stdout.write(JSON.stringify(${fields}) + "\\n");\nprocess.exit(0);`;
}

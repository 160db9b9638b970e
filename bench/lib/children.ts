/**
 * Every process the coordinator starts is registered here and killed when the coordinator
 * exits for any reason: normal end, error, SIGINT/SIGTERM or the global time limit. A
 * benchmark that leaves a broker listening, or a publisher writing, spoils the next run.
 * (Servers are additionally started under `setpriv --pdeathsig KILL`, which covers the
 * coordinator itself being SIGKILLed; load processes exit when their IPC channel closes.)
 */
import type { ChildProcess } from "node:child_process";

const live = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** Sends SIGKILL to every child still running. Synchronous, so it is safe in an 'exit' handler. */
export function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  live.clear();
}

let installed = false;

/**
 * Installs the handlers that end every child when the coordinator ends. `onAbort` runs first on
 * a signal, e.g. to finish the progress line.
 */
export function installCleanup(onAbort: (reason: string) => void): void {
  if (installed) return;
  installed = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      onAbort(`interrupted by ${signal}`);
      killAll();
      process.exit(130);
    });
  }
  process.on("uncaughtException", (err) => {
    onAbort(`uncaught exception: ${err.stack ?? err.message}`);
    killAll();
    process.exit(1);
  });
  process.on("unhandledRejection", (reason) => {
    onAbort(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
    killAll();
    process.exit(1);
  });
}

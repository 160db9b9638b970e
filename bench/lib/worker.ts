/**
 * A load process (bench/load/<role>.ts) seen from the coordinator: started with
 * `node --import tsx`, configured by one JSON argument, heard through IPC reports. Any
 * "error" report or an early exit fails every wait, so a broken run ends at once instead
 * of running into its timeout.
 */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { isWorkerReport, type WorkerCommand, type WorkerReport, type WorkerReportType } from "../load/messages.ts";
import { track } from "./children.ts";

export type Role = "publisher" | "subscriber" | "requester" | "responder";

type ReportOf<T extends WorkerReportType> = Extract<WorkerReport, { type: T }>;

interface Waiter {
  type: WorkerReportType;
  resolve: (report: WorkerReport) => void;
  reject: (err: Error) => void;
}

export class Worker {
  readonly role: Role;
  readonly #child: ChildProcess;
  readonly #queue: WorkerReport[] = [];
  #waiters: Waiter[] = [];
  #failure: Error | undefined;
  #exited = false;

  private constructor(role: Role, child: ChildProcess) {
    this.role = role;
    this.#child = child;
    child.on("message", (msg: unknown) => {
      if (!isWorkerReport(msg)) return;
      if (msg.type === "error") this.#fail(new Error(msg.message));
      else this.#deliver(msg);
    });
    child.once("exit", () => {
      this.#exited = true;
    });
    // 'close' rather than 'exit': it comes after the IPC channel has delivered its last message.
    child.once("close", (code, signal) => {
      // A normal exit after the last report is fine; an exit while someone waits is not.
      this.#fail(new Error(`${role} exited (code ${code}, signal ${signal}) before reporting`));
    });
  }

  static start(root: string, role: Role, config: Record<string, unknown>): Worker {
    const child = fork(join(root, "bench", "load", `${role}.ts`), [JSON.stringify(config)], {
      cwd: root,
      // Not the coordinator's execArgv: under the tsx CLI that carries tsx's own loader flags.
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new Worker(role, track(child));
  }

  /** The next report of this type (queued or future); rejects on failure or after `timeoutMs`. */
  next<T extends WorkerReportType>(type: T, timeoutMs: number): Promise<ReportOf<T>> {
    const queued = this.#queue.findIndex((r) => r.type === type);
    if (queued >= 0) return Promise.resolve(this.#queue.splice(queued, 1)[0] as ReportOf<T>);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<ReportOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.role}: no "${type}" report within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        type,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r as ReportOf<T>);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  send(command: WorkerCommand): void {
    if (!this.#exited && this.#child.connected) this.#child.send(command);
  }

  kill(): void {
    if (!this.#exited) this.#child.kill("SIGKILL");
  }

  #deliver(report: WorkerReport): void {
    const i = this.#waiters.findIndex((w) => w.type === report.type);
    if (i < 0) {
      this.#queue.push(report);
      return;
    }
    const [waiter] = this.#waiters.splice(i, 1);
    waiter!.resolve(report);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(this.#failure);
  }
}

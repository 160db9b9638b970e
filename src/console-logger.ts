/**
 * A logger that writes nats-server's log format to stderr or a file:
 * `[pid] 2006/01/02 15:04:05.000000 [INF] message`. Tools that watch nats-server's output
 * (for `Server is ready`, say) read ours the same way.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { Logger } from "./base/logger.ts";

function timestamp(date: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return (
    `${date.getFullYear()}/${p(date.getMonth() + 1)}/${p(date.getDate())} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds() * 1000, 6)}`
  );
}

export interface ConsoleLoggerOptions {
  debug?: boolean;
  trace?: boolean;
  /** Where lines go; stderr by default, as nats-server. */
  write?: (line: string) => void;
}

/** A {@link Logger} whose debug and trace levels can be switched while running (SIGHUP). */
export interface ConsoleLogger extends Logger {
  setLevels(levels: { readonly debug: boolean; readonly trace: boolean }): void;
}

export function consoleLogger(options: ConsoleLoggerOptions = {}): ConsoleLogger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const line = (level: string) => (msg: string) => write(`[${process.pid}] ${timestamp(new Date())} [${level}] ${msg}\n`);
  const noop = (): void => {};
  const debug = line("DBG");
  const trace = line("TRC");
  const logger: ConsoleLogger = {
    error: line("ERR"),
    warn: line("WRN"),
    info: line("INF"),
    // Levels that are off are no-ops, swapped in place, so a caller pays nothing for them.
    debug: options.debug === true ? debug : noop,
    trace: options.trace === true ? trace : noop,
    setLevels(levels) {
      logger.debug = levels.debug ? debug : noop;
      logger.trace = levels.trace ? trace : noop;
    },
  };
  return logger;
}

/**
 * Where log lines go: stderr, or a file opened for appending (nats-server's `-l` and `logfile`,
 * created with its 0660 mode). Writes are synchronous so that no line is lost at exit; a failed
 * write falls back to stderr rather than throw into whoever logged.
 */
export class LogDestination {
  #fd: number | undefined;
  #path: string | undefined;

  /** The file in use, or undefined for stderr. */
  get path(): string | undefined {
    return this.#path;
  }

  /** Switches to `path` (undefined: stderr). The new file is opened before the old one is closed; throws if it cannot be. */
  use(path: string | undefined): void {
    if (path === this.#path) return;
    const fd = path === undefined ? undefined : openSync(path, "a", 0o660);
    this.close();
    this.#fd = fd;
    this.#path = path;
  }

  write(line: string): void {
    if (this.#fd !== undefined) {
      try {
        writeSync(this.#fd, line);
        return;
      } catch {
        // Disk full, file gone: say it where someone may see it.
      }
    }
    process.stderr.write(line);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#path = undefined;
  }
}

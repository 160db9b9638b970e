/**
 * A logger that writes nats-server's log format to stderr:
 * `[pid] 2006/01/02 15:04:05.000000 [INF] message`. Tools that watch nats-server's output
 * (for `Server is ready`, say) read ours the same way.
 */
import type { Logger } from "./server/logger.ts";

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

export function consoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const line = (level: string) => (msg: string) => write(`[${process.pid}] ${timestamp(new Date())} [${level}] ${msg}\n`);
  const noop = (): void => {};
  return {
    error: line("ERR"),
    warn: line("WRN"),
    info: line("INF"),
    debug: options.debug === true ? line("DBG") : noop,
    trace: options.trace === true ? line("TRC") : noop,
  };
}

/**
 * The logger the server writes to. Any pino-shaped logger fits; the default says nothing, so a
 * broker embedded in a test suite or a service stays quiet unless asked (Go's `NoLog`).
 */
export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  trace(msg: string): void;
}

const noop = (): void => {};

export const silentLogger: Logger = { error: noop, warn: noop, info: noop, debug: noop, trace: noop };

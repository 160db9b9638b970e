/**
 * JetStream work runs inside message delivery and timers, where an exception would reach a
 * client's connection or the host. Whatever escapes is logged here instead, with its stack at
 * debug level.
 */
import type { Logger } from "../../base/logger.ts";

export function logCaught(logger: Logger, what: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  logger.error(`${what}: ${message}`);
  if (err instanceof Error && err.stack !== undefined) logger.debug(err.stack);
}

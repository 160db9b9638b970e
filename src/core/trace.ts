/**
 * Protocol tracing (`-V`): every op in and out goes to the logger's trace level with
 * nats-server's line shape, `<prefix> - <<- [OP args]` in and `<prefix> - ->> [OP args]` out,
 * and secrets never reach the log.
 */
import type { Logger } from "../base/logger.ts";

/** JSON fields nats-server's removePassFromTrace hides (client.go), with their string value. */
const SECRET_FIELDS = /("(?:pass|auth_token|sig|jwt)"\s*:\s*)"(?:[^"\\]|\\.)*"/g;

/** A traced CONNECT (or any line of JSON) with passwords, tokens, signatures and JWTs replaced. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_FIELDS, '$1"[REDACTED]"');
}

/** The trace lines of one connection; its prefix is built on first use (most connections are never traced). */
export class ProtocolTrace {
  readonly #logger: Logger;
  readonly #describe: () => string;
  #prefix: string | undefined;

  /** `describe` names the connection as nats-server does: `127.0.0.1:4222 - cid:5`, `… - lid:3`. */
  constructor(logger: Logger, describe: () => string) {
    this.#logger = logger;
    this.#describe = describe;
  }

  /** An op the peer sent. */
  in(op: string): void {
    this.#logger.trace(`${this.#name()} - <<- [${op}]`);
  }

  /** An op we send. */
  out(op: string): void {
    this.#logger.trace(`${this.#name()} - ->> [${op}]`);
  }

  #name(): string {
    return (this.#prefix ??= this.#describe());
  }
}

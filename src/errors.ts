/**
 * Errors the library throws to the host application (not the wire `-ERR` texts, which live in
 * `protocol/wire-errors.ts`). Each has a stable `code` to branch on instead of the message.
 */

export const ErrorCode = {
  InvalidOption: "NATS_EMBEDDED_INVALID_OPTION",
  ServerClosed: "NATS_EMBEDDED_SERVER_CLOSED",
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error this library throws. */
export class NatsEmbeddedError extends Error {
  readonly code: ErrorCodeValue;
  constructor(code: ErrorCodeValue, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NatsEmbeddedError";
    this.code = code;
  }
}

/** A `createServer` option has a value that cannot work. */
export class InvalidOptionError extends NatsEmbeddedError {
  readonly option: string;
  constructor(option: string, problem: string) {
    super(ErrorCode.InvalidOption, `option "${option}" ${problem}`);
    this.name = "InvalidOptionError";
    this.option = option;
  }
}

/** The server was asked to do something after `close()`. */
export class ServerClosedError extends NatsEmbeddedError {
  constructor(message = "the server is closed") {
    super(ErrorCode.ServerClosed, message);
    this.name = "ServerClosedError";
  }
}

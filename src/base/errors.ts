/**
 * Errors the library throws to the host application (not the wire `-ERR` texts, which live in
 * `protocol/wire-errors.ts`). Each has a stable `code` to branch on instead of the message.
 */

export const ErrorCode = {
  InvalidOption: "NATS_EMBEDDED_INVALID_OPTION",
  InvalidConfig: "NATS_EMBEDDED_INVALID_CONFIG",
  InvalidArgument: "NATS_EMBEDDED_INVALID_ARGUMENT",
  ServerClosed: "NATS_EMBEDDED_SERVER_CLOSED",
  NoResponders: "NATS_EMBEDDED_NO_RESPONDERS",
  Timeout: "NATS_EMBEDDED_TIMEOUT",
  MaxPayload: "NATS_EMBEDDED_MAX_PAYLOAD",
  PermissionViolation: "NATS_EMBEDDED_PERMISSION_VIOLATION",
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

/** An argument of the in-process API cannot work (empty subject, bad header name...). */
export class InvalidArgumentError extends NatsEmbeddedError {
  readonly argument: string;
  constructor(argument: string, problem: string) {
    super(ErrorCode.InvalidArgument, `${argument}: ${problem}`);
    this.name = "InvalidArgumentError";
    this.argument = argument;
  }
}

/** A request reached no subscriber (what clients get as a 503 status). */
export class NoRespondersError extends NatsEmbeddedError {
  readonly subject: string;
  constructor(subject: string) {
    super(ErrorCode.NoResponders, `no responders: '${subject}'`);
    this.name = "NoRespondersError";
    this.subject = subject;
  }
}

/** A request got no reply in time. */
export class TimeoutError extends NatsEmbeddedError {
  constructor(message = "timeout") {
    super(ErrorCode.Timeout, message);
    this.name = "TimeoutError";
  }
}

/** A message larger than `maxPayload`, refused as a client's would be. */
export class MaxPayloadError extends NatsEmbeddedError {
  constructor(size: number, max: number) {
    super(ErrorCode.MaxPayload, `message of ${size} bytes exceeds max_payload ${max}`);
    this.name = "MaxPayloadError";
  }
}

/** An in-process call acting as a user that the user's permissions do not allow. */
export class PermissionViolationError extends NatsEmbeddedError {
  constructor(text: string) {
    super(ErrorCode.PermissionViolation, text);
    this.name = "PermissionViolationError";
  }
}

/**
 * Why a connection ended, with nats-server's wording (`ClosedState.String()` in
 * `server/monitor.go`) so that `/connz?state=closed` reads the same as the reference server.
 */
export const CloseReason = {
  ClientClosed: "Client Closed",
  AuthenticationTimeout: "Authentication Timeout",
  AuthenticationExpired: "Authentication Expired",
  AuthenticationViolation: "Authentication Failure",
  SlowConsumerPendingBytes: "Slow Consumer (Pending Bytes)",
  SlowConsumerWriteDeadline: "Slow Consumer (Write Deadline)",
  WriteError: "Write Error",
  ReadError: "Read Error",
  ParseError: "Parse Error",
  StaleConnection: "Stale Connection",
  ProtocolViolation: "Protocol Violation",
  BadClientProtocolVersion: "Bad Client Protocol Version",
  MaxConnectionsExceeded: "Maximum Connections Exceeded",
  MaxAccountConnectionsExceeded: "Maximum Account Connections Exceeded",
  MaxPayloadExceeded: "Maximum Message Payload Exceeded",
  MaxControlLineExceeded: "Maximum Control Line Exceeded",
  MsgHeaderViolation: "Message Header Violation",
  NoRespondersRequiresHeaders: "No Responders Requires Headers",
  ServerShutdown: "Server Shutdown",
} as const;
export type CloseReasonText = (typeof CloseReason)[keyof typeof CloseReason];

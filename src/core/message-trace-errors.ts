/**
 * The `error` of a trace event's egress, word for word as nats-server's msgtrace.go: clients and
 * tools that read traces match these texts. Apart from message-trace.ts so that the router,
 * which message-trace.ts builds on, can name them too.
 */
export const TraceError = {
  onlyNoSupport: "Not delivered because remote does not support message tracing",
  noSupport: "Message delivered but remote does not support message tracing so no trace event generated from there",
  noEcho: "Not delivered because of no echo",
  pubViolation: "Not delivered because publish denied for this subject",
  subDeny: "Not delivered because subscription denies this subject",
  clientClosed: "Not delivered because client is closed",
  autoUnsubExceeded: "Not delivered because auto-unsubscribe exceeded",
} as const;

/**
 * Subjects clients may not use because the server routes them itself, as nats-server
 * (client.go isReservedReply, gateway.go hasGWRoutedReplyPrefix). Refused with a permissions
 * violation even when no permissions are configured.
 */

/** nats-server's gateway-routed reply prefix: clients may not publish to it. */
const GATEWAY_REPLY_PREFIX = "_GR_.";
/** Service import replies. */
const SERVICE_REPLY_PREFIX = "_R_.";
/** JetStream acknowledgements: a client may not claim them as its reply subject. */
const JS_ACK_PREFIX = "$JS.ACK.";

/** A publish subject reserved for gateway-routed replies. */
export function isReservedPublishSubject(subject: string): boolean {
  return subject.length > GATEWAY_REPLY_PREFIX.length && subject.startsWith(GATEWAY_REPLY_PREFIX);
}

/** A reply subject a client may not use. */
export function isReservedReply(reply: string): boolean {
  return (
    (reply.length > SERVICE_REPLY_PREFIX.length - 1 && reply.startsWith(SERVICE_REPLY_PREFIX)) ||
    (reply.length > JS_ACK_PREFIX.length && reply.startsWith(JS_ACK_PREFIX)) ||
    (reply.length > GATEWAY_REPLY_PREFIX.length && reply.startsWith(GATEWAY_REPLY_PREFIX))
  );
}

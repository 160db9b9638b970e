/**
 * JetStream's folded ack reply. A consumer that delivers to an inbox for a pull request that
 * came over a route or a leaf link folds the stream subject into the ack reply
 * (`$JS.ACK.…@orders.1`, consumer.go deliverMsg); the server whose client asked unfolds it
 * before delivering to local subscribers (client.go processMsgResults, jsAckDeliverIdx).
 */

const JS_ACK_PREFIX = "$JS.ACK.";

/**
 * Where `@` splits `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>@<subject>`,
 * or -1: the first `@` after the eighth dot, as tokens before it may contain `@` (client.go jsAckDeliverIdx).
 */
export function jsAckDeliverIndex(reply: string): number {
  if (!reply.startsWith(JS_ACK_PREFIX)) return -1;
  let dots = 0;
  for (let i = 0; i < reply.length; i++) {
    const c = reply.charCodeAt(i);
    if (c === 0x2e) dots++;
    else if (c === 0x40 && dots >= 8) return i;
  }
  return -1;
}

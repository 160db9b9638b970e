/**
 * Ack subjects and ack bodies, as nats-server's consumer.go writes and reads them.
 *
 * Every message a consumer delivers carries a reply subject that encodes where it came from
 * (v1 format, `consumer.go` ackReplyOldT):
 * `$JS.ACK.<stream>.<consumer>.<delivered_count>.<stream_seq>.<consumer_seq>.<timestamp_ns>.<pending>`.
 * Clients parse it for message metadata (nats.js `jsmsg.ts` accepts 9 or at least 11 tokens),
 * and publish their ack to it with one of the bodies below.
 */

/** The prefix every ack subject starts with. */
export const ACK_PREFIX = "$JS.ACK.";

/** What the ack subject of one delivery says. */
export interface AckReplyInfo {
  readonly stream: string;
  readonly consumer: string;
  readonly deliveryCount: number;
  readonly streamSeq: number;
  readonly consumerSeq: number;
  readonly timeNs: bigint;
  readonly pending: number;
}

/** The ack subject for one delivery (v1 format, as nats-server sends by default). */
export function ackSubject(stream: string, consumer: string, deliveryCount: number, streamSeq: number, consumerSeq: number, timeNs: bigint, pending: number): string {
  return `${ACK_PREFIX}${stream}.${consumer}.${deliveryCount}.${streamSeq}.${consumerSeq}.${timeNs}.${pending}`;
}

/** The wildcard a consumer subscribes to for its acks. */
export function ackWildcard(stream: string, consumer: string): string {
  return `${ACK_PREFIX}${stream}.${consumer}.>`;
}

/**
 * Reads an ack subject; undefined when it is not one. Accepts v1 (9 tokens) and v2 (11 or more,
 * with domain and account hash) as nats-server's ackReplyInfo does.
 */
export function parseAckSubject(subject: string): AckReplyInfo | undefined {
  const tokens = subject.split(".");
  const n = tokens.length;
  if ((n !== 9 && n < 11) || tokens[0] !== "$JS" || tokens[1] !== "ACK") return undefined;
  const offset = n >= 11 ? 4 : 2;
  const deliveryCount = parseCount(tokens[offset + 2]);
  const streamSeq = parseCount(tokens[offset + 3]);
  const consumerSeq = parseCount(tokens[offset + 4]);
  const pending = parseCount(tokens[offset + 6]);
  const ts = tokens[offset + 5]!;
  if (deliveryCount < 0 || streamSeq < 0 || consumerSeq < 0 || pending < 0 || !/^\d+$/.test(ts)) return undefined;
  return {
    stream: tokens[offset]!,
    consumer: tokens[offset + 1]!,
    deliveryCount,
    streamSeq,
    consumerSeq,
    timeNs: BigInt(ts),
    pending,
  };
}

function parseCount(token: string | undefined): number {
  if (token === undefined || token === "" || !/^\d+$/.test(token)) return -1;
  const n = Number(token);
  return Number.isSafeInteger(n) ? n : -1;
}

/** What a client asked for with an ack body (`consumer.go` AckAck, AckNak, AckProgress, AckNext, AckTerm). */
export type AckCommand =
  | { readonly kind: "ack" }
  /** `delayNs` undefined: redeliver now (or when its turn comes). */
  | { readonly kind: "nak"; readonly delayNs: number | undefined }
  | { readonly kind: "progress" }
  /** `+NXT`: ack, then treat the rest of the body as a pull request from the ack's reply subject. */
  | { readonly kind: "next"; readonly request: string }
  | { readonly kind: "term"; readonly reason: string }
  | { readonly kind: "unknown" };

const ACK = "+ACK";
const OK = "+OK";
const NAK = "-NAK";
const PROGRESS = "+WPI";
const NEXT = "+NXT";
const TERM = "+TERM";

/** Parses an ack body; an empty body is an ack, as in nats-server. */
export function parseAckBody(body: string): AckCommand {
  if (body === "" || body === ACK || body === OK) return { kind: "ack" };
  if (body.startsWith(NEXT)) return { kind: "next", request: body.slice(NEXT.length) };
  if (body.startsWith(NAK)) return { kind: "nak", delayNs: parseNakDelay(body.slice(NAK.length).trim()) };
  if (body === PROGRESS) return { kind: "progress" };
  if (body.startsWith(TERM)) return { kind: "term", reason: body.slice(TERM.length).trim() };
  return { kind: "unknown" };
}

/**
 * `-NAK {"delay":<ns>}` (what nats.js sends) or `-NAK <go duration>`; a delay that does not
 * parse makes it a plain NAK, as nats-server does (it logs a warning).
 */
function parseNakDelay(arg: string): number | undefined {
  if (arg === "") return undefined;
  if (arg.startsWith("{")) {
    try {
      const parsed = JSON.parse(arg) as { delay?: unknown };
      return typeof parsed.delay === "number" && Number.isFinite(parsed.delay) ? parsed.delay : undefined;
    } catch {
      return undefined;
    }
  }
  return parseGoDuration(arg);
}

const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's `time.ParseDuration` for the forms people write (`1.5s`, `100ms`, `1m30s`); undefined when it does not parse. */
export function parseGoDuration(text: string): number | undefined {
  const match = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
  if (match === null) return text === "0" ? 0 : undefined;
  let total = 0;
  for (const part of text.replace(/^[-+]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_NS[part[2]!]!;
  }
  return match[1] === "-" ? -total : total;
}

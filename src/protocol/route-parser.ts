/**
 * Incremental parser for the route protocol (kind ROUTER in nats-server's `server/parser.go`):
 * INFO, CONNECT, PING, PONG, +OK, -ERR, `RS+`/`RS-` (interest, with the account first),
 * `RMSG`/`HMSG` (messages, with the account first and the queue groups they are for), and
 * their leaf-origin forms `LS+`/`LS-`/`LMSG`, which a peer sends once we announce `lnoc`: the
 * name of the leaf node cluster the interest or message came from goes first.
 *
 * Routes carry few ops per message compared with clients, so the control line is found with
 * one scan for LF, bounded by the control-line limit as it is carried across reads, and then
 * split into fields; the payload is skipped by length, taken in place when it sits in one
 * chunk, and bounded by the payload limit. Argument rules follow route.go
 * (processRoutedMsgArgs, processRoutedHeaderMsgArgs, processRemoteSub, parseUnsubProto).
 */
import { CR, LF, ParseError, type ParseErrorCode } from "./parser-states.ts";

/** What the parser reports, one method per op; the route decides what they mean. */
export interface RouteProtocolHandler {
  onInfo(json: string): void;
  onConnect(json: string): void;
  onPing(): void;
  onPong(): void;
  onOk(): void;
  onErr(text: string): void;
  /**
   * `RS+ <account> <subject>[ <queue> <weight>]`, or `LS+ <origin> <account> …` with the leaf
   * node cluster the interest comes from (`origin`, "" for RS+).
   */
  onRouteSub(account: string, subject: string, queue: string | undefined, weight: number, origin: string): void;
  /** `RS- <account> <subject>[ <queue>]` (and `LS-`, the same arguments from a peer without `lnocu`). */
  onRouteUnsub(account: string, subject: string, queue: string | undefined): void;
  /**
   * `RMSG`/`HMSG`: `queues` is empty when the message names none (then no queue group takes
   * it); `headerSize` is -1 for RMSG. The payload is `data[start, end)`, possibly the read
   * chunk itself: copy the region to keep it past this call. `origin` is the leaf node cluster
   * an `LMSG` came from ("" for RMSG/HMSG); an LMSG always has header sizes (0: no headers).
   */
  onRouteMsg(account: string, subject: string, reply: string, queues: readonly string[], headerSize: number, data: Buffer, start: number, end: number, origin: string): void;
}

export interface RouteParserLimits {
  /** Longest control line accepted, in bytes (nats-server gives routes 16 times a client's). */
  maxControlLine: number;
  /** Largest RMSG/HMSG accepted, in bytes. */
  maxPayload: number;
}

const Phase = { Line: 0, Payload: 1 } as const;
type PhaseCode = (typeof Phase)[keyof typeof Phase];
const FIELDS = /[ \t]+/;
const NO_QUEUES: readonly string[] = [];

export class RouteParser {
  readonly #handler: RouteProtocolHandler;
  readonly #limits: RouteParserLimits;
  #phase: PhaseCode = Phase.Line;
  /** Control-line bytes carried from earlier chunks. */
  #line: Buffer[] = [];
  #lineLen = 0;
  /** The message whose payload is being read. */
  #origin = "";
  #account = "";
  #subject = "";
  #reply = "";
  #queues: readonly string[] = NO_QUEUES;
  #headerSize = -1;
  #size = 0;
  /** Payload (and its CRLF) assembled across chunks. */
  #payload: Buffer | undefined;
  #payloadLen = 0;
  #halted = false;

  constructor(handler: RouteProtocolHandler, limits: RouteParserLimits) {
    this.#handler = handler;
    this.#limits = limits;
  }

  /** Stops parsing for good (the route is closing): what is buffered is dropped. */
  halt(): void {
    this.#halted = true;
    this.#line = [];
    this.#lineLen = 0;
    this.#payload = undefined;
  }

  /** Parses one chunk; the ops before an error have been handed on, as in nats-server. */
  parse(buf: Buffer): ParseErrorCode {
    let i = 0;
    const len = buf.length;
    while (i < len) {
      if (this.#halted) return ParseError.Halted;
      if (this.#phase === Phase.Line) {
        const lf = buf.indexOf(LF, i);
        if (lf < 0) {
          this.#lineLen += len - i;
          if (this.#lineLen > this.#limits.maxControlLine) return ParseError.ControlLineTooLong;
          this.#line.push(buf.subarray(i));
          return ParseError.None;
        }
        if (this.#lineLen + (lf - i) > this.#limits.maxControlLine) return ParseError.ControlLineTooLong;
        let line: Buffer = buf.subarray(i, lf);
        if (this.#line.length > 0) {
          line = Buffer.concat([...this.#line, line]);
          this.#line = [];
          this.#lineLen = 0;
        }
        i = lf + 1;
        const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
        const err = this.#op(line.toString("utf8", 0, end));
        if (err !== ParseError.None) return err;
        continue;
      }
      // Payload: `size` bytes, then CRLF.
      const need = this.#size + 2;
      if (this.#payload === undefined && len - i >= need) {
        const start = i;
        i += need;
        if (buf[start + this.#size] !== CR || buf[start + this.#size + 1] !== LF) return ParseError.BadArguments;
        this.#phase = Phase.Line;
        this.#deliver(buf, start, start + this.#size);
        continue;
      }
      this.#payload ??= Buffer.allocUnsafe(need);
      const take = Math.min(need - this.#payloadLen, len - i);
      buf.copy(this.#payload, this.#payloadLen, i, i + take);
      this.#payloadLen += take;
      i += take;
      if (this.#payloadLen === need) {
        const payload = this.#payload;
        this.#payload = undefined;
        this.#payloadLen = 0;
        this.#phase = Phase.Line;
        if (payload[this.#size] !== CR || payload[this.#size + 1] !== LF) return ParseError.BadArguments;
        this.#deliver(payload, 0, this.#size);
      }
    }
    return this.#halted ? ParseError.Halted : ParseError.None;
  }

  #deliver(data: Buffer, start: number, end: number): void {
    this.#handler.onRouteMsg(this.#account, this.#subject, this.#reply, this.#queues, this.#headerSize, data, start, end, this.#origin);
  }

  /** One control line (without CRLF). */
  #op(line: string): ParseErrorCode {
    const trimmed = line.replace(/^[ \t]+/, "");
    if (trimmed === "") return ParseError.None;
    const space = trimmed.search(FIELDS);
    const verb = (space < 0 ? trimmed : trimmed.slice(0, space)).toUpperCase();
    const rest = space < 0 ? "" : trimmed.slice(space).replace(/^[ \t]+/, "");
    const h = this.#handler;
    switch (verb) {
      case "PING":
        h.onPing();
        return ParseError.None;
      case "PONG":
        h.onPong();
        return ParseError.None;
      case "+OK":
        h.onOk();
        return ParseError.None;
      case "-ERR":
        h.onErr(rest.replace(/^'(.*)'$/, "$1"));
        return ParseError.None;
      case "INFO":
        h.onInfo(rest);
        return ParseError.None;
      case "CONNECT":
        h.onConnect(rest);
        return ParseError.None;
      case "RS+":
        return this.#sub(rest, false);
      case "LS+":
        return this.#sub(rest, true);
      case "RS-":
      case "LS-":
        return this.#unsub(rest);
      case "RMSG":
        return this.#msg(rest, false, false);
      case "HMSG":
        return this.#msg(rest, true, false);
      case "LMSG":
        return this.#msg(rest, true, true);
      default:
        return ParseError.UnknownOperation;
    }
  }

  /**
   * route.go processRemoteSub: `<account> <subject>` or `<account> <subject> <queue> <weight>`,
   * after `<origin>` for LS+.
   */
  #sub(rest: string, hasOrigin: boolean): ParseErrorCode {
    const all = rest.split(FIELDS).filter((f) => f !== "");
    const origin = hasOrigin ? (all[0] ?? "") : "";
    const a = hasOrigin ? all.slice(1) : all;
    if (a.length === 2) this.#handler.onRouteSub(a[0]!, a[1]!, undefined, 0, origin);
    else if (a.length === 4) {
      const w = Number.parseInt(a[3]!, 10);
      this.#handler.onRouteSub(a[0]!, a[1]!, a[2]!, Number.isFinite(w) && w > 0 ? w : 1, origin);
    } else return ParseError.BadArguments;
    return ParseError.None;
  }

  /** route.go parseUnsubProto: `<account> <subject>[ <queue>]` (a trailing weight is ignored). */
  #unsub(rest: string): ParseErrorCode {
    const a = rest.split(FIELDS).filter((f) => f !== "");
    if (a.length < 2 || a.length > 4) return ParseError.BadArguments;
    this.#handler.onRouteUnsub(a[0]!, a[1]!, a[2]);
    return ParseError.None;
  }

  /**
   * route.go processRoutedMsgArgs / processRoutedHeaderMsgArgs:
   * `<account> <subject> [<reply>] [<hdr>] <size>`, or with queue groups
   * `<account> <subject> + <reply> <queues…> [<hdr>] <size>` / `<account> <subject> | <queues…> [<hdr>] <size>`;
   * processRoutedOriginClusterMsgArgs: LMSG is `<origin>` and then HMSG's arguments.
   */
  #msg(rest: string, headers: boolean, hasOrigin: boolean): ParseErrorCode {
    const all = rest.split(FIELDS).filter((f) => f !== "");
    if (hasOrigin && all.length === 0) return ParseError.BadArguments;
    const a = hasOrigin ? all.slice(1) : all;
    const sizes = headers ? 2 : 1;
    if (a.length < 2 + sizes) return ParseError.BadArguments;
    let reply = "";
    let queues: readonly string[] = NO_QUEUES;
    const middle = a.length - 2 - sizes;
    if (middle === 1) reply = a[2]!;
    else if (middle > 1) {
      const indicator = a[2]!;
      if (indicator === "+") {
        reply = a[3]!;
        queues = a.slice(4, a.length - sizes);
      } else if (indicator === "|") {
        queues = a.slice(3, a.length - sizes);
      } else return ParseError.BadArguments;
    }
    const size = parseDecimal(a[a.length - 1]!);
    const hdr = headers ? parseDecimal(a[a.length - 2]!) : -1;
    if (size < 0 || (headers && (hdr < 0 || hdr > size))) return ParseError.BadArguments;
    if (size > this.#limits.maxPayload) return ParseError.PayloadTooLarge;
    this.#origin = hasOrigin ? all[0]! : "";
    this.#account = a[0]!;
    this.#subject = a[1]!;
    this.#reply = reply;
    this.#queues = queues;
    this.#headerSize = hdr;
    this.#size = size;
    this.#phase = Phase.Payload;
    return ParseError.None;
  }
}

/** nats-server parseSize: digits only, at most 9 of them; otherwise -1. */
function parseDecimal(text: string): number {
  return /^\d{1,9}$/.test(text) ? Number(text) : -1;
}

/**
 * `/tail?subject=<filter>`: a live tail of the messages crossing the bus on a subject filter, as
 * Server-Sent Events, for the dashboard. Fed by `server.tap()`, which records copies of the
 * messages without counting as interest. Opt-in per request (nothing is recorded until a
 * browser asks), and bounded: few tails at once, few messages buffered per tail, payload
 * previews cut short, and a browser that reads slowly loses events instead of growing memory.
 */
import type { ServerResponse } from "node:http";
import { isValidSubject } from "../subjects/subject.ts";
import { goJson, goTime } from "./go-format.ts";
import type { TailSource } from "./monitor-view.ts";

export type { TailSource } from "./monitor-view.ts";

/** Tails open at once per monitoring port. */
export const MAX_TAILS = 4;
/** Messages a tail's tap keeps between two sends; older ones are dropped first. */
export const TAIL_BUFFER = 32;
/** How often buffered messages are sent, ms. */
export const TAIL_FLUSH_MS = 100;
/** Payload bytes shown per message. */
export const TAIL_PREVIEW_BYTES = 256;
/** Events are skipped while this many bytes wait to be written to the browser. */
const MAX_UNWRITTEN = 256 * 1024;
/** A comment line this often keeps proxies from closing an idle stream, ms. */
const HEARTBEAT_MS = 15_000;

/** The outcome of asking for a tail when none can be opened: an HTTP status and a text. */
export interface TailRefusal {
  status: number;
  message: string;
}

/** The tails open on one monitoring port. */
export class TailHub {
  readonly #open = new Set<() => void>();

  get size(): number {
    return this.#open.size;
  }

  /**
   * Opens a tail on `subject` and streams it to `res` until the browser goes away or the hub
   * closes. Returns a refusal instead when the subject is bad, tapping is not available, or
   * too many tails are open.
   */
  open(source: TailSource, subject: string, res: ServerResponse): TailRefusal | undefined {
    if (subject === "" || !isValidSubject(subject)) return { status: 400, message: `invalid subject: ${subject}` };
    if (typeof source.tap !== "function") return { status: 501, message: "live tail is not available on this server" };
    if (this.#open.size >= MAX_TAILS) return { status: 503, message: `too many live tails open (at most ${MAX_TAILS})` };
    const tap = source.tap(subject, { limit: TAIL_BUFFER });

    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      "X-Accel-Buffering": "no",
    });
    res.write(`retry: 5000\nevent: ready\ndata: ${goJson({ subject })}\n\n`);

    let dropped = 0;
    let lastWrite = Date.now();
    const flush = (): void => {
      const batch = tap.messages;
      if (batch.length === 0) {
        if (Date.now() - lastWrite >= HEARTBEAT_MS) {
          res.write(": keepalive\n\n");
          lastWrite = Date.now();
        }
        return;
      }
      // The tap holds at most TAIL_BUFFER: a full buffer means older messages were lost.
      const overflowed = batch.length >= TAIL_BUFFER;
      if (res.writableLength > MAX_UNWRITTEN) {
        dropped += batch.length;
        tap.clear();
        return;
      }
      let text = "";
      for (const msg of batch) {
        const data = msg.data;
        const preview = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, TAIL_PREVIEW_BYTES)).toString("utf8");
        text += `event: msg\ndata: ${goJson({
          time: goTime(Date.now()),
          subject: msg.subject,
          reply: msg.reply,
          size: data.byteLength,
          headers: msg.headers !== undefined,
          data: preview,
          truncated: data.byteLength > TAIL_PREVIEW_BYTES,
        })}\n\n`;
      }
      tap.clear();
      if (dropped > 0 || overflowed) {
        text += `event: dropped\ndata: ${goJson({ count: dropped, overflowed })}\n\n`;
        dropped = 0;
      }
      res.write(text);
      lastWrite = Date.now();
    };
    const timer = setInterval(flush, TAIL_FLUSH_MS);
    timer.unref();

    const stop = (): void => {
      if (!this.#open.delete(stop)) return;
      clearInterval(timer);
      tap.close();
      if (!res.writableEnded) res.end();
    };
    this.#open.add(stop);
    res.on("close", stop);
    res.on("error", stop);
    return undefined;
  }

  /** Ends every tail (the monitoring port is closing). */
  closeAll(): void {
    for (const stop of [...this.#open]) stop();
  }
}

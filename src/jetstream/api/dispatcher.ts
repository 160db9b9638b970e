/**
 * The JetStream API dispatcher: one subscription on `$JS.API.>` (and `$JS.<domain>.API.>`)
 * turns a request subject into a handler, as nats-server's `jsAPIRoutes`. Requests are handled
 * one after another, in arrival order, so a client that creates a stream and then asks about
 * it sees its own writes. A handler that throws, or a body that is not JSON, becomes an API
 * error; nothing reaches the publisher or the host. Unknown API subjects get no answer, as
 * from nats-server.
 */
import { DirectMsg } from "../../direct/direct-message.ts";
import type { MsgHeaders } from "../../direct/headers.ts";
import type { ApiError, ConsumerManager } from "../shared/contracts.ts";
import { JsErrors } from "../shared/api-errors.ts";
import { logCaught } from "../shared/log-caught.ts";
import type { Logger } from "../../base/logger.ts";
import { ResponseType } from "../shared/types.ts";
import { parseRequest, type ParsedBody } from "./request-body.ts";
import { streamApi, type StreamApiHost } from "./stream-api.ts";
import { directGet } from "./direct-get.ts";
import { status } from "./direct-get-reply.ts";
import { responseOf } from "./response-types.ts";
import { requiresHigherApiLevel } from "../shared/api-level.ts";

const REQUIRED_API_LEVEL = "Nats-Required-Api-Level";

/** What the dispatcher needs of the JetStream service. */
export interface ApiHost extends StreamApiHost {
  readonly logger: Logger;
  readonly consumers: ConsumerManager | undefined;
  accountInfo(): Record<string, unknown>;
  /** Publishes a reply (for requests answered after the publisher's buffer is gone). */
  publish(subject: string, data?: Uint8Array | string, options?: { headers?: MsgHeaders }): boolean;
  /** Whether anyone listens for the API audit advisory (`$JS.EVENT.ADVISORY.API`). */
  auditing(): boolean;
  /** Sends the API audit advisory for one answered request. */
  audit(subject: string, request: string, response: string): void;
}

/** Counters of `$JS.API.INFO` `api`. */
export interface ApiStats {
  total: number;
  errors: number;
}

/** Replies on behalf of one request; counts errors. */
export class ApiReply {
  readonly #msg: DirectMsg;
  readonly #stats: ApiStats;
  readonly #type: string;

  constructor(msg: DirectMsg, stats: ApiStats, type: string) {
    this.#msg = msg;
    this.#stats = stats;
    this.#type = type;
  }

  ok(body: Record<string, unknown>): void {
    this.#msg.respond(JSON.stringify({ type: this.#type, ...body }));
  }

  /** `extra` are the zero fields nats-server's response struct carries along with the error. */
  error(error: ApiError, extra: Record<string, unknown> = {}): void {
    this.#stats.errors++;
    this.#msg.respond(JSON.stringify({ type: this.#type, error, ...extra }));
  }
}

export class ApiDispatcher {
  readonly stats: ApiStats = { total: 0, errors: 0 };
  readonly #host: ApiHost;
  /** Requests run one at a time; this is the tail of the line. */
  #queue: Promise<void> = Promise.resolve();

  /** Until recovery is done, consumers and streams are not all known yet: every request waits in line. */
  #recovered = false;

  constructor(host: ApiHost, ready: Promise<void>) {
    this.#host = host;
    this.#queue = ready.catch(() => undefined);
    void this.#queue.then(() => (this.#recovered = true));
  }

  /**
   * The subscription's handler: `prefixLength` is the length of `$JS.API.` or
   * `$JS.<domain>.API.`. Returns whether the request has a taker, which decides whether its
   * publisher hears no responders (503). In nats-server the `$JS.API.>` import does not take
   * pull requests and direct gets (client.go `processServiceImport`, `checkJS`); the consumer's
   * own subscription on `$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>` (consumer.go `reqSub`)
   * and a direct stream's on `$JS.API.DIRECT.GET.<stream>[.>]` (stream.go `subscribeToDirect`)
   * do, and since 2.11 a request that reaches neither gets a 503 (client.go, "When we fail to
   * deliver a message through a service import respond with no responders"). Here those
   * subscriptions are a look-up of the same facts: the consumer exists, the stream allows direct.
   */
  dispatch(msg: DirectMsg, prefixLength: number): boolean {
    const tokens = msg.subject.slice(prefixLength).split(".");
    const taken = this.#hasTaker(tokens);
    // No reply subject, nobody to answer: nats-server ignores these too.
    if (msg.reply === "" || !taken) return taken;
    // The body is a view of the publisher's buffer: read it before yielding.
    const body = parseRequest(msg.data);
    // Every answer but a pull's and a direct get's is audited (they are not API responses in
    // nats-server: sendAPIResponse sends the audit advisory).
    const audited = !(tokens[0] === "DIRECT" || (tokens[0] === "CONSUMER" && (tokens[1] === "MSG" || tokens[1] === "RESET")));
    if (audited && this.#host.auditing()) msg = detach(msg, this.#host, msg.string());
    else if (tokens[0] === "CONSUMER") msg = detach(msg, this.#host, undefined);
    this.#queue = this.#queue.then(() => this.#handle(tokens, msg, body)).catch((err: unknown) => logCaught(this.#host.logger, "JetStream API", err));
    return true;
  }

  #hasTaker(tokens: readonly string[]): boolean {
    if (!this.#recovered) return true;
    const [first, second, third] = tokens;
    if (first === "CONSUMER" && second === "MSG" && third === "NEXT") {
      return tokens.length === 5 && this.#host.consumers !== undefined && this.#host.consumers.has(tokens[3]!, tokens[4]!);
    }
    // RESET (nats-server 2.14) is taken by the consumer's own subscription too (consumer.go resetSubj).
    if (first === "CONSUMER" && second === "RESET") {
      return tokens.length === 4 && this.#host.consumers !== undefined && this.#host.consumers.has(tokens[2]!, tokens[3]!);
    }
    if (first === "DIRECT" && second === "GET") {
      return tokens.length >= 3 && this.#host.directResponders(tokens[2]!).length > 0;
    }
    return true;
  }

  /** Resolves once every request received so far was answered. */
  idle(): Promise<void> {
    return this.#queue;
  }

  async #handle(tokens: string[], msg: DirectMsg, body: ParsedBody): Promise<void> {
    const [first, second] = tokens;
    // jetstream_versioning.go errorOnRequiredApiLevel: a request that needs a higher API level
    // than this broker's is refused before its handler runs; a direct get with a status
    // (stream.go processDirectGetRequest), a pull by its consumer (consumer.go).
    const required = msg.headers?.get(REQUIRED_API_LEVEL) ?? "";
    if (required !== "" && requiresHigherApiLevel(required)) {
      const response = responseOf(tokens);
      if (response !== undefined) {
        this.stats.total++;
        new ApiReply(msg, this.stats, response.type).error(JsErrors.requiredApiLevel(), response.extra);
        return;
      }
      if (first === "DIRECT" && second === "GET") {
        this.stats.total++;
        status(msg, 412, "Required Api Level");
        return;
      }
    }
    if (first === "INFO" && tokens.length === 1) {
      this.stats.total++;
      new ApiReply(msg, this.stats, ResponseType.AccountInfo).ok(this.#host.accountInfo());
      return;
    }
    if (first === "STREAM") {
      const handler = streamApi(tokens.slice(1));
      if (handler === undefined) return;
      this.stats.total++;
      const reply = new ApiReply(msg, this.stats, handler.type);
      try {
        await handler.run(this.#host, body, reply);
      } catch (err) {
        logCaught(this.#host.logger, `JetStream API ${msg.subject}`, err);
        reply.error(JsErrors.streamGeneral(err instanceof Error ? err.message : String(err)), handler.errorExtra);
      }
      return;
    }
    if (first === "DIRECT" && second === "GET" && tokens.length >= 3) {
      this.stats.total++;
      directGet(this.#host, tokens.slice(2), body, msg);
      return;
    }
    if (first === "CONSUMER") {
      this.stats.total++;
      const consumers = this.#host.consumers;
      if (consumers === undefined) {
        msg.respond(JSON.stringify({ type: "io.nats.jetstream.api.v1.consumer_create_response", error: JsErrors.notEnabled() }));
        this.stats.errors++;
        return;
      }
      consumers.handle(tokens.slice(1), msg);
    }
  }
}

/**
 * A copy of `msg` that owns its bytes, for handlers that run after the publisher's buffer is
 * gone. With `auditedRequest` (the request's text) each answer is followed by the audit advisory.
 */
function detach(msg: DirectMsg, host: ApiHost, auditedRequest: string | undefined): DirectMsg {
  const headers = msg.rawHeaders;
  const data = msg.data;
  const bytes = headers === undefined ? Buffer.from(data) : Buffer.concat([headers, data]);
  const subject = msg.subject;
  return new DirectMsg(subject, msg.reply, msg.sid, bytes, 0, bytes.length, headers?.length ?? 0, (to, payload, options) => {
    const sent = host.publish(to, payload, options);
    if (auditedRequest !== undefined) {
      const response = payload === undefined ? "" : typeof payload === "string" ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8");
      host.audit(subject, auditedRequest, response);
    }
    return sent;
  });
}

/**
 * Each API request's response type, and the zero fields nats-server 2.9.10 sends beside an
 * error to it: what an answer that refuses a request before its handler runs (JetStream not
 * enabled for the account, an API level the broker does not have) must carry.
 */
import { ResponseType } from "../shared/types.ts";
import { streamApi } from "./stream-api.ts";

const CONSUMER_TYPES: Readonly<Record<string, string>> = {
  CREATE: "io.nats.jetstream.api.v1.consumer_create_response",
  DURABLE: "io.nats.jetstream.api.v1.consumer_create_response",
  INFO: "io.nats.jetstream.api.v1.consumer_info_response",
  DELETE: "io.nats.jetstream.api.v1.consumer_delete_response",
  PAUSE: "io.nats.jetstream.api.v1.consumer_pause_response",
  UNPIN: "io.nats.jetstream.api.v1.consumer_unpin_response",
  RESET: "io.nats.jetstream.api.v1.consumer_reset_response",
  NAMES: "io.nats.jetstream.api.v1.consumer_names_response",
  LIST: "io.nats.jetstream.api.v1.consumer_list_response",
};

/** The zero fields nats-server's paged responses carry beside the error. */
const EMPTY_PAGE = { total: 0, offset: 0, limit: 0 };

/**
 * The response type of an API request and the zero fields that go with its error (as
 * nats-server 2.9.10 sends them), or undefined for what is not a request of the API.
 */
export function responseOf(tokens: readonly string[]): { type: string; extra?: Record<string, unknown> } | undefined {
  const [first, second] = tokens;
  if (first === "INFO" && tokens.length === 1) return { type: ResponseType.AccountInfo };
  if (first === "STREAM") {
    const handler = streamApi(tokens.slice(1));
    if (handler === undefined) return undefined;
    if (second === "NAMES") return { type: handler.type, extra: { ...EMPTY_PAGE, streams: null } };
    if (second === "LIST") return { type: handler.type, extra: { ...EMPTY_PAGE, streams: [] } };
    return { type: handler.type, ...(handler.errorExtra === undefined ? {} : { extra: handler.errorExtra }) };
  }
  if (first === "CONSUMER" && second !== undefined && second !== "MSG") {
    const type = CONSUMER_TYPES[second];
    if (type === undefined) return undefined;
    return second === "NAMES" || second === "LIST" ? { type, extra: { ...EMPTY_PAGE, consumers: [] } } : { type };
  }
  return undefined;
}


/**
 * The JetStream API of an account without JetStream on a server with it (nats-server's
 * `enableJetStreamInfoServiceImportOnly`): each API request is answered `503 10039 JetStream
 * not enabled for account`, in the response type of the request, so that a client's
 * `jetstreamManager()` fails with "JetStream not enabled" at once rather than by time-out. Pull
 * requests, direct gets and subjects that are not the API's have no taker (no responders).
 */
import type { DirectMsg } from "../../direct/direct-message.ts";
import { JsErrors } from "../shared/api-errors.ts";
import { responseOf } from "./response-types.ts";

/** Answers one request on `<prefix>...`; returns whether it had a taker. */
export function answerNotEnabled(msg: DirectMsg, prefixLength: number): boolean {
  const tokens = msg.subject.slice(prefixLength).split(".");
  // A reset is taken by the consumer itself in nats-server: with no JetStream, nobody takes it.
  if (tokens[0] === "CONSUMER" && tokens[1] === "RESET") return false;
  const response = responseOf(tokens);
  if (response === undefined) return false;
  if (msg.reply !== "") msg.respond(JSON.stringify({ type: response.type, error: JsErrors.notEnabledForAccount(), ...response.extra }));
  return true;
}

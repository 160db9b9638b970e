/**
 * Query parameters of the monitoring endpoints, decoded as nats-server's monitor.go does
 * (`decodeBool`, `decodeInt`, `decodeUint64`, `decodeState`, `decodeSubs`), with the same
 * `400 Bad Request` texts, so that scripts written against nats-server see the same answers.
 */
import { ErrorCode, NatsEmbeddedError } from "../base/errors.ts";

/**
 * A monitoring request that cannot be answered: a bad query value or a combination nats-server
 * refuses. The message is nats-server's text, sent as the body of a `400 Bad Request`.
 */
export class MonitorRequestError extends NatsEmbeddedError {
  constructor(message: string) {
    super(ErrorCode.InvalidArgument, message);
    this.name = "MonitorRequestError";
  }
}

/** Go's `%q` of a short string, which is what strconv errors quote. */
function quote(text: string): string {
  return JSON.stringify(text);
}

/** strconv.ParseBool's spellings. */
const TRUE_WORDS = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE_WORDS = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** monitor.go decodeBool: absent or empty is false. */
export function decodeBool(query: URLSearchParams, name: string): boolean {
  const text = query.get(name) ?? "";
  if (text === "") return false;
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  throw new MonitorRequestError(`Error decoding boolean for '${name}': strconv.ParseBool: parsing ${quote(text)}: invalid syntax`);
}

/** monitor.go decodeInt: absent or empty is 0; an optional sign, then decimal digits. */
export function decodeInt(query: URLSearchParams, name: string): number {
  const text = query.get(name) ?? "";
  if (text === "") return 0;
  if (!/^[+-]?\d+$/.test(text)) {
    throw new MonitorRequestError(`Error decoding int for '${name}': strconv.Atoi: parsing ${quote(text)}: invalid syntax`);
  }
  return Number(text);
}

/** monitor.go decodeUint64: absent or empty is 0; decimal digits only. */
export function decodeUint(query: URLSearchParams, name: string): number {
  const text = query.get(name) ?? "";
  if (text === "") return 0;
  if (!/^\d+$/.test(text)) {
    throw new MonitorRequestError(`Error decoding uint64 for '${name}': strconv.ParseUint: parsing ${quote(text)}: invalid syntax`);
  }
  return Number(text);
}

/** Which connections `/connz` lists. */
export type ConnState = "open" | "closed" | "all";

/** monitor.go decodeState: `open` (default), `closed`, `any` or `all`, any case. */
export function decodeState(query: URLSearchParams): ConnState {
  const text = query.get("state") ?? "";
  if (text === "") return "open";
  switch (text.toLowerCase()) {
    case "open":
      return "open";
    case "closed":
      return "closed";
    case "any":
    case "all":
      return "all";
  }
  throw new MonitorRequestError(`Error decoding state for ${text}`);
}

/** monitor.go decodeSubs: `subs=detail` for details, else a boolean. */
export function decodeSubs(query: URLSearchParams): boolean | "detail" {
  if ((query.get("subs") ?? "").toLowerCase() === "detail") return "detail";
  return decodeBool(query, "subs");
}

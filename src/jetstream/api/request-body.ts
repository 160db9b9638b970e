/**
 * An API request's body, read once as the request arrives: nats-server's three questions about
 * it are whether it is empty (`isEmptyRequest`), whether it looks like JSON
 * (`isJSONObjectOrArray`), and what it decodes to. Prototype-poisoning keys are dropped by
 * secure-json-parse, so a hostile body cannot reach object prototypes.
 */
import sjson from "secure-json-parse";

export interface ParsedBody {
  /** No bytes, or a JSON object with no keys (`isEmptyRequest`). */
  readonly empty: boolean;
  /** Starts with `{` or `[` after whitespace (`isJSONObjectOrArray`). */
  readonly looksLikeJson: boolean;
  /** Zero bytes. */
  readonly blank: boolean;
  /** The decoded value; undefined when the body is not valid JSON. */
  readonly json: unknown;
}

export function parseRequest(data: Uint8Array): ParsedBody {
  if (data.length === 0) return { empty: true, looksLikeJson: false, blank: true, json: undefined };
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
  let json: unknown;
  try {
    json = sjson.parse(text, null, { protoAction: "remove", constructorAction: "remove" });
  } catch {
    json = undefined;
  }
  const isObject = typeof json === "object" && json !== null && !Array.isArray(json);
  return {
    empty: isObject && Object.keys(json as object).length === 0,
    looksLikeJson: /^\s*[{[]/.test(text),
    blank: false,
    json,
  };
}

/** The body as a JSON object, or undefined when it is something else. */
export function asObject(body: ParsedBody): Record<string, unknown> | undefined {
  const json = body.json;
  return typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
}

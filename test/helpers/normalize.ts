/**
 * Mask the fields of INFO lines that legitimately differ between two servers
 * (ids, names, versions, ports, nonces), keeping everything else byte-for-byte:
 * key order, the other keys and values, the JSON formatting and the trailing
 * space before CRLF. A missing or extra INFO field, a different key order or a
 * different value type therefore still shows up as a difference.
 */

/** Top-level INFO keys whose values are replaced by default. */
export const DEFAULT_MASKED_INFO_KEYS: readonly string[] = [
  "server_id",
  "server_name",
  "version",
  "go",
  "git_commit",
  "port",
  "client_id",
  "client_ip",
  "nonce",
];

export interface NormalizeOptions {
  /** Keys to mask (top level of the INFO object). Default DEFAULT_MASKED_INFO_KEYS. */
  maskKeys?: readonly string[];
}

/**
 * Scan one JSON value starting at `i` (whitespace already skipped); return the index
 * just after it, or -1 if the text is not well-formed enough to scan.
 */
function skipValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return skipString(s, i);
  if (c === "{" || c === "[") {
    let depth = 0;
    let j = i;
    while (j < s.length) {
      const d = s[j];
      if (d === '"') {
        j = skipString(s, j);
        if (j < 0) return -1;
        continue;
      }
      if (d === "{" || d === "[") depth++;
      else if (d === "}" || d === "]") {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return -1;
  }
  // number, true, false, null
  const m = /^[-+0-9a-zA-Z.]+/.exec(s.slice(i));
  return m === null ? -1 : i + m[0].length;
}

function skipString(s: string, i: number): number {
  let j = i + 1;
  while (j < s.length) {
    const c = s[j];
    if (c === "\\") j += 2;
    else if (c === '"') return j + 1;
    else j++;
  }
  return -1;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && /\s/.test(s[i] ?? "")) i++;
  return i;
}

/**
 * Mask values in a JSON object text. Strings become `"<key>"`, numbers `<key>`,
 * other values `<key:type>`; returns the input unchanged if it cannot be scanned.
 */
export function maskJsonObject(json: string, maskKeys: readonly string[] = DEFAULT_MASKED_INFO_KEYS): string {
  const keys = new Set(maskKeys);
  let i = skipWs(json, 0);
  if (json[i] !== "{") return json;
  let out = json.slice(0, i + 1);
  i++;
  for (;;) {
    const ws = skipWs(json, i);
    out += json.slice(i, ws);
    i = ws;
    if (json[i] === "}") return out + json.slice(i);
    if (json[i] !== '"') return json;
    const keyEnd = skipString(json, i);
    if (keyEnd < 0) return json;
    const keyText = json.slice(i, keyEnd);
    let key: string;
    try {
      key = JSON.parse(keyText) as string;
    } catch {
      return json;
    }
    let j = skipWs(json, keyEnd);
    if (json[j] !== ":") return json;
    j = skipWs(json, j + 1);
    out += json.slice(i, j);
    const valueEnd = skipValue(json, j);
    if (valueEnd < 0) return json;
    const value = json.slice(j, valueEnd);
    if (keys.has(key)) {
      const first = value[0];
      if (first === '"') out += `"<${key}>"`;
      else if (first !== undefined && /[-0-9]/.test(first)) out += `<${key}>`;
      else out += `<${key}:${first === "{" ? "object" : first === "[" ? "array" : value}>`;
    } else {
      out += value;
    }
    i = valueEnd;
    const after = skipWs(json, i);
    out += json.slice(i, after);
    i = after;
    if (json[i] === ",") {
      out += ",";
      i++;
      continue;
    }
    if (json[i] === "}") return out + json.slice(i);
    return json;
  }
}

/**
 * Normalise a received transcript: in every line that starts with `INFO` (any
 * case) followed by spaces/tabs and a JSON object, mask the volatile fields.
 * Everything outside the JSON object (including the trailing space before CRLF)
 * is kept as is.
 */
export function normalizeTranscript(text: string, options: NormalizeOptions = {}): string {
  const maskKeys = options.maskKeys ?? DEFAULT_MASKED_INFO_KEYS;
  return text.replace(/(^|\n)(INFO[ \t]+)(\{[^\r\n]*\})([ \t]*)(?=\r?\n|$)/gi, (_m, lead: string, op: string, json: string, tail: string) => {
    return `${lead}${op}${maskJsonObject(json, maskKeys)}${tail}`;
  });
}

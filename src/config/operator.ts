/**
 * Operator mode in a configuration file, as opts.go reads it: `operator` (a JWT, or the path
 * of a file holding one; or a list), `resolver: MEMORY` and `resolver_preload { <account key>:
 * <account JWT> }`. The other resolvers (the directory resolver, a URL) are not built yet and
 * are refused: starting without them would let no one in, or the wrong people.
 */
import { nonEmptyString, problem, wrongType } from "./checks.ts";
import { readBoundedFile } from "./parser.ts";
import { DEFAULT_CONFIG_LIMITS } from "./limits.ts";
import type { ConfigEntry } from "./value.ts";

/** A JWT is three base64url parts; anything else is taken as the path of a file holding one. */
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Operator JWTs: inline, or read from the file each string names. */
export function operatorJwts(entry: ConfigEntry): string[] {
  const value = entry.value;
  const items = value.kind === "array" ? value.items : [value];
  return items.map((item) => {
    if (item.kind !== "string") throw wrongType(entry, "an operator JWT or the path of its file");
    const text = item.value.trim();
    if (JWT.test(text)) return text;
    try {
      return jwtInFile(readBoundedFile(text, DEFAULT_CONFIG_LIMITS.maxFileSize));
    } catch (err) {
      throw problem(entry, `error reading operator JWT file ${JSON.stringify(text)}: ${(err as Error).message}`);
    }
  });
}

/** A JWT file may be nsc's decorated form (`-----BEGIN NATS OPERATOR JWT-----`). */
function jwtInFile(text: string): string {
  for (const line of text.split(/\r?\n/)) {
    const candidate = line.trim();
    if (JWT.test(candidate)) return candidate;
  }
  throw new Error("no JWT in the file");
}

/** `resolver`: `MEMORY` only, for now. */
export function checkResolver(entry: ConfigEntry): void {
  const value = entry.value;
  if (value.kind === "string" && value.value.trim().toUpperCase() === "MEMORY") return;
  throw problem(entry, `${JSON.stringify(entry.key)}: only the MEMORY resolver (with resolver_preload) is supported yet, and starting without the one configured would refuse every client: remove it or use MEMORY`);
}

/** `resolver_preload { <account public key>: <account JWT> }`. */
export function resolverPreload(entry: ConfigEntry): Record<string, string> {
  if (entry.value.kind !== "map") throw wrongType(entry, "a block of account keys and their JWTs");
  const out: Record<string, string> = {};
  for (const sub of entry.value.entries.values()) {
    if (!/^A[A-Z2-7]{55}$/.test(sub.key)) throw problem(sub, `${JSON.stringify(sub.key)} is not an account public key`);
    out[sub.key] = nonEmptyString(sub);
  }
  return out;
}

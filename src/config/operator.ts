/**
 * Operator mode in a configuration file, as opts.go reads it: `operator` (a JWT, or the path
 * of a file holding one; or a list), `resolver: MEMORY` or the directory resolver (`resolver {
 * type: full, dir }`), and `resolver_preload { <account key>: <account JWT> }`. The URL resolver
 * is refused: starting without it would let no one in, or the wrong people.
 */
import { nonEmptyString, problem, wrongType } from "./checks.ts";
import { readBoundedFile } from "./parser.ts";
import { DEFAULT_CONFIG_LIMITS } from "./limits.ts";
import { formatPosition, type ConfigEntry } from "./value.ts";

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

/**
 * `resolver`: `MEMORY` (undefined here), or the directory resolver's block (its directory).
 * `type: cache` keeps what it is sent like `full` here: with no other server to ask, the two
 * differ only in nats-server's eviction of the least used JWTs past `limit`.
 */
export function resolverDirectory(entry: ConfigEntry, warnings: string[]): string | undefined {
  const value = entry.value;
  if (value.kind === "string" && value.value.trim().toUpperCase() === "MEMORY") return undefined;
  if (value.kind !== "map") {
    throw problem(entry, `${JSON.stringify(entry.key)}: only MEMORY and the directory resolver (resolver { type: full, dir }) are supported; a URL resolver is not, and starting without it would refuse every client`);
  }
  let dir: string | undefined;
  let type = "full";
  for (const sub of value.entries.values()) {
    switch (sub.key.toLowerCase()) {
      case "dir":
        dir = nonEmptyString(sub);
        break;
      case "type":
        type = nonEmptyString(sub).toLowerCase();
        if (type !== "full" && type !== "cache") throw problem(sub, `Resolver type ${JSON.stringify(type)} is not supported: use full or cache`);
        break;
      case "allow_delete":
      case "interval":
      case "timeout":
      case "limit":
      case "ttl":
      case "sync":
      case "hard_delete":
        warnings.push(`${formatPosition(sub.keyPos)}: resolver ${JSON.stringify(sub.key)} is not supported yet; ignored`);
        break;
      default:
        if (!sub.usedAsVariable) throw problem(sub, `unknown field ${JSON.stringify(sub.key)}`);
    }
  }
  if (dir === undefined) throw problem(entry, "the directory resolver needs a dir");
  return dir;
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

/**
 * The directory resolver's store (nats-server's DirJWTStore, flat layout): one file per account,
 * `<dir>/<account public key>.jwt`, holding the account JWT. Read whole at start; an update is
 * written to a temporary file and renamed over the old one, so a crash leaves the old JWT or
 * the new one, never half of either.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** An account JWT is a few KB; a file far larger is not one (and is not read into memory). */
const MAX_JWT_FILE = 1024 * 1024;
const ACCOUNT_FILE = /^(A[A-Z2-7]{55})\.jwt$/;

export interface StoredJwts {
  readonly jwts: Map<string, string>;
  /** Files that are not readable account JWT files, with why (logged by the server). */
  readonly skipped: string[];
}

/** Every account JWT in `dir` (created when missing, as nats-server does). */
export function readJwtDirectory(dir: string): StoredJwts {
  mkdirSync(dir, { recursive: true });
  const jwts = new Map<string, string>();
  const skipped: string[] = [];
  for (const name of readdirSync(dir)) {
    const match = ACCOUNT_FILE.exec(name);
    if (match === null) continue;
    const path = join(dir, name);
    try {
      if (statSync(path).size > MAX_JWT_FILE) throw new Error(`larger than ${MAX_JWT_FILE} bytes`);
      jwts.set(match[1]!, readFileSync(path, "utf8").trim());
    } catch (err) {
      skipped.push(`${path}: ${(err as Error).message}`);
    }
  }
  return { jwts, skipped };
}

/** Writes `<dir>/<key>.jwt`, replacing what was there at once. */
export function writeJwt(dir: string, key: string, jwt: string): void {
  if (!/^A[A-Z2-7]{55}$/.test(key)) throw new Error(`${JSON.stringify(key)} is not an account public key`);
  const path = join(dir, `${key}.jwt`);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, jwt);
  renameSync(temporary, path);
}

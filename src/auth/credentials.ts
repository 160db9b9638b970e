/**
 * Checking secrets: passwords and tokens (plain or bcrypt, as nats-server's config allows)
 * and nkey signatures over the server's nonce. Plain secrets are compared in constant time.
 *
 * bcryptjs and @nats-io/nkeys load on first need, not with this module: together they cost
 * ~40 ms and ~10 MB at start-up, and most servers use neither. A bcrypt check is asynchronous
 * anyway, so bcryptjs comes through `import()`; an nkey check is synchronous, so nkeys (a
 * CommonJS package, the same instance as an `import` of it elsewhere) comes through `require`.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { requireOnUse } from "../base/require-on-use.ts";

let nkeys: typeof import("@nats-io/nkeys") | undefined;
let bcrypt: Promise<typeof import("bcryptjs").default> | undefined;

/** nats-server treats a configured secret starting with `$2` followed by a cost as bcrypt (auth.go). */
const BCRYPT_PREFIX = /^\$2[abxy]?\$\d\d\$/;

export function isBcrypt(secret: string): boolean {
  return BCRYPT_PREFIX.test(secret);
}

/** Constant time whatever the lengths: both sides are hashed to the same size first. */
function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a, "utf8").digest();
  const db = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

/**
 * Does `given` (from CONNECT) match `configured`? bcrypt hashes are checked asynchronously
 * (bcryptjs yields to the event loop, so a login does not stall other clients).
 */
export function checkSecret(given: string, configured: string): boolean | Promise<boolean> {
  if (isBcrypt(configured)) return loadBcrypt().then((b) => b.compare(given, configured));
  return constantTimeEqual(given, configured);
}

/** bcryptjs, loading from the first call: when a bcrypt secret is configured, or the first check. */
export function loadBcrypt(): Promise<typeof import("bcryptjs").default> {
  // require, not import(): the CommonJS build must not contain import(), which Jest's
  // CommonJS runtime cannot run. bcryptjs ships a CommonJS build for require.
  bcrypt ??= Promise.resolve().then(
    () => requireOnUse("bcryptjs") as typeof import("bcryptjs").default,
    (err: unknown) => {
      bcrypt = undefined;
      throw err;
    },
  );
  return bcrypt;
}

/** 11 random bytes, base64url without padding: 15 characters, as nats-server's nonce (nkey.go). */
export function newNonce(): string {
  return randomBytes(11).toString("base64url");
}

/** @nats-io/nkeys, loaded on first call: when nkey users are configured, or the first check. */
export function loadNkeys(): typeof import("@nats-io/nkeys") {
  nkeys ??= requireOnUse("@nats-io/nkeys") as typeof import("@nats-io/nkeys");
  return nkeys;
}

/**
 * Verifies that `sig` is the user's ed25519 signature of `nonce`. nats-server accepts raw-url
 * and standard base64 for the signature (auth.go).
 */
export function verifyNonceSignature(nkey: string, nonce: string, sig: string): boolean {
  try {
    const key = loadNkeys().fromPublic(nkey);
    const signature = Buffer.from(sig.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    return key.verify(Buffer.from(nonce, "utf8"), signature);
  } catch {
    return false;
  }
}

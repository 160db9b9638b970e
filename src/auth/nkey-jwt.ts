/**
 * NATS JWTs signed and verified with Node's own Ed25519 (node:crypto), for the auth callout.
 *
 * @nats-io/jwt verifies and signs with tweetnacl, in JavaScript: measured here at ~24 ms per
 * verification and ~45 ms per signature on a shared core, and the callout needs one signature and
 * two verifications per connecting client, all on the event loop. Node's native Ed25519 does the
 * same in well under a millisecond. The formats are nkeys' (base32 of a prefix byte, the 32-byte
 * key and a CRC-16/XMODEM, little-endian) and nats-server's JWTs (`ed25519-nkey`: the signature
 * covers `header.body`).
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** nkeys prefix bytes of the public keys the callout deals with. */
export const NKEY_PREFIX = { account: 0 << 3, server: 13 << 3, user: 20 << 3 } as const;

/** DER wrappers that make a raw Ed25519 key a key Node can load. */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0x1fff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

function base32Decode(text: string): Uint8Array | undefined {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const v = BASE32.indexOf(ch);
    if (v < 0) return undefined;
    value = ((value << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

/** A public nkey (`U...`, `A...`, `N...`) from its raw 32 bytes. */
export function encodePublicKey(prefix: number, raw: Uint8Array): string {
  const body = new Uint8Array(33 + 2);
  body[0] = prefix;
  body.set(raw, 1);
  const crc = crc16(body.subarray(0, 33));
  body[33] = crc & 0xff;
  body[34] = crc >>> 8;
  return base32Encode(body);
}

/** The raw 32 bytes of a public nkey, if it is one (any prefix) with a valid checksum. */
export function decodePublicKey(key: string): Uint8Array | undefined {
  if (key.length !== 56) return undefined;
  const bytes = base32Decode(key);
  if (bytes?.length !== 35) return undefined;
  const crc = bytes[33]! | (bytes[34]! << 8);
  if (crc !== crc16(bytes.subarray(0, 33))) return undefined;
  return bytes.subarray(1, 33);
}

/** An Ed25519 key pair whose public half is an nkey. */
export interface NkeySigner {
  readonly publicKey: string;
  sign(data: Uint8Array): Uint8Array;
}

/** A new key pair with the given nkey prefix. */
export function newNkey(prefix: number): NkeySigner {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, randomBytes(32)]), format: "der", type: "pkcs8" });
  const raw = createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(SPKI_ED25519.length);
  return { publicKey: encodePublicKey(prefix, raw), sign: (data) => sign(null, data, privateKey) };
}

const keyCache = new Map<string, KeyObject>();
/** Issuers seen are few (an account key or two); the cap keeps a hostile stream of them bounded. */
const KEY_CACHE_MAX = 64;

function publicKeyObject(nkey: string): KeyObject | undefined {
  let key = keyCache.get(nkey);
  if (key !== undefined) return key;
  const raw = decodePublicKey(nkey);
  if (raw === undefined) return undefined;
  key = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: "der", type: "spki" });
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(nkey, key);
  return key;
}

/** A JWT's claims, as far as the callout reads them. */
export interface JwtClaims {
  iss: string;
  sub: string;
  aud?: string;
  name?: string;
  iat?: number;
  exp?: number;
  nbf?: number;
  nats?: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Decodes a JWT and verifies its signature against its `iss`; throws when it is not a valid one. */
export function decodeJwt(jwt: string): JwtClaims {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw new Error(`a JWT has 3 parts, not ${parts.length}`);
  const [h, b, s] = parts as [string, string, string];
  const header: unknown = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
  if (!isRecord(header) || (header["typ"] !== "JWT" && header["typ"] !== "jwt")) throw new Error("not a NATS JWT");
  const alg = header["alg"];
  if (alg !== "ed25519-nkey" && alg !== "ed25519") throw new Error(`unknown algorithm ${String(alg)}`);
  const claims: unknown = JSON.parse(Buffer.from(b, "base64url").toString("utf8"));
  if (!isRecord(claims) || typeof claims["iss"] !== "string" || typeof claims["sub"] !== "string") throw new Error("claims without iss or sub");
  const key = publicKeyObject(claims["iss"]);
  if (key === undefined) throw new Error("the issuer is not an nkey");
  // v2 signs header and body; v1 (ed25519) the body alone, as @nats-io/jwt and nats-server read them.
  const signed = Buffer.from(alg === "ed25519-nkey" ? `${h}.${b}` : b);
  if (!verify(null, signed, key, Buffer.from(s, "base64url"))) throw new Error("the signature does not verify");
  return claims as unknown as JwtClaims;
}

/** Encodes and signs claims (`iss`, `iat` and `jti` are set here), as an `ed25519-nkey` JWT. */
export function encodeJwt(claims: Omit<JwtClaims, "iss">, signer: NkeySigner): string {
  const body: Record<string, unknown> = { ...claims, iss: signer.publicKey, iat: Math.floor(Date.now() / 1000) };
  body["jti"] = createHash("sha256").update(JSON.stringify(body)).digest("base64url");
  const h = Buffer.from(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" })).toString("base64url");
  const b = Buffer.from(JSON.stringify(body)).toString("base64url");
  const s = Buffer.from(signer.sign(Buffer.from(`${h}.${b}`))).toString("base64url");
  return `${h}.${b}.${s}`;
}

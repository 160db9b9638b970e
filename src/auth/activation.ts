/**
 * Activation tokens: an account exports a subject with `token_req`, and each importer shows
 * a token the exporter signed for it (nats-server accounts.go `checkActivation`, jwt's
 * `Import.Validate`). Only an import whose token passes every check here is linked.
 */
import { isSubjectSubset } from "../core/account-links.ts";

/** The parts of a decoded JWT an activation check reads. */
export interface ActivationClaims {
  iss: string;
  sub: string;
  iat?: number;
  exp?: number;
  nbf?: number;
  nats?: Record<string, unknown>;
}

/** What the exporting account's JWT says that bears on a token. */
export interface ActivationIssuer {
  readonly key: string;
  readonly signingKeys: ReadonlyMap<string, unknown>;
  /** The export's `revocations`: importer key (or `*`) → seconds; tokens issued at or before are revoked. */
  readonly revocations: Readonly<Record<string, number>>;
}

/** One import of an account JWT as written: its type, the subject it checks against the token, and the token. */
export interface ImportWithToken {
  readonly importer: string;
  readonly kind: "stream" | "service";
  /** The import's `subject`, or a service import's `to` when set (jwt's Import.Validate). */
  readonly subject: string;
  readonly token: string;
}

/**
 * What makes an account JWT carrying this import invalid as a whole (jwt's `Import.Validate`
 * errors, which nats-server treats as blocking: the account is not loaded and its users are
 * refused): a token that does not decode, issued neither by the exporter nor naming it as
 * `issuer_account`, for another account, of the other kind, or for a subject that does not
 * cover the import's. Undefined when none of these holds.
 */
export function tokenProblem(imp: ImportWithToken, exporter: string, decode: (jwt: string) => ActivationClaims): string | undefined {
  const checked = decodeToken(imp, exporter, decode);
  return typeof checked === "string" ? checked : undefined;
}

/** The token's claims when {@link tokenProblem} finds nothing, or the problem. */
function decodeToken(imp: ImportWithToken, exporter: string, decode: (jwt: string) => ActivationClaims): ActivationClaims | string {
  let claims: ActivationClaims;
  try {
    claims = decode(imp.token.trim());
  } catch {
    return `import ${JSON.stringify(imp.subject)} contains an invalid activation token`;
  }
  const nats = claims.nats ?? {};
  if (!(claims.iss === exporter || nats["issuer_account"] === exporter)) return `activation token doesn't match account for import ${JSON.stringify(imp.subject)}`;
  if (claims.sub !== imp.importer) return `activation token doesn't match account it is being included in, ${JSON.stringify(imp.subject)}`;
  if (nats["kind"] !== imp.kind) return `mismatch between token import type ${String(nats["kind"])} and type of import ${imp.kind}`;
  const subject = nats["subject"];
  if (typeof subject !== "string" || !isSubjectSubset(imp.subject, subject)) return `activation token import subject ${JSON.stringify(subject)} doesn't match import ${JSON.stringify(imp.subject)}`;
  return claims;
}

/**
 * Whether `token` activates the import, given that {@link tokenProblem} found nothing: signed
 * by the exporter itself or by one of its signing keys, neither expired nor not yet valid, and
 * not revoked by the export (accounts.go `checkActivation`). `decode` verifies the signature.
 */
export function isActivated(imp: ImportWithToken, exporter: ActivationIssuer, decode: (jwt: string) => ActivationClaims, now: number): boolean {
  const claims = decodeToken(imp, exporter.key, decode);
  if (typeof claims === "string") return false;
  const nats = claims.nats ?? {};
  if (nats["type"] !== "activation") return false;
  if (claims.iss !== exporter.key && !exporter.signingKeys.has(claims.iss)) return false;
  if (claims.exp !== undefined && claims.exp !== 0 && claims.exp * 1000 <= now) return false;
  if (claims.nbf !== undefined && claims.nbf !== 0 && claims.nbf * 1000 > now) return false;
  const revokedAt = exporter.revocations[claims.sub] ?? exporter.revocations["*"];
  return revokedAt === undefined || (claims.iat ?? 0) > revokedAt;
}

/**
 * Account claim updates and lookups in operator mode, as nats-server's resolvers answer them in
 * the system account (accounts.go DirAccResolver.Start, events.go accountClaimUpdate):
 *
 * - `$SYS.REQ.ACCOUNT.<key>.CLAIMS.UPDATE` (and the older `$SYS.ACCOUNT.<key>.CLAIMS.UPDATE`):
 *   the body is the account JWT. The MEMORY resolver takes it for accounts it already has ("jwt
 *   update skipped" for others); the directory resolver for any account, and stores it.
 * - with the directory resolver: `$SYS.REQ.CLAIMS.UPDATE` (the key is the JWT's subject, what
 *   `nsc push` sends), `$SYS.REQ.ACCOUNT.<key>.CLAIMS.LOOKUP` (the JWT, or an empty answer), and
 *   `$SYS.REQ.CLAIMS.LIST` (every key held).
 *
 * An update older than the JWT held is kept out but answered "jwt updated", as nats-server's
 * store does. A taken update applies at once: limits, exports and imports, and every client of
 * the account is authenticated again, so a revoked user or an expired account is cut.
 */
import type { AccountDefinition } from "../core/accounts.ts";
import type { TrustedOperators } from "../auth/operator.ts";
import { writeJwt } from "../auth/jwt-directory.ts";
import type { SystemServices } from "./system-account.ts";

export interface ClaimsHost {
  readonly trusted: TrustedOperators;
  /** The directory of the directory resolver; undefined for MEMORY. */
  readonly dir: string | undefined;
  /** Takes on an account's new definition and checks its clients again. */
  apply(key: string, definition: AccountDefinition): void;
  log(level: "debug" | "error", text: string): void;
}

export function serveClaims(system: SystemServices, host: ClaimsHost): void {
  const respond = (reply: string, account: string, message: string, error?: string): void => {
    if (error === undefined) host.log("debug", `${message} - ${account}`);
    else host.log("error", `${message} - ${account} - ${error}`);
    if (reply === "") return;
    if (error === undefined) system.reply(reply, { data: { account, code: 200, message } });
    else system.reply(reply, { error: { account, code: 500, description: `${message} - ${error}` } });
  };
  const update = (reply: string, jwt: string, expectedKey: string | undefined): void => {
    const account = expectedKey ?? "n/a";
    if (jwt.trim() === "") return respond(reply, account, "jwt update error", "request body is empty");
    const result = host.trusted.update(jwt, expectedKey, host.dir === undefined);
    if (result === "unknown") return respond(reply, account, "jwt update skipped");
    if (result === "older") return respond(reply, account, "jwt updated");
    if (typeof result === "string") return respond(reply, account, "jwt update resulted in error", result);
    if (host.dir !== undefined) {
      try {
        writeJwt(host.dir, result.key, jwt.trim());
      } catch (err) {
        return respond(reply, result.key, "jwt update resulted in error", (err as Error).message);
      }
    }
    host.apply(result.key, result.definition);
    respond(reply, result.key, "jwt updated");
  };
  for (const prefix of ["$SYS.REQ.ACCOUNT.", "$SYS.ACCOUNT."]) {
    system.serve(`${prefix}*.CLAIMS.UPDATE`, (subject, reply, body) => update(reply, body, subject.split(".")[prefix === "$SYS.REQ.ACCOUNT." ? 3 : 2]));
  }
  if (host.dir === undefined) return;
  system.serve("$SYS.REQ.CLAIMS.UPDATE", (_subject, reply, body) => update(reply, body, undefined));
  system.serve("$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP", (subject, reply) => {
    if (reply === "") return;
    // An empty answer says "not here", as nats-server's.
    system.replyText(reply, host.trusted.accountJwt(subject.split(".")[3]!) ?? "");
  });
  system.serve("$SYS.REQ.CLAIMS.LIST", (_subject, reply) => {
    if (reply !== "") system.reply(reply, { data: host.trusted.accountKeys() });
  });
}

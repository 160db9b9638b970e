/**
 * Just enough of NATS's decentralized auth for a test: an operator, an account and a user,
 * as signed JWTs (ed25519-nkey), and the `.creds` text nsc would write for the user.
 */
import { createHash } from "node:crypto";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";

const b64url = (data: string | Uint8Array): string => Buffer.from(data).toString("base64url");

function encodeJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const claims: Record<string, unknown> = { iat: Math.floor(Date.now() / 1000) - 60, iss: issuer.getPublicKey(), name, sub: subject, nats: { ...nats, version: 2 } };
  claims["jti"] = createHash("sha256").update(JSON.stringify(claims)).digest("base64url").slice(0, 52).toUpperCase();
  const signingInput = `${b64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }))}.${b64url(JSON.stringify(claims))}`;
  return `${signingInput}.${b64url(issuer.sign(new TextEncoder().encode(signingInput)))}`;
}

export interface TestOperator {
  /** nats-server config lines: operator, memory resolver, the account preloaded. */
  readonly serverConfig: string;
  /** A `.creds` file's text for a user of the account. */
  readonly userCreds: string;
}

export function makeOperator(): TestOperator {
  const operator = createOperator();
  const account = createAccount();
  const user = createUser();
  const operatorJwt = encodeJwt(operator, operator.getPublicKey(), "op", { type: "operator" });
  const unlimited = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const accountJwt = encodeJwt(operator, account.getPublicKey(), "acc", { type: "account", limits: unlimited });
  const userJwt = encodeJwt(account, user.getPublicKey(), "leafuser", { type: "user", pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
  const seed = new TextDecoder().decode(user.getSeed());
  return {
    serverConfig: `operator: ${operatorJwt}\nresolver: MEMORY\nresolver_preload: { ${account.getPublicKey()}: ${accountJwt} }\n`,
    userCreds: `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
  };
}

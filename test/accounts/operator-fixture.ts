/**
 * What the operator-mode tests share: nsc's "no limit" claims, official clients connecting as
 * a fresh user of an account, and the same operator and accounts as a config for nats-server.
 */
import type { TestContext } from "node:test";
import { encodeUser, fmtCreds } from "@nats-io/jwt";
import { createUser, type KeyPair } from "@nats-io/nkeys";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";

/**
 * An account JWT's limits as nsc writes them: none. (An account JWT without `limits` admits no
 * connection at all in nats-server, whose decoded limits are then zero.)
 */
export const UNLIMITED = { limits: { conn: -1, subs: -1, data: -1, payload: -1, leaf: -1, imports: -1, exports: -1, wildcards: true } };

/** A user JWT's limits as nsc writes them: none. */
export const UNLIMITED_USER = { subs: -1, data: -1, payload: -1 };

/** A .creds file for a new user of `account`, with `claims` over nsc's defaults. */
export async function credsFor(account: KeyPair, claims: Record<string, unknown> = {}): Promise<Uint8Array> {
  const user = createUser();
  return fmtCreds(await encodeUser("u", user, account, { ...UNLIMITED_USER, ...claims }), user);
}

/** An official client connected as a new user of `account`; closed when the test ends. */
export async function userIn(t: TestContext, url: string, account: KeyPair, claims: Record<string, unknown> = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: url, authenticator: credsAuthenticator(await credsFor(account, claims)), reconnect: false });
  t.after(() => nc.close());
  return nc;
}

/** nats-server's config for an operator and its accounts: the memory resolver, preloaded. */
export function natsServerOperatorConfig(operatorJwt: string, systemAccount: string, accounts: Record<string, string>): string {
  const preload = Object.entries(accounts)
    .map(([key, jwt]) => `  ${key}: "${jwt}"`)
    .join("\n");
  return `operator: "${operatorJwt}"\nsystem_account: ${systemAccount}\nresolver: MEMORY\nresolver_preload {\n${preload}\n}\n`;
}

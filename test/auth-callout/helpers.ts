/**
 * A callout service as one would write it with the official packages: it connects as an auth
 * user, answers `$SYS.REQ.USER.AUTH` by decoding the request with @nats-io/jwt and replying with a
 * signed authorization response, and decides per client by what `decide` returns.
 */
import type { TestContext } from "node:test";
import { decode, encodeAuthorizationResponse, encodeUser, type AuthorizationRequest, type ClaimsData, type User } from "@nats-io/jwt";
import { createAccount, type KeyPair } from "@nats-io/nkeys";
import { connect, errors, type NatsConnection } from "@nats-io/transport-node";

/** What the service does for one request. */
export type Decision =
  | { admit: { account: string; user?: Partial<User>; name?: string; expSeconds?: number; signer?: KeyPair; sub?: string } }
  | { error: string }
  | { silent: true }
  | { raw: string | Uint8Array };

export interface CalloutService {
  readonly nc: NatsConnection;
  /** Every decoded request, in order. */
  readonly requests: ClaimsData<AuthorizationRequest>[];
  /** Requests being answered right now, and the most at once. */
  readonly inFlight: { now: number; max: number };
  /** Milliseconds the service spent from receiving each request to answering it (its own signing included). */
  readonly busyMs: number[];
  /** Requests the service could not handle. */
  readonly failures: string[];
  /** The headers of the last request. */
  lastXkeyHeader: string | undefined;
}

export interface ServiceOptions {
  url: string;
  user?: string;
  pass?: string;
  /** How the service connects instead of user and password (operator mode: its .creds). */
  connect?: Parameters<typeof connect>[0];
  issuer: KeyPair;
  decide: (request: ClaimsData<AuthorizationRequest>) => Decision | Promise<Decision>;
  /** The service's curve key: requests arrive sealed to it and answers go back sealed. */
  curve?: KeyPair;
  /** Milliseconds to wait before answering. */
  delay?: number;
}

export async function startService(t: TestContext, options: ServiceOptions): Promise<CalloutService> {
  const nc = await connect({ servers: options.url, reconnect: false, ...(options.connect ?? { user: options.user, pass: options.pass }) });
  t.after(() => nc.close());
  const state: CalloutService = { nc, requests: [], inFlight: { now: 0, max: 0 }, failures: [], busyMs: [], lastXkeyHeader: undefined };
  nc.subscribe("$SYS.REQ.USER.AUTH", {
    callback: (err, msg) => {
      if (err !== null) return;
      void (async () => {
        state.inFlight.now++;
        state.inFlight.max = Math.max(state.inFlight.max, state.inFlight.now);
        const start = performance.now();
        try {
          await answer(start);
        } catch (err) {
          // A service that cannot read a request says nothing; the server times out.
          state.failures.push(String(err));
        } finally {
          state.inFlight.now--;
        }
      })();
      async function answer(start: number): Promise<void> {
          const serverXkey = msg.headers?.get("Nats-Server-Xkey");
          state.lastXkeyHeader = serverXkey === "" ? undefined : serverXkey;
          let data = msg.data;
          if (options.curve !== undefined && serverXkey !== undefined && serverXkey !== "") {
            const opened = options.curve.open(data, serverXkey);
            if (opened === null) throw new Error("cannot open the request");
            data = opened;
          }
          const request = decode<AuthorizationRequest>(new TextDecoder().decode(data));
          state.requests.push(request);
          if (options.delay !== undefined) await new Promise((r) => setTimeout(r, options.delay));
          const decision = await options.decide(request);
          if ("silent" in decision) return;
          if ("raw" in decision) {
            msg.respond(decision.raw);
            return;
          }
          const userNkey = request.nats.user_nkey!;
          const serverId = request.nats.server_id!.id;
          let response: string;
          if ("error" in decision) {
            response = await encodeAuthorizationResponse(userNkey, serverId, options.issuer, { error: decision.error }, {});
          } else {
            const a = decision.admit;
            const userJwt = await encodeUser(a.name ?? "callout-user", a.sub ?? userNkey, a.signer ?? options.issuer, a.user ?? {}, {
              aud: a.account,
              // JWT times are whole seconds: rounded down, "1 s from now" could already be past on a busy machine.
              ...(a.expSeconds === undefined ? {} : { exp: Math.ceil(Date.now() / 1000) + a.expSeconds }),
            });
            response = await encodeAuthorizationResponse(userNkey, serverId, options.issuer, { jwt: userJwt }, {});
          }
          let out: Uint8Array = new TextEncoder().encode(response);
          if (options.curve !== undefined && serverXkey !== undefined && serverXkey !== "") out = options.curve.seal(out, serverXkey);
          msg.respond(out);
          state.busyMs.push(performance.now() - start - (options.delay ?? 0));
      }
    },
  });
  await nc.flush();
  return state;
}

export function newIssuer(): KeyPair {
  return createAccount();
}

export function isAuthError(err: unknown): boolean {
  return err instanceof errors.AuthorizationError || /authorization violation/i.test(String(err));
}

export async function tryConnect(t: TestContext, url: string, opts: Parameters<typeof connect>[0]): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false, ...opts });
  t.after(() => nc.close());
  return nc;
}


/**
 * The limits in user and account JWTs that nats-server enforces when a client connects and
 * publishes: `src` (networks), `times` with `times_location` (hours of the day; the connection
 * is closed as expired when its window ends), `allowed_connection_types`, and `payload` (a
 * user's and an account's). Each case runs against nats-server 2.9.10 too, which has them all.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from "@nats-io/jwt";
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";
import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { startBroker } from "../helpers/broker.ts";
import { credsFor, natsServerOperatorConfig, UNLIMITED, UNLIMITED_USER } from "./operator-fixture.ts";
import { RawClient } from "../helpers/raw-client.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";


interface Fixture {
  operatorJwt: string;
  accounts: Record<string, string>;
  open: KeyPair;
  small: KeyPair;
  sys: KeyPair;
}

/** Two accounts: OPEN without limits, SMALL whose JWT allows 8-byte payloads. */
async function fixture(): Promise<Fixture> {
  const operator = createOperator();
  const open = createAccount();
  const small = createAccount();
  const sys = createAccount();
  const operatorJwt = await encodeOperator("OP", operator, { system_account: sys.getPublicKey() });
  const accounts = {
    [open.getPublicKey()]: await encodeAccount("OPEN", open, UNLIMITED, { signer: operator }),
    [small.getPublicKey()]: await encodeAccount("SMALL", small, { limits: { ...UNLIMITED.limits, payload: 8 } }, { signer: operator }),
    [sys.getPublicKey()]: await encodeAccount("SYS", sys, UNLIMITED, { signer: operator }),
  };
  return { operatorJwt, accounts, open, small, sys };
}


/** Both brokers, each with a url; nats-server only where the binary is installed. */
async function brokers(t: TestContext, f: Fixture): Promise<{ name: string; url: string }[]> {
  const ours = await startBroker(t, { operator: { operators: [f.operatorJwt], accounts: f.accounts } });
  const out = [{ name: "nats-embedded", url: ours.url }];
  if (hasNatsServer()) {
    const reference = await startNatsServer([], { config: natsServerOperatorConfig(f.operatorJwt, f.sys.getPublicKey(), f.accounts) });
    t.after(() => reference.stop());
    out.push({ name: "nats-server", url: `nats://127.0.0.1:${reference.port}` });
  }
  return out;
}

/** "ok" when the client connects, or the server's refusal. */
async function tryConnect(t: TestContext, url: string, credsFile: Uint8Array): Promise<{ outcome: string; nc?: NatsConnection }> {
  try {
    const nc = await connect({ servers: url, authenticator: credsAuthenticator(credsFile), reconnect: false });
    t.after(() => nc.close());
    return { outcome: "ok", nc };
  } catch (err) {
    return { outcome: /authorization violation/i.test(String(err)) ? "Authorization Violation" : String(err) };
  }
}

/**
 * A fixed-offset zone (`Etc/GMT-N` is UTC+N) where the hour now is about `hour`, so that ranges
 * of an hour or two around now never cross midnight there, whenever the test runs.
 */
function zoneAt(hour: number): { zone: string; offsetHours: number } {
  let offset = hour - new Date().getUTCHours();
  if (offset > 12) offset -= 24;
  if (offset < -12) offset += 24;
  return { zone: offset === 0 ? "Etc/UTC" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`, offsetHours: offset };
}

/** `HH:MM:SS` in a zone `offsetHours` from UTC, `offsetSeconds` from now. */
function clock(offsetHours: number, offsetSeconds: number): string {
  return new Date(Date.now() + offsetHours * 3_600_000 + offsetSeconds * 1000).toISOString().slice(11, 19);
}

describe("JWT limits, as nats-server enforces them", { timeout: 60_000 }, () => {
  it("src, times and allowed_connection_types decide who may connect", async (t) => {
    const f = await fixture();
    const { zone, offsetHours } = zoneAt(12);
    const at = (start: number, end: number) => ({ start: clock(offsetHours, start), end: clock(offsetHours, end) });
    const cases: [string, Record<string, unknown>, string][] = [
      ["no limits", {}, "ok"],
      ["src: loopback", { src: ["127.0.0.0/8"] }, "ok"],
      ["src: another network", { src: ["10.0.0.0/8", "192.168.0.0/16"] }, "Authorization Violation"],
      ["times: around now", { times: [at(-3600, 3600)], times_location: zone }, "ok"],
      ["times: later today only", { times: [at(3600, 7200)], times_location: zone }, "Authorization Violation"],
      ["times: one of two ranges", { times: [at(3600, 7200), at(-60, 60)], times_location: zone }, "ok"],
      ["times: an unknown location", { times: [at(-3600, 3600)], times_location: "Mars/Olympus_Mons" }, "Authorization Violation"],
      ["connection types: STANDARD", { allowed_connection_types: ["STANDARD"] }, "ok"],
      ["connection types: WEBSOCKET only", { allowed_connection_types: ["WEBSOCKET"] }, "Authorization Violation"],
      ["connection types: only unknown ones", { allowed_connection_types: ["CARRIER_PIGEON"] }, "Authorization Violation"],
      ["connection types: a known and an unknown", { allowed_connection_types: ["STANDARD", "CARRIER_PIGEON"] }, "ok"],
    ];
    for (const broker of await brokers(t, f)) {
      for (const [what, claims, expected] of cases) {
        const { outcome } = await tryConnect(t, broker.url, await credsFor(f.open, claims));
        assert.equal(outcome, expected, `${broker.name}: ${what}`);
      }
    }
  });

  it("a connection whose time window ends is closed as expired", async (t) => {
    const f = await fixture();
    const { zone, offsetHours } = zoneAt(12);
    for (const broker of await brokers(t, f)) {
      const started = Date.now();
      const window = { start: clock(offsetHours, -3600), end: clock(offsetHours, 2) };
      const { outcome, nc } = await tryConnect(t, broker.url, await credsFor(f.open, { times: [window], times_location: zone }));
      assert.equal(outcome, "ok", broker.name);
      const err = await nc!.closed();
      assert.match(String(err), /authentication expired/i, broker.name);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 500 && elapsed < 4000, `${broker.name}: closed after ${elapsed} ms`);
    }
  });

  it("a range past midnight covers both sides of it (nats-server since 2.10; 2.9 refused after midnight)", async (t) => {
    const f = await fixture();
    const ours = await startBroker(t, { operator: { operators: [f.operatorJwt], accounts: f.accounts } });
    for (const hour of [1, 23]) {
      const { zone, offsetHours } = zoneAt(hour);
      // From two hours before now until two hours after: it crosses midnight in that zone.
      const window = { start: clock(offsetHours, -2 * 3600), end: clock(offsetHours, 2 * 3600) };
      assert.ok(window.start > window.end, `the range crosses midnight: ${window.start}-${window.end}`);
      const { outcome } = await tryConnect(t, ours.url, await credsFor(f.open, { times: [window], times_location: zone }));
      assert.equal(outcome, "ok", `at about ${hour}:00 in ${zone}`);
    }
  });

  it("payload limits: the user's and the account's, whichever is tighter; the client is told", async (t) => {
    const f = await fixture();
    const cases: [string, KeyPair, Record<string, unknown>, number][] = [
      ["user payload 10", f.open, { payload: 10 }, 10],
      ["account payload 8", f.small, {}, 8],
      ["account payload 8, user payload 100", f.small, { payload: 100 }, 8],
      ["account payload 8, user payload 5", f.small, { payload: 5 }, 5],
    ];
    for (const broker of await brokers(t, f)) {
      const port = Number(new URL(broker.url).port);
      for (const [what, account, claims, limit] of cases) {
        const user = createUser();
        const jwt = await encodeUser("u", user, account, { ...UNLIMITED_USER, ...claims });
        // The official client learns the limit from an INFO after the first PONG (client.go
        // processPing) and refuses a larger message itself.
        const { outcome, nc } = await tryConnect(t, broker.url, fmtCreds(jwt, user));
        assert.equal(outcome, "ok", `${broker.name}: ${what}`);
        assert.equal(nc!.info?.max_payload, limit, `${broker.name}: ${what}: INFO max_payload`);
        const echo = nc!.subscribe("echo", { max: 1 });
        nc!.publish("echo", new Uint8Array(limit));
        for await (const m of echo) assert.equal(m.data.length, limit, `${broker.name}: ${what}`);
        assert.throws(() => nc!.publish("echo", new Uint8Array(limit + 1)), /max_payload/, `${broker.name}: ${what}`);
        // The server enforces it on a client that does not check.
        const raw = await RawClient.connect(port);
        t.after(() => raw.destroy());
        await raw.waitFor("\r\n");
        const info = JSON.parse(raw.text().split("\r\n")[0]!.slice(5)) as { nonce: string };
        const sig = Buffer.from(user.sign(new TextEncoder().encode(info.nonce))).toString("base64url");
        raw.send(`CONNECT {"jwt":"${jwt}","sig":"${sig}","verbose":false,"protocol":1}\r\nPING\r\n`);
        await raw.waitFor("PONG\r\n");
        raw.send(`PUB echo ${limit + 1}\r\n${"x".repeat(limit + 1)}\r\n`);
        await raw.waitFor("-ERR 'Maximum Payload Violation'\r\n");
        await raw.waitClosed();
      }
    }
  });
});

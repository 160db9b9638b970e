/**
 * `authorization { auth_callout { } }` in a configuration file, as nats-server's opts.go
 * parseAuthCallout reads it, and a server started from one.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createCurve } from "@nats-io/nkeys";
import { ConfigError } from "../../src/config/config-error.ts";
import { parseConfig } from "../../src/config/parser.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { startBroker } from "../helpers/broker.ts";
import { isAuthError, newIssuer, startService, tryConnect } from "./helpers.ts";

const FILE = "/etc/nats/callout.conf";

function mapped(text: string) {
  return optionsFromConfig(parseConfig(text, { file: FILE, env: {} }), { file: FILE });
}

function problemOf(text: string): string {
  try {
    mapped(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail("expected a ConfigError");
}

describe("config: auth_callout", () => {
  it("maps issuer, auth_users, account, xkey and allowed_accounts (and nats-server's aliases)", () => {
    const issuer = newIssuer().getPublicKey();
    const xkey = createCurve().getPublicKey();
    const options = mapped(`
      accounts { AUTH { users: [{ user: auth, password: pw }] }, A {} }
      authorization {
        auth_callout { issuer: ${issuer}, auth_users: [auth], account: AUTH, xkey: ${xkey}, allowed_accounts: [A] }
      }`).options;
    assert.deepEqual(options.authorization, { callout: { issuer, authUsers: ["auth"], account: "AUTH", xkey, allowedAccounts: ["A"] } });
    const aliases = mapped(`authorization { users: [{ user: auth, password: pw }], auth_hook { issuer: ${issuer}, users: [auth], acc: "$G", key: ${xkey} } }`).options;
    assert.deepEqual(aliases.authorization?.callout, { issuer, authUsers: ["auth"], account: "$G", xkey });
  });

  it("refuses what nats-server refuses: no issuer, no auth_users, bad keys, unknown fields", () => {
    const issuer = newIssuer().getPublicKey();
    assert.match(problemOf("authorization { auth_callout { auth_users: [a] } }"), /an auth callout needs an issuer/);
    assert.match(problemOf(`authorization { auth_callout { issuer: ${issuer} } }`), /needs auth_users/);
    assert.match(problemOf(`authorization { auth_callout { issuer: ${issuer}, auth_users: [a], xkey: nope } }`), /valid public curve key, got "nope"/);
    assert.match(problemOf(`authorization { auth_callout { issuer: ${issuer}, auth_users: [a], colour: blue } }`), /unknown field "colour"/);
    assert.match(problemOf(`authorization { auth_callout { issuer: ${issuer}, auth_users: a } }`), /an array of strings/);
  });

  it("a server refuses to start when auth_users or the account do not exist", async () => {
    const issuer = newIssuer().getPublicKey();
    const { createServer } = await import("../../src/index.ts");
    assert.throws(() => createServer({ authorization: { users: [{ user: "u", password: "p" }], callout: { issuer, authUsers: ["ghost"] } } }), /"ghost" is not a configured user/);
    assert.throws(() => createServer({ authorization: { users: [{ user: "u", password: "p" }], callout: { issuer, authUsers: ["u"], account: "NOPE" } } }), /"NOPE" is not a configured account/);
    assert.throws(() => createServer({ authorization: { users: [{ user: "u", password: "p" }], callout: { issuer: "nope", authUsers: ["u"] } } }), /not an account public key/);
  });

  it("a server started from the file runs the callout", async (t) => {
    const issuer = newIssuer();
    const dir = mkdtempSync(join(tmpdir(), "callout-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "nats.conf");
    writeFileSync(file, `authorization {\n  timeout: 2\n  users: [{ user: auth, password: pw }]\n  auth_callout { issuer: ${issuer.getPublicKey()}, auth_users: [auth] }\n}\n`);
    const server = await startBroker(t, { configFile: file });
    await startService(t, {
      url: server.url,
      user: "auth",
      pass: "pw",
      issuer,
      decide: (r) => (r.nats.connect_opts?.user === "ok" ? { admit: { account: "$G" } } : { error: "no" }),
    });
    await tryConnect(t, server.url, { user: "ok", pass: "" });
    await assert.rejects(tryConnect(t, server.url, { user: "ko", pass: "" }), isAuthError);
  });
});

/**
 * Private exports (`token_req`) in operator mode: an importer gets the stream or the service
 * only with an activation token the exporter signed for it, of the right kind, for a subject
 * that covers its import, unexpired and not revoked by the export. Every case is compared
 * with nats-server 2.9.10.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { encodeAccount, encodeActivation, encodeOperator } from "@nats-io/jwt";
import { createAccount, createOperator, type KeyPair } from "@nats-io/nkeys";
import type { NatsConnection } from "@nats-io/transport-node";
import { startBroker } from "../helpers/broker.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { natsServerOperatorConfig, UNLIMITED, userIn } from "./operator-fixture.ts";
const IMPORTERS = ["valid", "none", "otherAccount", "revoked", "narrower", "narrowMatch", "expired", "signingKey", "wrongKind"] as const;
type Importer = (typeof IMPORTERS)[number];
const REFUSED = "AuthorizationError: Authorization Violation";

interface Fixture {
  operatorJwt: string;
  accounts: Record<string, string>;
  exporter: KeyPair;
  importers: Record<Importer, KeyPair>;
  sys: KeyPair;
}

async function fixture(): Promise<Fixture> {
  const operator = createOperator();
  const exporter = createAccount();
  const signer = createAccount();
  const sys = createAccount();
  const importers = Object.fromEntries(IMPORTERS.map((name) => [name, createAccount()])) as Record<Importer, KeyPair>;
  const now = Math.floor(Date.now() / 1000);
  const exporterJwt = await encodeAccount(
    "EXPORTER",
    exporter,
    {
      ...UNLIMITED,
      signing_keys: [signer.getPublicKey()],
      exports: [
        // Tokens of `revoked` issued up to a minute from now are revoked.
        { name: "private", subject: "private.>", type: "stream", token_req: true, revocations: { [importers.revoked.getPublicKey()]: now + 60 } },
        { name: "rpc", subject: "rpc.private", type: "service", token_req: true },
      ],
    },
    { signer: operator },
  );
  const token = (to: KeyPair, subject: string, kind: "stream" | "service" = "stream", opts: { exp?: number } = {}, by: KeyPair = exporter) =>
    encodeActivation("act", to, by, kind, { subject, ...(by === exporter ? {} : { issuer_account: exporter.getPublicKey() }) }, opts);
  const streamImport = (subject: string, tokenJwt?: string) => ({
    name: "private",
    subject,
    account: exporter.getPublicKey(),
    type: "stream" as const,
    ...(tokenJwt === undefined ? {} : { token: tokenJwt }),
  });
  const imports: Record<Importer, object[]> = {
    valid: [streamImport("private.>", await token(importers.valid, "private.>")), { name: "rpc", subject: "rpc.private", account: exporter.getPublicKey(), type: "service", token: await token(importers.valid, "rpc.private", "service") }],
    none: [streamImport("private.>"), { name: "rpc", subject: "rpc.private", account: exporter.getPublicKey(), type: "service" }],
    otherAccount: [streamImport("private.>", await token(importers.valid, "private.>"))],
    revoked: [streamImport("private.>", await token(importers.revoked, "private.>"))],
    narrower: [streamImport("private.>", await token(importers.narrower, "private.g.>"))],
    narrowMatch: [streamImport("private.g.>", await token(importers.narrowMatch, "private.g.>"))],
    expired: [streamImport("private.>", await token(importers.expired, "private.>", "stream", { exp: now - 10 }))],
    signingKey: [streamImport("private.>", await token(importers.signingKey, "private.>", "stream", {}, signer))],
    wrongKind: [streamImport("private.>", await token(importers.wrongKind, "private.>", "service"))],
  };
  const operatorJwt = await encodeOperator("OP", operator, { system_account: sys.getPublicKey() });
  const accounts: Record<string, string> = {
    [exporter.getPublicKey()]: exporterJwt,
    [sys.getPublicKey()]: await encodeAccount("SYS", sys, UNLIMITED, { signer: operator }),
  };
  for (const name of IMPORTERS) {
    accounts[importers[name].getPublicKey()] = await encodeAccount(name, importers[name], { ...UNLIMITED, imports: imports[name] } as never, { signer: operator });
  }
  return { operatorJwt, accounts, exporter, importers, sys };
}

/** Who received what: each importer listens on the exported subjects; the exporter publishes and answers. */
async function observe(t: TestContext, url: string, f: Fixture): Promise<Record<string, string[]>> {
  const got: Record<string, string[]> = {};
  const conns: [Importer, NatsConnection][] = [];
  for (const name of IMPORTERS) {
    got[name] = [];
    let nc: NatsConnection;
    try {
      nc = await userIn(t, url, f.importers[name]);
    } catch (err) {
      got[name].push(String(err));
      continue;
    }
    nc.subscribe("private.>", { callback: (_err, msg) => void got[name]!.push(msg.subject) });
    await nc.flush();
    conns.push([name, nc]);
  }
  const exporter = await userIn(t, url, f.exporter);
  exporter.subscribe("rpc.private", { callback: (_err, msg) => void msg.respond("pong") });
  await exporter.flush();
  for (const subject of ["private.g.x", "private.y"]) exporter.publish(subject, "m");
  await exporter.flush();
  for (const [name, nc] of conns) {
    if (name !== "valid" && name !== "none") continue;
    const answer = await nc.request("rpc.private", "ping", { timeout: 500 }).then(
      (m) => m.string(),
      (err: unknown) => (/no responders|timeout/i.test(String(err)) ? "no answer" : String(err)),
    );
    got[name]!.push(`rpc: ${answer}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 150));
  for (const name of IMPORTERS) got[name]!.sort();
  return got;
}

describe("activation tokens", { timeout: 60_000 }, () => {
  it("a private export reaches only importers with a valid token, as in nats-server 2.9.10", async (t) => {
    const f = await fixture();
    const ours = await startBroker(t, { operator: { operators: [f.operatorJwt], accounts: f.accounts } });
    const seen = await observe(t, ours.url, f);
    assert.deepEqual(seen, {
      valid: ["private.g.x", "private.y", "rpc: pong"],
      none: ["rpc: no answer"],
      // A token for another account, for a subject narrower than the import, or of the other
      // kind makes the importer's JWT invalid: nats-server keeps the account out.
      otherAccount: [REFUSED],
      revoked: [],
      narrower: [REFUSED],
      narrowMatch: ["private.g.x"],
      expired: [],
      signingKey: ["private.g.x", "private.y"],
      wrongKind: [REFUSED],
    });
    if (!hasNatsServer()) return t.diagnostic("nats-server not installed: no differential");
    const reference = await startNatsServer([], { config: natsServerOperatorConfig(f.operatorJwt, f.sys.getPublicKey(), f.accounts) });
    t.after(() => reference.stop());
    assert.deepEqual(await observe(t, `nats://127.0.0.1:${reference.port}`, f), seen);
  });
});

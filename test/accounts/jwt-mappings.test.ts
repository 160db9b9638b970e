/**
 * Subject mappings in an account JWT (`mappings` claim), applied in that account only, as
 * nats-server applies them: compared with nats-server 2.9.10 on the same operator and accounts.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { encodeAccount, encodeOperator } from "@nats-io/jwt";
import { createAccount, createOperator } from "@nats-io/nkeys";
import { startBroker } from "../helpers/broker.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { natsServerOperatorConfig, UNLIMITED, userIn } from "./operator-fixture.ts";

/** Our broker and, where installed, nats-server, on the same operator and accounts: their client URLs. */
async function brokers(t: TestContext, operatorJwt: string, systemAccount: string, accounts: Record<string, string>): Promise<string[]> {
  const urls = [(await startBroker(t, { operator: { operators: [operatorJwt], accounts } })).url];
  if (hasNatsServer()) {
    const reference = await startNatsServer([], { config: natsServerOperatorConfig(operatorJwt, systemAccount, accounts) });
    t.after(() => reference.stop());
    urls.push(`nats://127.0.0.1:${reference.port}`);
  }
  return urls;
}

describe("mappings in an account JWT", { timeout: 30_000 }, () => {
  it("map what the account's clients publish, in that account only, as nats-server 2.9.10 does", async (t) => {
    const operator = createOperator();
    const mapped = createAccount();
    const plain = createAccount();
    const sys = createAccount();
    const mappings = {
      "orders.*": [{ subject: "orders.{{wildcard(1)}}.v2" }],
      "legacy.*.*": [{ subject: "modern.$1.$2", weight: 100 }],
      // Only inside cluster "east": left alone elsewhere, here and in nats-server.
      "east.only": [{ subject: "east.mapped", cluster: "east" }],
    };
    const operatorJwt = await encodeOperator("OP", operator, { system_account: sys.getPublicKey() });
    const accounts = {
      [mapped.getPublicKey()]: await encodeAccount("MAPPED", mapped, { ...UNLIMITED, mappings } as never, { signer: operator }),
      [plain.getPublicKey()]: await encodeAccount("PLAIN", plain, UNLIMITED, { signer: operator }),
      [sys.getPublicKey()]: await encodeAccount("SYS", sys, UNLIMITED, { signer: operator }),
    };
    const urls = await brokers(t, operatorJwt, sys.getPublicKey(), accounts);
    const seen: Record<string, string[]>[] = [];
    for (const url of urls) {
      const got: Record<string, string[]> = { mapped: [], plain: [] };
      for (const [name, account] of [["mapped", mapped], ["plain", plain]] as const) {
        const nc = await userIn(t, url, account);
        nc.subscribe(">", { callback: (_err, msg) => void got[name]!.push(msg.subject) });
        await nc.flush();
        for (const subject of ["orders.7", "legacy.a.b", "east.only", "other"]) nc.publish(subject);
        await nc.flush();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const list of Object.values(got)) list.sort();
      seen.push(got);
    }
    assert.deepEqual(seen[0], {
      mapped: ["east.only", "modern.a.b", "orders.7.v2", "other"],
      plain: ["east.only", "legacy.a.b", "orders.7", "other"],
    });
    if (seen.length > 1) assert.deepEqual(seen[0], seen[1]);
  });

  it("a destination with a wildcard makes the account JWT invalid: its users are refused, as by nats-server 2.9.10", async (t) => {
    const operator = createOperator();
    const bad = createAccount();
    const sys = createAccount();
    const operatorJwt = await encodeOperator("OP", operator, { system_account: sys.getPublicKey() });
    const accounts = {
      [bad.getPublicKey()]: await encodeAccount("BAD", bad, { ...UNLIMITED, mappings: { "legacy.>": [{ subject: "modern.>" }] } } as never, { signer: operator }),
      [sys.getPublicKey()]: await encodeAccount("SYS", sys, UNLIMITED, { signer: operator }),
    };
    const urls = await brokers(t, operatorJwt, sys.getPublicKey(), accounts);
    for (const url of urls) await assert.rejects(userIn(t, url, bad), /authorization violation/i, url);
  });
});

/**
 * SIGHUP with authorization, through the command line and the official client: a user removed
 * from the file is disconnected with an authorization error, a user whose permissions shrink
 * loses the subscriptions they no longer allow (with nats-server's permissions violation) and
 * stays connected, and a reload that fails (a bad file, a tls change) changes nothing.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { connect, errors, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { makeTestCerts } from "../helpers/certs.ts";
import { ready, startCli, tempDir } from "./cli-process.ts";

async function client(t: TestContext, port: number, options: ConnectionOptions): Promise<NatsConnection> {
  const nc = await connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false, timeout: 5000, ...options });
  t.after(() => nc.close());
  return nc;
}

/** The `error` statuses a connection reports, as they come. */
function statusErrors(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === "error") seen.push(String(s.error));
  })();
  return seen;
}

async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function isAuthError(err: unknown): boolean {
  return err instanceof errors.AuthorizationError || /authorization violation/i.test(String(err));
}

describe("cli: SIGHUP reloads authorization", () => {
  it("removes a user and changes another's permissions while both are connected", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "nats.conf");
    writeFileSync(
      file,
      [
        "port: -1",
        "authorization {",
        "  users: [",
        "    { user: alice, password: alice-pw, permissions: { publish: [orders.>, metrics.>], subscribe: [orders.>, metrics.>] } }",
        "    { user: bob, password: bob-pw }",
        "  ]",
        "}",
      ].join("\n"),
    );
    const cli = startCli(t, ["-c", file]);
    const port = await ready(cli);

    const alice = await client(t, port, { user: "alice", pass: "alice-pw", name: "alice" });
    const bob = await client(t, port, { user: "bob", pass: "bob-pw", name: "bob" });
    const aliceErrors = statusErrors(alice);
    const orders: string[] = [];
    const metrics: string[] = [];
    const ordersErrors: string[] = [];
    alice.subscribe("orders.>", {
      callback: (err, m) => {
        if (err === null) orders.push(m.subject);
        else ordersErrors.push(String(err));
      },
    });
    alice.subscribe("metrics.cpu", {
      callback: (err, m) => {
        if (err === null) metrics.push(m.string());
      },
    });
    bob.subscribe("anything.>", { callback: () => {} });
    await alice.flush();
    await bob.flush();
    const aliceId = alice.info?.client_id;

    // A file that does not map changes nothing: both stay connected.
    writeFileSync(file, "port: -1\nauthorization {\n  users: [{ user: alice, password: alice-pw, permissions: { subscribe: \"a..b\" } }]\n}\n");
    cli.child.kill("SIGHUP");
    await cli.waitFor(/\[ERR\] Failed to reload server configuration: .*nats\.conf:3:\d+: subject "a\.\.b" is not a valid subject/);
    await bob.flush();
    await alice.flush();

    // bob removed; alice may now only subscribe to metrics.>.
    writeFileSync(
      file,
      [
        "port: -1",
        "authorization {",
        "  users: [",
        "    { user: alice, password: alice-pw, permissions: { publish: [orders.>, metrics.>], subscribe: metrics.> } }",
        "  ]",
        "}",
      ].join("\n"),
    );
    cli.child.kill("SIGHUP");
    await cli.waitFor(/\[INF\] Reloaded: authorization users\n.*\[INF\] Reloaded server configuration/);

    // bob's connection is closed with an authorization error.
    const bobClosed = await Promise.race([bob.closed(), new Promise<string>((r) => setTimeout(() => r("still open"), 5000))]);
    assert.ok(isAuthError(bobClosed), `bob's connection ended with ${String(bobClosed)}`);
    assert.equal(bob.isClosed(), true);

    // alice loses orders.> with nats-server's permissions violation, and stays connected.
    await until(() => aliceErrors.length > 0, "alice to be told about orders.>");
    assert.match(aliceErrors[0]!, /Permissions Violation for Subscription to "orders\.>"/);
    assert.equal(alice.isClosed(), false);
    alice.publish("orders.new", "dropped: no subscription left");
    alice.publish("metrics.cpu", "42");
    await alice.flush();
    await until(() => metrics.length === 1, "alice's metrics.cpu message");
    assert.deepEqual(metrics, ["42"]);
    assert.deepEqual(orders, []);
    // The client ends the subscription with the same error.
    assert.match(ordersErrors.join(), /Permissions Violation for Subscription to "orders\.>"/);
    assert.equal(alice.info?.client_id, aliceId, "the same connection");

    // bob can no longer log in; alice still can.
    await assert.rejects(client(t, port, { user: "bob", pass: "bob-pw" }), isAuthError);
    await (await client(t, port, { user: "alice", pass: "alice-pw" })).flush();
    assert.equal(await cli.stop(), 0);
  });

  it("refuses a tls change and keeps serving, as nothing changed", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "nats.conf");
    writeFileSync(file, "port: -1\nauthorization { token: first }\n");
    const cli = startCli(t, ["-c", file]);
    const port = await ready(cli);
    const nc = await client(t, port, { token: "first" });

    const certs = makeTestCerts();
    t.after(() => certs.cleanup());
    writeFileSync(file, `port: -1\nauthorization { token: second }\ntls { cert_file: "${certs.serverCertFile}", key_file: "${certs.serverKeyFile}" }\n`);
    cli.child.kill("SIGHUP");
    await cli.waitFor(/\[ERR\] Failed to reload server configuration: config reload not supported for tls: old=<unset>, new=\{"certFile":/);
    await nc.flush();
    await (await client(t, port, { token: "first" })).flush();

    writeFileSync(file, "port: -1\nauthorization { token: second }\n");
    cli.child.kill("SIGHUP");
    await cli.waitFor(/\[INF\] Reloaded: authorization token\n/);
    assert.doesNotMatch(cli.stderr(), /first|second/, "tokens are never logged");
    // The client that logged in with the old token no longer passes.
    assert.ok(isAuthError(await nc.closed()));
    await (await client(t, port, { token: "second" })).flush();
    assert.equal(await cli.stop(), 0);
  });
});

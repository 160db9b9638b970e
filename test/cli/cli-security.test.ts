/**
 * The command line with authentication and TLS: from a configuration file (`authorization`,
 * `tls`, `no_auth_user`, in the shape nats.js's test launcher writes too) and from nats-server's
 * flags (`--user`, `--pass`, `--auth`, `--tls*`), through the official client over TCP.
 * Certificates are made at test time with openssl.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { connect, errors, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";
import { ready, readInfo, startCli, tempDir, type CliProcess } from "./cli-process.ts";

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

async function client(t: TestContext, url: string, options: ConnectionOptions = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false, timeout: 5000, ...options });
  t.after(() => nc.close());
  return nc;
}

function isAuthError(err: unknown): boolean {
  return err instanceof errors.AuthorizationError || /authorization violation/i.test(String(err));
}

/** Publishes and receives one message. */
async function roundTrip(nc: NatsConnection, subject: string): Promise<void> {
  const sub = nc.subscribe(subject, { max: 1 });
  nc.publish(subject, "ping");
  for await (const m of sub) assert.equal(m.string(), "ping");
}

/** The `error` statuses a connection reports, as they come. */
function statusErrors(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === "error") seen.push(String(s.error));
  })();
  return seen;
}

/** Waits for nats-server's ports file of `cli` in `dir`; returns the first client URL. */
async function natsUrl(cli: CliProcess, dir: string): Promise<string> {
  const path = join(dir, `nats-server_${cli.pid}.ports`);
  const deadline = Date.now() + 20_000;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`no ${path}; stderr:\n${cli.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return (JSON.parse(readFileSync(path, "utf8")) as { nats: string[] }).nats[0]!;
}

describe("cli with authorization and tls", () => {
  it("starts with an authorization + tls file: the official client gets in with the right credentials only", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "secure.conf");
    writeFileSync(
      file,
      [
        "port: -1",
        "tls {",
        `  cert_file: "${certs.serverCertFile}"`,
        `  key_file: "${certs.serverKeyFile}"`,
        `  ca_file: "${certs.caFile}"`,
        '  timeout: "2s"',
        "}",
        "ADMIN_PASS: 'admin pw'",
        "authorization {",
        "  timeout: 2",
        "  default_permissions: { publish: \"public.>\", subscribe: \"public.>\" }",
        "  users: [",
        "    { user: admin, password: $ADMIN_PASS, permissions: { publish: \">\", subscribe: \">\" } }",
        "    { user: guest, password: guest-pw }",
        "  ]",
        "}",
      ].join("\n"),
    );
    const cli = startCli(t, ["-c", file]);
    const port = await ready(cli);
    const url = `nats://127.0.0.1:${port}`;
    const info = await readInfo(port);
    assert.equal(info["tls_required"], true);
    assert.equal(info["auth_required"], true);
    const tls = { caFile: certs.caFile };

    const admin = await client(t, url, { tls, user: "admin", pass: "admin pw" });
    await roundTrip(admin, "private.x");
    const guest = await client(t, url, { tls, user: "guest", pass: "guest-pw" });
    await roundTrip(guest, "public.x");
    const guestErrors = statusErrors(guest);
    guest.publish("private.x", "no");
    await guest.flush();
    const deadline = Date.now() + 5000;
    while (guestErrors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.match(guestErrors.join(), /Permissions Violation for Publish to "private\.x"/);

    await assert.rejects(client(t, url, { tls, user: "admin", pass: "wrong" }), isAuthError);
    await assert.rejects(client(t, url, { tls, user: "nobody", pass: "guest-pw" }), isAuthError);
    await assert.rejects(client(t, url, { tls }), isAuthError);
    // Without TLS there is no way in at all.
    await assert.rejects(client(t, url, { user: "admin", pass: "admin pw", tls: null }));
    assert.equal(await cli.stop(), 0);
  });

  it("maps client certificates to users with verify_and_map", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "mtls.conf");
    writeFileSync(
      file,
      [
        "port: -1",
        `tls { cert_file: "${certs.serverCertFile}", key_file: "${certs.serverKeyFile}", ca_file: "${certs.caFile}", verify_and_map: true }`,
        'authorization { users: [{ user: "alice@example.com", permissions: { publish: "alice.>", subscribe: "alice.>" } }] }',
      ].join("\n"),
    );
    const cli = startCli(t, ["-c", file]);
    const port = await ready(cli);
    assert.doesNotMatch(cli.stderr(), /\[WRN\]/, "a user without a password is expected with verify_and_map");
    const url = `nats://127.0.0.1:${port}`;
    const alice = await client(t, url, { tls: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile } });
    await roundTrip(alice, "alice.inbox");
    await assert.rejects(client(t, url, { tls: { caFile: certs.caFile } }));
    assert.equal(await cli.stop(), 0);
  });

  it("starts with the configuration nats.js's test launcher writes for authorization users and no_auth_user", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "nats-server_auth.conf");
    // The text nats.js nst's toConf writes for
    // { authorization: { users: [{ user: "a", password: "a", permissions: { publish: "foo", subscribe: "foo" } }, { user: "b", password: "b" }] },
    //   no_auth_user: "a" } after its confDefaults.
    writeFileSync(
      file,
      [
        "authorization {",
        "  users [",
        "     {",
        "      user: a",
        "      password: a",
        "      permissions {",
        "        publish: foo",
        "        subscribe: foo",
        "       }",
        "     }",
        "     {",
        "      user: b",
        "      password: b",
        "     }",
        "   ]",
        " }",
        "no_auth_user: a",
        'host: "127.0.0.1"',
        "port: -1",
        'http: "127.0.0.1:-1"',
        "leafnodes {",
        '  listen: "127.0.0.1:-1"',
        " }",
        "server_tags [",
        "  id:NAMFO3XWV6YG6SHYVXT6XO",
        " ]",
        `ports_file_dir: ${dir}`,
      ].join("\n"),
    );
    const cli = startCli(t, ["-c", file]);
    const url = await natsUrl(cli, dir);
    const port = await ready(cli);
    assert.equal(url, `nats://127.0.0.1:${port}`);
    // With a no_auth_user, INFO does not ask for credentials (nats-server does the same).
    assert.equal((await readInfo(port))["auth_required"], undefined);

    // No credentials: the client is user a, limited to foo.
    const anonymous = await client(t, url);
    await roundTrip(anonymous, "foo");
    const anonymousErrors = statusErrors(anonymous);
    anonymous.subscribe("bar", { callback: () => {} });
    await anonymous.flush();
    const deadline = Date.now() + 5000;
    while (anonymousErrors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.match(anonymousErrors.join(), /Permissions Violation for Subscription to "bar"/);

    const b = await client(t, url, { user: "b", pass: "b" });
    await roundTrip(b, "bar");
    await assert.rejects(client(t, url, { user: "b", pass: "wrong" }), isAuthError);
    assert.equal(await cli.stop(), 0);
  });
});

describe("cli authentication and tls flags", () => {
  it("--user/--pass and --tls/--tlscert/--tlskey: TLS with a user, as nats-server", async (t) => {
    const cli = startCli(t, ["-p", "-1", "--user", "ops", "--pass", "s3cr3t", "--tls", "--tlscert", certs.serverCertFile, "--tlskey", certs.serverKeyFile]);
    const port = await ready(cli);
    const url = `nats://127.0.0.1:${port}`;
    const info = await readInfo(port);
    assert.equal(info["tls_required"], true);
    assert.equal(info["tls_verify"], undefined);
    await roundTrip(await client(t, url, { tls: { caFile: certs.caFile }, user: "ops", pass: "s3cr3t" }), "x");
    await assert.rejects(client(t, url, { tls: { caFile: certs.caFile }, user: "ops", pass: "nope" }), isAuthError);
    assert.equal(await cli.stop(), 0);
  });

  it("--auth over the file's token, --tlsverify with --tlscacert: mutual TLS", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "nats.conf");
    writeFileSync(file, "port: -1\nauthorization { token: from-file }\n");
    const cli = startCli(t, ["-c", file, "--auth", "from-flag", "--tlsverify", "--tlscert", certs.serverCertFile, "--tlskey", certs.serverKeyFile, "--tlscacert", certs.caFile]);
    const port = await ready(cli);
    const url = `nats://127.0.0.1:${port}`;
    assert.equal((await readInfo(port))["tls_verify"], true);
    const mtls = { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
    await roundTrip(await client(t, url, { tls: mtls, token: "from-flag" }), "x");
    await assert.rejects(client(t, url, { tls: mtls, token: "from-file" }), isAuthError);
    await assert.rejects(client(t, url, { tls: { caFile: certs.caFile }, token: "from-flag" }));
    assert.equal(await cli.stop(), 0);
  });

  it("exits 1 with nats-server's message for TLS flags without a certificate, and for a password without a user", async (t) => {
    const tls = startCli(t, ["-p", "-1", "--tlsverify"]);
    assert.equal(await tls.exitCode(), 1);
    assert.equal(tls.stderr(), "nats-embedded: TLS Server certificate must be present and valid (--tlscert)\n");
    const pass = startCli(t, ["-p", "-1", "--pass", "x"]);
    assert.equal(await pass.exitCode(), 1);
    assert.match(pass.stderr(), /--pass needs --user/);
    const missing = startCli(t, ["-p", "-1", "--tls", "--tlscert", "/nonexistent.pem", "--tlskey", "/nonexistent.key"]);
    assert.equal(await missing.exitCode(), 1);
    assert.match(missing.stderr(), /\[ERR\] .*cannot read \/nonexistent\.pem/);
  });
});

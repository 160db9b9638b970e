/**
 * The security blocks mapped onto options as nats-server reads them (server/opts.go
 * parseAuthorization, parseUsers, parseUserPermissions, parseAllowResponses, parseTLS):
 * `authorization`, per-user and default `permissions`, `no_auth_user`, `tls`; what is refused
 * (anything whose absence would let in a client, certificate or cipher the file keeps out),
 * what is only warned about, and type errors naming key, file, line and column.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createUser } from "@nats-io/nkeys";
import { ConfigError } from "../../src/config/config-error.ts";
import { parseConfig } from "../../src/config/parser.ts";
import { optionsFromConfig, type MappedConfig } from "../../src/config/to-options.ts";
import { createServer } from "../../src/server/server.ts";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";

const FILE = "/etc/nats/secure.conf";

function mapped(text: string, env: Record<string, string> = {}): MappedConfig {
  return optionsFromConfig(parseConfig(text, { file: FILE, env }), { file: FILE });
}

/** Asserts the mapping fails at `line`:`column` with `problem` (the first problem). */
function mappingError(text: string, problem: RegExp, line: number, column: number, key?: string): ConfigError {
  let caught: unknown;
  try {
    mapped(text);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.match(caught.problem, problem);
  assert.deepEqual([caught.file, caught.line, caught.column], [FILE, line, column], caught.message);
  if (key !== undefined) assert.equal(caught.key, key);
  assert.ok(caught.message.startsWith(`${FILE}:${line}:${column}: `), caught.message);
  return caught;
}

describe("config: authorization", () => {
  it("maps a token, or a user and password (any key case, nats-server's aliases)", () => {
    assert.deepEqual(mapped("authorization { token: s3cr3t }").options, { authorization: { token: "s3cr3t" } });
    assert.deepEqual(mapped("Authorization { USERNAME: alice, Pass: pw }").options, { authorization: { user: "alice", password: "pw" } });
    assert.deepEqual(mapped("authorization { user: alice, password: $2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG }").options, {
      authorization: { user: "alice", password: "$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG" },
    });
  });

  it("maps timeout: seconds (integer or float) or a duration string, to milliseconds; 0 is the default", () => {
    assert.deepEqual(mapped("authorization { token: t, timeout: 3 }").options.authorization, { token: "t", timeout: 3000 });
    assert.deepEqual(mapped("authorization { token: t, timeout: 0.5 }").options.authorization, { token: "t", timeout: 500 });
    assert.deepEqual(mapped('authorization { token: t, timeout: "250ms" }').options.authorization, { token: "t", timeout: 250 });
    assert.deepEqual(mapped("authorization { token: t, timeout: 0 }").options.authorization, { token: "t" });
    const { warnings } = mapped("authorization {\n  token: t\n  timeout: 1m\n}");
    assert.deepEqual(warnings, [
      `${FILE}:3:3: "authorization.timeout" of 277h46m40s is high, consider keeping it under 60 seconds (an unquoted 1m is one million seconds: write "1m")`,
    ]);
  });

  it("maps users with passwords, bcrypt hashes and nkeys, each with permissions", () => {
    const nkey = createUser().getPublicKey();
    const { options, warnings } = mapped(`
      authorization {
        users: [
          { user: alice, password: pw1, permissions: { publish: "orders.>", subscribe: ["orders.>", "_INBOX.>"] } }
          { username: bob, pass: pw2 }
          { nkey: ${nkey}, permission: { sub: { allow: ["svc.>"], deny: ["svc.admin.>"] } } }
        ]
      }`);
    assert.deepEqual(warnings, []);
    assert.deepEqual(options.authorization, {
      users: [
        { user: "alice", password: "pw1", permissions: { publish: { allow: ["orders.>"] }, subscribe: { allow: ["orders.>", "_INBOX.>"] } } },
        { user: "bob", password: "pw2" },
        { nkey, permissions: { subscribe: { allow: ["svc.>"], deny: ["svc.admin.>"] } } },
      ],
    });
  });

  it("gives the default permissions to every user without permissions of its own, whatever the key order", () => {
    for (const order of ["before", "after"]) {
      const defaults = 'default_permissions: { publish: ["public.>"] }';
      const users = "users: [{ user: a, password: a }, { user: b, password: b, permissions: { publish: b } }, { user: c, password: c, permissions: {} }]";
      const { options } = mapped(`authorization {\n${order === "before" ? `${defaults}\n${users}` : `${users}\n${defaults}`}\n}`);
      assert.deepEqual(
        options.authorization?.users?.map((u) => u.permissions),
        // An empty permissions block is the user's own: everything allowed, as nats-server.
        [{ publish: { allow: ["public.>"] } }, { publish: { allow: ["b"] } }, {}],
        order,
      );
    }
    // `permissions` is an alias of `default_permissions`.
    assert.deepEqual(mapped("authorization { permissions { sub: x }, users: [{ user: a, password: a }] }").options.authorization?.users, [
      { user: "a", password: "a", permissions: { subscribe: { allow: ["x"] } } },
    ]);
  });

  it("enforces permissions given with a single user (nats-server ignores them) as a one-user list", () => {
    assert.deepEqual(mapped("authorization { user: a, password: b, permissions { publish: x } }").options.authorization, {
      users: [{ user: "a", password: "b", permissions: { publish: { allow: ["x"] } } }],
    });
  });

  it("maps no_auth_user onto a user of the list, wherever it is written", () => {
    const users = "authorization { users: [{ user: a, password: a }, { user: b, password: b }] }";
    assert.equal(mapped(`no_auth_user: b\n${users}`).options.authorization?.noAuthUser, "b");
    assert.equal(mapped(`${users}\nno_auth_user: a`).options.authorization?.noAuthUser, "a");
  });

  it("warns about an authorization block that sets no credentials, and a user without a password", () => {
    assert.deepEqual(mapped("authorization { timeout: 2 }").warnings, [`${FILE}:1:1: "authorization" sets no token, user or users: any client may connect`]);
    assert.deepEqual(mapped("authorization {\n  users: [\n    { user: alice }\n  ]\n}").warnings, [
      `${FILE}:3:5: user "alice" has no password: nats-embedded lets it in only through a client certificate (tls verify_and_map), where nats-server would accept its name with an empty password`,
    ]);
  });

  it("refuses combinations nats-server refuses", () => {
    mappingError("authorization { token: t, user: u, password: p }", /^cannot have a user\/pass and token/, 1, 1, "authorization");
    mappingError("authorization { user: u, password: p, users: [{ user: a, password: a }] }", /^can not have a single user\/pass and a users array/, 1, 1);
    mappingError("authorization { token: t, users: [{ user: a, password: a }] }", /^can not have a token and a users array/, 1, 1);
    mappingError("authorization {\n  users: [{ user: a, password: a }, { user: a, password: b }]\n}", /^duplicate user "a" detected/, 2, 37);
    const nkey = createUser().getPublicKey();
    const twice = `authorization { users: [{ nkey: ${nkey} }, { nkey: ${nkey} }] }`;
    mappingError(twice, /^duplicate nkey/, 1, twice.lastIndexOf("{ nkey") + 1);
    mappingError(`authorization { users: [{ nkey: ${nkey}, user: a }] }`, /^nkey users do not take usernames or passwords/, 1, 25);
    mappingError("authorization { users: [{ password: a }] }", /^user entry requires a user \(or an nkey\)/, 1, 25);
    mappingError("authorization { users: [{ nkey: UABC }] }", /^not a valid public nkey for a user: "UABC"/, 1, 25);
    // A seed, an account key, a corrupted checksum: not a user's public key.
    const corrupted = nkey.slice(0, -1) + (nkey.endsWith("A") ? "B" : "A");
    mappingError(`authorization { users: [{ nkey: ${corrupted} }] }`, /^not a valid public nkey for a user/, 1, 25);
    mappingError("no_auth_user: x", /^no_auth_user: "x" present, but users are not defined/, 1, 1, "no_auth_user");
    mappingError("no_auth_user: x\nauthorization { user: x, password: y }", /^no_auth_user: "x" present, but users are not defined/, 1, 1);
    mappingError("authorization { users: [{ user: a, password: a }] }\nno_auth_user: c", /^no_auth_user: "c" not present as user in authorization block/, 2, 1);
  });

  it("refuses what nats-server would accept without enforcing", () => {
    mappingError("authorization { password: p }", /^a password without a user: nats-server would require no authentication at all/, 1, 1);
    mappingError("authorization { user: u }", /^user "u" has no password/, 1, 1);
    mappingError("authorization { users: [] }", /^an empty users array: nats-server would let any client in without credentials/, 1, 1);
    mappingError("authorization {\n  token: t\n  permissions { publish: x }\n}", /^"authorization.permissions" would restrict nothing \(a token has no permissions/, 3, 3);
    mappingError("authorization { default_permissions { publish: x } }", /would restrict nothing \(there are no users/, 1, 17);
  });

  it("refuses the keys whose absence would let clients in", () => {
    // auth_callout is built (test/auth-callout/config.test.ts); a bad one is still refused.
    mappingError("authorization {\n  auth_callout { issuer: x }\n}", /^expected the issuer to be a valid public account nkey, got "x"/, 2, 18, "authorization.auth_callout.issuer");
    mappingError("authorization { proxy_required: true, token: t }", /^"authorization.proxy_required" is not supported \(PROXY protocol\)/, 1, 17);
    assert.deepEqual(mapped("authorization { proxy_required: false, token: t }").options.authorization, { token: "t" });
    mappingError("authorization { users: [{ user: a, password: a, clients: [STANDARD, BOGUS] }] }", /^invalid connection types \["BOGUS"\]/, 1, 49);
  });

  it("reads allowed_connection_types (and its aliases) upper-cased, for password and nkey users", () => {
    assert.deepEqual(mapped("authorization { users: [{ user: a, password: a, allowed_connection_types: [STANDARD] }] }").options.authorization, {
      users: [{ user: "a", password: "a", allowedConnectionTypes: ["STANDARD"] }],
    });
    assert.deepEqual(mapped("authorization { users: [{ user: a, password: a, connection_types: [standard, websocket, mqtt] }] }").options.authorization, {
      users: [{ user: "a", password: "a", allowedConnectionTypes: ["STANDARD", "WEBSOCKET", "MQTT"] }],
    });
    assert.deepEqual(mapped("authorization { users: [{ nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4, clients: in_process }] }").options.authorization, {
      users: [{ nkey: "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4", allowedConnectionTypes: ["IN_PROCESS"] }],
    });
  });

  it("names key, file, line and column for a value of the wrong type", () => {
    mappingError("authorization: 5", /^"authorization" must be a block, got integer 5/, 1, 1, "authorization");
    mappingError("authorization {\n  token: 5\n}", /^"authorization.token" must be a string, got integer 5/, 2, 3, "authorization.token");
    mappingError("authorization { user: [a], password: b }", /^"authorization.user" must be a string, got array/, 1, 17);
    mappingError("authorization { token: '' }", /^"authorization.token" must not be empty/, 1, 17);
    mappingError("authorization { token: t, timeout: true }", /^"authorization.timeout" must be a number of seconds or a duration such as "2s", got boolean true/, 1, 27);
    mappingError('authorization { token: t, timeout: "2x" }', /^error parsing authorization.timeout: time: unknown unit "x" in duration "2x"/, 1, 27);
    mappingError("authorization { token: t, timeout: -1 }", /^"authorization.timeout" must not be negative/, 1, 27);
    mappingError("authorization { users: { user: a } }", /^"authorization.users" must be an array of users, got block/, 1, 17);
    mappingError("authorization {\n  users: [\n    { user: a, password: a }\n    5\n  ]\n}", /^"authorization.users\[1\]" must be a block with a user and password, or an nkey, got integer 5/, 4, 5, "authorization.users[1]");
    mappingError("authorization { users: [{ user: a, password: 5 }] }", /^"authorization.users\[0\].password" must be a string, got integer 5/, 1, 36);
    mappingError("authorization { bogus: 1, token: t }", /^unknown field "bogus"/, 1, 17, "authorization.bogus");
    mappingError("authorization { users: [{ user: a, password: a, bogus: 1 }] }", /^unknown field "bogus"/, 1, 49);
    mappingError("no_auth_user: [a]", /^"no_auth_user" must be a string, got array/, 1, 1);
  });

  it("accepts keys used only as variables inside the blocks, as nats-server", () => {
    assert.deepEqual(mapped("authorization { PW: secret, users: [{ user: a, password: $PW }] }").options.authorization, {
      users: [{ user: "a", password: "secret" }],
    });
  });

  it("reports every problem of the block at once", () => {
    const err = mappingError("authorization {\n  token: 1\n  timeout: x\n  bogus: 2\n}", /^"authorization.token" must be a string/, 2, 3);
    assert.deepEqual(
      err.problems.map((p) => [p.line, p.key]),
      [
        [2, "authorization.token"],
        [3, "authorization.timeout"],
        [4, "authorization.bogus"],
      ],
    );
  });
});

describe("config: permissions", () => {
  function permissions(block: string) {
    const { options } = mapped(`authorization { users: [{ user: u, password: p, permissions: ${block} }] }`);
    return options.authorization?.users?.[0]?.permissions;
  }

  it("reads publish and subscribe as a subject, a list (allow), or { allow, deny }, with nats-server's aliases", () => {
    assert.deepEqual(permissions("{ publish: a.b, subscribe: [c, d.>] }"), { publish: { allow: ["a.b"] }, subscribe: { allow: ["c", "d.>"] } });
    assert.deepEqual(permissions("{ pub: { allow: x, deny: [y, z] }, sub: { deny: q } }"), { publish: { allow: ["x"], deny: ["y", "z"] }, subscribe: { deny: ["q"] } });
    assert.deepEqual(permissions("{ import: a, export: b }"), { publish: { allow: ["a"] }, subscribe: { allow: ["b"] } });
    // An empty block restricts nothing.
    assert.deepEqual(permissions("{ publish: {}, subscribe: { allow: [] } }"), { subscribe: { allow: [] } });
  });

  it("reads subscribe entries with a queue group", () => {
    assert.deepEqual(permissions('{ subscribe: { allow: ["jobs.* workers", "events.>"], deny: ["jobs.secret  workers"] } }'), {
      subscribe: { allow: ["jobs.* workers", "events.>"], deny: ["jobs.secret  workers"] },
    });
  });

  it("reads allow_responses: a boolean, or max and expires (0 the default, negative no limit)", () => {
    assert.deepEqual(permissions("{ allow_responses: true }"), { allowResponses: true });
    assert.deepEqual(permissions("{ allow_responses: false }"), {});
    assert.deepEqual(permissions('{ publish_allow_responses: { max: 5, expires: "1m" } }'), { allowResponses: { max: 5, expires: 60_000 } });
    assert.deepEqual(permissions('{ allow_responses: { max_msgs: 0, ttl: "0s" } }'), { allowResponses: {} });
    assert.deepEqual(permissions('{ allow_responses: { max_responses: -1, expiration: "-1s" } }'), {
      allowResponses: { max: Number.MAX_SAFE_INTEGER, expires: Number.MAX_SAFE_INTEGER },
    });
  });

  /** Expects the mapping of `permissions: <block>` to fail at the first `at` in it (a key, or a value in an array). */
  function permissionsError(block: string, problem: RegExp, at: string, key?: string): void {
    const text = `authorization { users: [{ user: u, password: p, permissions: ${block} }] }`;
    mappingError(text, problem, 1, text.indexOf(at) + 1, key);
  }

  it("rejects what nats-server rejects, naming the key", () => {
    permissionsError("5", /^"authorization.users\[0\].permissions" must be a block of publish, subscribe and allow_responses permissions, got integer 5/, "permissions", "authorization.users[0].permissions");
    permissionsError('{ publish: "a..b" }', /^subject "a..b" is not a valid subject/, '"a..b"', "authorization.users[0].permissions.publish");
    permissionsError('{ subscribe: ["a", "b c d"] }', /^subject "b c d" is not a valid subject/, '"b c d"', "authorization.users[0].permissions.subscribe[1]");
    permissionsError('{ subscribe: "a.>.b q" }', /^subject "a.>.b" is not a valid subject/, '"a.>');
    permissionsError("{ publish: [1] }", /^"authorization.users\[0\].permissions.publish\[0\]" must be a subject string, got integer 1/, "1]");
    permissionsError("{ publish: true }", /^"authorization.users\[0\].permissions.publish" must be a subject, an array of subjects, or a block with allow and deny, got boolean true/, "publish");
    permissionsError("{ publish: { allow: a, only: b } }", /^unknown field name "only" parsing subject permissions, only 'allow' or 'deny' are permitted/, "only", "authorization.users[0].permissions.publish.only");
    permissionsError("{ bogus: a }", /^unknown field "bogus" parsing permissions/, "bogus");
    permissionsError("{ allow_responses: 5 }", /^"authorization.users\[0\].permissions.allow_responses" must be a boolean or a block of max and expires, got integer 5/, "allow_responses");
    permissionsError("{ allow_responses: { expires: 5 } }", /^"authorization.users\[0\].permissions.allow_responses.expires" must be a duration string such as "2m", got integer 5/, "expires");
    permissionsError('{ allow_responses: { max: "5" } }', /^".*allow_responses.max" must be an integer, got string "5"/, "max");
    permissionsError("{ allow_responses: { often: 5 } }", /^unknown field "often" parsing permissions/, "often");
  });

  it("refuses a queue group in publish permissions (nats-server accepts one that matches nothing)", () => {
    permissionsError('{ publish: { deny: "a q" } }', /^"a q": a queue group applies to subscribe permissions only/, '"a q"');
  });
});

describe("config: tls", () => {
  let certs: TestCerts;
  before(() => {
    certs = makeTestCerts();
  });
  after(() => certs.cleanup());

  const block = (extra = ""): string => `tls {\n  cert_file: "${certs.serverCertFile}"\n  key_file: "${certs.serverKeyFile}"\n  ca_file: "${certs.caFile}"\n${extra}}`;

  it("maps cert_file, key_file, ca_file, verify, verify_and_map, timeout and handshake_first", () => {
    const { options, warnings } = mapped(block('  verify: true\n  verify_and_map: true\n  timeout: 0.5\n  handshake_first: true\n'));
    assert.deepEqual(warnings, []);
    assert.deepEqual(options.tls, {
      certFile: certs.serverCertFile,
      keyFile: certs.serverKeyFile,
      caFile: certs.caFile,
      verify: true,
      verifyAndMap: true,
      timeout: 500,
      handshakeFirst: true,
    });
    assert.equal(mapped(block('  timeout: "3s"\n')).options.tls?.timeout, 3000);
    assert.equal(mapped(block("  timeout: 2\n")).options.tls?.timeout, 2000);
    assert.equal(mapped(block("  first: \"on\"\n")).options.tls?.handshakeFirst, true);
    assert.equal(mapped(block("  immediate: off\n")).options.tls?.handshakeFirst, false);
    assert.deepEqual(mapped(block('  min_version: "1.2"\n  verify_cert_and_check_known_urls: false\n  ocsp_peer: false\n  pinned_certs: []\n')).warnings, []);
  });

  it("produces options the server starts with", async () => {
    const { options } = mapped(`port: -1\n${block("  verify: true\n")}\nauthorization { users: [{ user: a, password: b }] }`);
    const server = createServer(options);
    await server.listen();
    assert.equal(server.options.tls?.verify, true);
    await server.close();
  });

  it("warns about the keys it ignores, saying why that is safe", () => {
    const { warnings } = mapped(block("  insecure: true\n  allow_insecure_cipher_suites: false\n  connection_rate_limit: 100\n"));
    assert.deepEqual(warnings, [
      `${FILE}:5:3: "tls.insecure" is not supported; ignored (it only skips verifying the other side's certificate when nats-server is the client)`,
      `${FILE}:6:3: "tls.allow_insecure_cipher_suites" is not supported; ignored (it only matters with cipher_suites, which is refused)`,
      `${FILE}:7:3: "tls.connection_rate_limit" is not supported; ignored (TLS handshakes are not rate limited)`,
    ]);
  });

  it("refuses the keys whose absence would accept what the file excludes", () => {
    const cases: [string, RegExp][] = [
      ['cipher_suites: ["TLS_AES_128_GCM_SHA256"]', /^"tls.cipher_suites" is not supported, and ignoring it would accept cipher suites the list leaves out/],
      ['curve_preferences: ["CurveP256"]', /^"tls.curve_preferences" is not supported, and ignoring it would accept curves the list leaves out/],
      ['pinned_certs: ["a"]', /^"tls.pinned_certs" is not supported yet, and ignoring it would accept client certificates the list leaves out/],
      ["ocsp_peer: true", /^"tls.ocsp_peer" is not supported yet, and ignoring it would accept revoked client certificates/],
      ["ocsp_peer { verify: true }", /^"tls.ocsp_peer" is not supported yet/],
      ['min_version: "1.3"', /^"tls.min_version" 1.3 is not supported yet, and ignoring it would accept TLS 1.2/],
      ["verify_cert_and_check_known_urls: true", /^verify_cert_and_check_known_urls not supported in this context/],
      ['cert_store: "WindowsCurrentUser"', /^"tls.cert_store" is not supported, and the operating system's certificate store is not supported/],
      ['certs: [{ cert_file: a, key_file: b }]', /^"tls.certs" is not supported, and several certificates \(chosen by SNI\) are not supported/],
      ['handshake_first: "auto"', /^"tls.handshake_first": "auto" \(TLS first, falling back to TLS after INFO for older clients\) is not supported yet: use true or false/],
      ['handshake_first: "300ms"', /^"tls.handshake_first": "300ms" \(TLS first/],
    ];
    for (const [line, problem] of cases) mappingError(block(`  ${line}\n`), problem, 5, 3);
  });

  it("rejects what nats-server rejects, naming key, file and line", () => {
    mappingError(block("  bogus: 1\n"), /^error parsing tls config, unknown field "bogus"/, 5, 3, "tls.bogus");
    mappingError(block("  verify: 1\n"), /^"tls.verify" must be a boolean \(true\/false, yes\/no, on\/off\), got integer 1/, 5, 3, "tls.verify");
    mappingError(block('  verify_and_map: "yes"\n'), /^"tls.verify_and_map" must be a boolean/, 5, 3);
    mappingError(block("  timeout: [1]\n"), /^"tls.timeout" must be a number of seconds or a duration/, 5, 3);
    mappingError(block('  handshake_first: "maybe"\n'), /^field "tls.handshake_first"'s value "maybe" is invalid/, 5, 3);
    mappingError(block('  min_version: "1.1"\n'), /^error parsing tls config: unsupported TLS version: TLS 1.1/, 5, 3);
    mappingError(block('  min_version: "2"\n'), /^error parsing tls config: unknown version: 2/, 5, 3);
    mappingError("tls {\n  cert_file: 5\n}", /^"tls.cert_file" must be a file name, got integer 5/, 2, 3, "tls.cert_file");
    mappingError("tls: true", /^"tls" must be a block, got boolean true/, 1, 1);
  });

  it("checks the files at load time: present, a certificate that matches its key, a CA", () => {
    mappingError(`tls {\n  cert_file: "${certs.serverCertFile}"\n}`, /^missing 'key_file' in TLS configuration/, 1, 1, "tls");
    mappingError(`tls {\n  key_file: "${certs.serverKeyFile}"\n}`, /^missing 'cert_file' in TLS configuration/, 1, 1);
    mappingError("tls { timeout: 2 }", /^"tls" needs cert_file and key_file/, 1, 1);
    mappingError(`tls {\n  cert_file: "${certs.dir}/missing.pem"\n  key_file: "${certs.serverKeyFile}"\n}`, /^error opening "tls.cert_file" .*missing\.pem: ENOENT/, 2, 3, "tls.cert_file");
    mappingError(`tls {\n  cert_file: "${certs.serverCertFile}"\n  key_file: "${certs.clientKeyFile}"\n}`, /^error parsing X509 certificate\/key pair/, 1, 1);
    const notPem = join(certs.dir, "not-a-ca.pem");
    writeFileSync(notPem, "hello\n");
    mappingError(`tls {\n  cert_file: "${certs.serverCertFile}"\n  key_file: "${certs.serverKeyFile}"\n  ca_file: "${notPem}"\n}`, /^failed to parse root ca certificate/, 4, 3, "tls.ca_file");
    mappingError(`tls {\n  cert_file: "${certs.serverCertFile}"\n  key_file: "${certs.serverKeyFile}"\n  verify: true\n}`, /^"tls": verifying client certificates needs ca_file/, 1, 1);
  });

  it("the same block in websocket { } (wss), leafnodes { } and with allow_non_tls and https_port", () => {
    const inner = (extra = ""): string => `tls {\n    cert_file: "${certs.serverCertFile}"\n    key_file: "${certs.serverKeyFile}"\n${extra}  }`;
    const ws = mapped(`websocket {\n  port: -1\n  ${inner('    ca_file: "' + certs.caFile + '"\n    verify: true\n    handshake_first: true\n')}\n}`);
    assert.deepEqual(ws.options.websocket, {
      port: 0,
      // handshake_first means nothing for a WebSocket: dropped, as nats-server ignores it there.
      tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile, verify: true },
    });
    const leaf = mapped(`leafnodes {\n  port: -1\n  ${inner()}\n}`);
    assert.deepEqual(leaf.options.leafnodes?.tls, { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile });
    const top = mapped(`allow_non_tls: true\nhttps_port: -1\n${block()}`);
    assert.equal(top.options.allowNonTls, true);
    assert.equal(top.options.https, 0);
  });

  it("refuses in websocket { tls { } } what nats-server refuses, and verify_and_map (not mapped yet)", () => {
    mappingError(`websocket {\n  port: -1\n  tls {\n    cert_file: "${certs.serverCertFile}"\n  }\n}`, /^missing 'key_file' in TLS configuration$/, 3, 3, "websocket.tls");
    mappingError(`websocket {\n  port: -1\n  tls {\n    cert_file: "${certs.serverCertFile}"\n    key_file: "${certs.clientKeyFile}"\n  }\n}`, /^error parsing X509 certificate\/key pair/, 3, 3);
    mappingError(
      `websocket {\n  port: -1\n  tls {\n    cert_file: "${certs.serverCertFile}"\n    key_file: "${certs.serverKeyFile}"\n    ca_file: "${certs.caFile}"\n    verify_and_map: true\n  }\n}`,
      /^"verify_and_map" in "websocket.tls" is not supported yet/,
      3,
      3,
    );
    mappingError(`leafnodes {\n  port: -1\n  tls {\n    key_file: "${certs.serverKeyFile}"\n  }\n}`, /^missing 'cert_file' in TLS configuration$/, 3, 3);
  });

  it("produces options a server starts with: wss, leaf TLS, https monitoring, allow_non_tls", async () => {
    const tls = block();
    const { options } = mapped(`port: -1\nallow_non_tls: true\nhttps_port: -1\n${tls}\nwebsocket {\n  port: -1\n  ${tls}\n}\nleafnodes {\n  port: -1\n  ${tls}\n}`);
    const server = createServer(options);
    await server.listen();
    assert.equal(server.options.http?.secure, true);
    assert.ok(server.options.websocket?.tls !== undefined);
    assert.ok(server.options.leafnodes?.tls !== undefined);
    assert.equal(server.varz().tls_required, undefined);
    await server.close();
  });

  it("does not warn about users without a password when certificates map to users", () => {
    const users = "authorization { users: [{ user: alice }] }";
    assert.equal(mapped(users).warnings.length, 1);
    assert.deepEqual(mapped(`${block("  verify_and_map: true\n")}\n${users}`).warnings, []);
  });
});

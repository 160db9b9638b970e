/**
 * The command line: nats-server's flag syntax, flags over the configuration file, the
 * readiness line, a clean stop on signals.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { parseCommandLine, resolveSettings, type CliFlags } from "../../src/cli-args.ts";
import { startCli, ready } from "./cli-process.ts";

function flags(argv: string[]): CliFlags {
  const request = parseCommandLine(argv);
  assert.ok("flags" in request, JSON.stringify(request));
  return request.flags;
}

describe("cli arguments", () => {
  it("accepts Go-style single and double dashes, = and a value starting with a dash", () => {
    assert.deepEqual(flags(["-p", "-1", "--addr", "0.0.0.0", "-name=x", "-DV"]), {
      options: { port: 0, host: "0.0.0.0", serverName: "x" },
      debug: true,
      trace: true,
    });
    assert.deepEqual(flags(["--port=4333", "-net", "h", "--server_name", "=eq"]).options, { port: 4333, host: "h", serverName: "=eq" });
  });

  it("maps nats-server flags onto options, over the defaults", () => {
    const settings = resolveSettings(flags(["-a", "0.0.0.0", "-p", "-1", "-n", "edge-1", "--max_payload", "2048", "-DV"]));
    assert.deepEqual(settings, {
      options: { host: "0.0.0.0", port: 0, serverName: "edge-1", maxPayload: 2048 },
      debug: true,
      trace: true,
      logFile: undefined,
      portsFileDir: undefined,
    });
    assert.deepEqual(resolveSettings(flags([])), { options: { host: "127.0.0.1", port: 4222 }, debug: false, trace: false, logFile: undefined, portsFileDir: undefined });
  });

  it("reads -p 0 as the default port, as nats-server", () => {
    assert.equal(flags(["-p", "0"]).options.port, 4222);
  });

  it("reads -m/--http_port: -1 random, 0 none; keeping the host the file gave monitoring", () => {
    assert.deepEqual(flags(["-m", "8222"]).options, { http: 8222 });
    assert.deepEqual(flags(["--http_port=-1"]).options, { http: 0 });
    const file = { options: { http: { port: 1, host: "0.0.0.0" } }, cli: {} };
    assert.deepEqual(resolveSettings(flags(["-m", "8222"]), file).options.http, { port: 8222, host: "0.0.0.0" });
    assert.equal(resolveSettings(flags(["-m", "0"]), file).options.http, undefined);
  });

  it("reads -ms/--https_port as -m, for monitoring over https", () => {
    assert.deepEqual(flags(["-ms", "8222"]).options, { https: 8222 });
    assert.deepEqual(flags(["--https_port=-1"]).options, { https: 0 });
    const file = { options: { https: { port: 1, host: "0.0.0.0" } }, cli: {} };
    assert.deepEqual(resolveSettings(flags(["-ms", "8222"]), file).options.https, { port: 8222, host: "0.0.0.0" });
    assert.equal(resolveSettings(flags(["-ms", "0"]), file).options.https, undefined);
  });

  it("reads -c/--config, -l/--log and --ports_file_dir", () => {
    assert.deepEqual(flags(["-c", "a.conf", "-l", "x.log", "--ports_file_dir", "/tmp"]), { options: {}, configFile: "a.conf", logFile: "x.log", portsFileDir: "/tmp" });
    assert.deepEqual(flags(["--config=b.conf", "--log", "y.log"]), { options: {}, configFile: "b.conf", logFile: "y.log" });
  });

  it("reads boolean flags with an explicit value, and the combined ones", () => {
    assert.deepEqual(flags(["-D=false", "--trace=true"]), { options: {}, debug: false, trace: true });
    assert.deepEqual(flags(["-VV"]), { options: {}, trace: true });
    assert.deepEqual(flags(["-DVV"]), { options: {}, debug: true, trace: true });
    assert.throws(() => parseCommandLine(["-D=maybe"]), /invalid boolean value "maybe" for -D/);
  });

  it("lets flags override the file, and the file override the defaults", () => {
    const config = { options: { port: 5000, host: "0.0.0.0", maxPayload: 100 }, cli: { debug: true, trace: true, logFile: "file.log", portsFileDir: "/a" } };
    assert.deepEqual(resolveSettings(flags(["-p", "6000", "-D=false", "--ports_file_dir", "/b"]), config), {
      options: { host: "0.0.0.0", port: 6000, maxPayload: 100 },
      debug: false,
      trace: true,
      logFile: "file.log",
      portsFileDir: "/b",
    });
  });

  it("reads --user, --pass and --auth", () => {
    assert.deepEqual(flags(["--user", "alice", "--pass=pw"]), { options: {}, auth: { user: "alice", password: "pw" } });
    assert.deepEqual(flags(["-auth", "s3cr3t"]), { options: {}, auth: { token: "s3cr3t" } });
    assert.deepEqual(resolveSettings(flags(["--user", "alice", "--pass", "pw"])).options.authorization, { user: "alice", password: "pw" });
    assert.deepEqual(resolveSettings(flags(["--auth", "t"])).options.authorization, { token: "t" });
  });

  it("lets --user, --pass and --auth replace the file's, keeping the rest of its authorization", () => {
    const file = (authorization: object) => ({ options: { authorization }, cli: {} });
    // Each flag replaces its own field (nats-server's MergeOptions).
    assert.deepEqual(resolveSettings(flags(["--user", "bob"]), file({ user: "alice", password: "pw", timeout: 500 })).options.authorization, { user: "bob", password: "pw", timeout: 500 });
    // A token and a user are alternatives: the flag's drops the file's other.
    assert.deepEqual(resolveSettings(flags(["--auth", "t"]), file({ user: "alice", password: "pw" })).options.authorization, { token: "t" });
    assert.deepEqual(resolveSettings(flags(["--user", "u", "--pass", "p"]), file({ token: "t" })).options.authorization, { user: "u", password: "p" });
  });

  it("refuses authentication flags that would not protect anything, or be ignored", () => {
    assert.throws(() => resolveSettings(flags(["--pass", "p"])), /--pass needs --user \(without a user, nats-server would require no authentication at all\)/);
    assert.throws(() => resolveSettings(flags(["--user", "u"])), /--user needs --pass/);
    assert.throws(() => resolveSettings(flags(["--auth", "t", "--user", "u", "--pass", "p"])), /--auth cannot be combined with --user\/--pass/);
    assert.throws(() => resolveSettings(flags(["--auth", ""])), /--auth needs a token/);
    const users = { options: { authorization: { users: [{ user: "a", password: "a" }] } }, cli: {} };
    assert.throws(() => resolveSettings(flags(["--auth", "t"]), users), /cannot be combined with the users of the configuration file's authorization block/);
  });

  it("reads the TLS flags as nats-server: any of them turns TLS on with the flags' files, --tls=false turns it off", () => {
    assert.deepEqual(flags(["--tls", "--tlscert", "c.pem", "--tlskey=k.pem", "-tlscacert", "ca.pem", "--tlsverify"]), {
      options: {},
      tls: { enabled: true, cert: "c.pem", key: "k.pem", ca: "ca.pem", verify: true },
    });
    assert.deepEqual(resolveSettings(flags(["--tls", "--tlscert", "c.pem", "--tlskey", "k.pem"])).options.tls, { certFile: "c.pem", keyFile: "k.pem", verify: false });
    // --tlsverify implies --tls.
    assert.deepEqual(resolveSettings(flags(["--tlsverify", "--tlscert", "c.pem", "--tlskey", "k.pem", "--tlscacert", "ca.pem"])).options.tls, {
      certFile: "c.pem",
      keyFile: "k.pem",
      verify: true,
      caFile: "ca.pem",
    });
    const file = { options: { tls: { certFile: "/f/c.pem", keyFile: "/f/k.pem", caFile: "/f/ca.pem", verify: true, timeout: 500, handshakeFirst: true } }, cli: {} };
    // The flags' certificate, key, CA and verify replace the file's; its timeout and handshake_first stay.
    assert.deepEqual(resolveSettings(flags(["--tlscert", "c.pem", "--tlskey", "k.pem"]), file).options.tls, {
      certFile: "c.pem",
      keyFile: "k.pem",
      verify: false,
      timeout: 500,
      handshakeFirst: true,
    });
    assert.equal(resolveSettings(flags(["--tls=false", "--tlsverify"]), file).options.tls, undefined);
    assert.deepEqual(resolveSettings(flags([]), file).options.tls, file.options.tls);
  });

  it("refuses TLS flags without a certificate and key, as nats-server", () => {
    assert.throws(() => resolveSettings(flags(["--tls"])), /^Error: TLS Server certificate must be present and valid/);
    assert.throws(() => resolveSettings(flags(["--tlsverify", "--tlscert", "c.pem"])), /^Error: TLS Server private key must be present and valid/);
    const file = { options: { tls: { certFile: "/f/c.pem", keyFile: "/f/k.pem" } }, cli: {} };
    assert.throws(() => resolveSettings(flags(["--tlsverify"]), file), /TLS Server certificate must be present and valid/);
  });

  it("answers help and version, as flags or as nats-server's words", () => {
    assert.deepEqual(parseCommandLine(["--help"]), { help: true });
    assert.deepEqual(parseCommandLine(["-h"]), { help: true });
    assert.deepEqual(parseCommandLine(["help"]), { help: true });
    assert.deepEqual(parseCommandLine(["-v"]), { version: true });
    assert.deepEqual(parseCommandLine(["--version"]), { version: true });
    assert.deepEqual(parseCommandLine(["version"]), { version: true });
  });

  it("stops at --", () => {
    assert.deepEqual(flags(["-p", "1", "--", "-p", "2"]).options, { port: 1 });
  });

  it("rejects unknown flags, missing values, stray words and non-numeric ports", () => {
    assert.throws(() => parseCommandLine(["--bogus"]), /^Error: flag provided but not defined: -bogus$/);
    assert.throws(() => parseCommandLine(["-c"]), /flag needs an argument: -c/);
    assert.throws(() => parseCommandLine(["serve"]), /unrecognized command: "serve"/);
    assert.throws(() => parseCommandLine(["-p", "abc"]), /option "port" needs an integer/);
  });
});

describe("cli process", () => {
  it("prints 'Server is ready', serves clients, and exits 0 on SIGTERM", async (t) => {
    const cli = startCli(t, ["-a", "127.0.0.1", "-p", "-1"]);
    const port = await ready(cli);
    assert.match(cli.stderr(), /^\[\d+\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} \[INF\] Starting nats-embedded/m);
    const nc = await connect({ servers: `nats://127.0.0.1:${port}` });
    const reply = nc.subscribe("x", { max: 1 });
    nc.publish("x", "y");
    for await (const m of reply) assert.equal(m.string(), "y");
    await nc.close();
    assert.equal(await cli.stop("SIGTERM"), 0);
    assert.match(cli.stderr(), /Trapped "terminated" signal/);
  });

  it("exits 0 on SIGINT", async (t) => {
    const cli = startCli(t, ["-p", "-1"]);
    await ready(cli);
    assert.equal(await cli.stop("SIGINT"), 0);
    assert.match(cli.stderr(), /Trapped "interrupt" signal/);
  });

  it("exits non-zero with usage on a bad flag", async (t) => {
    const cli = startCli(t, ["--nope"]);
    assert.equal(await cli.exitCode(), 1);
    assert.match(cli.stderr(), /flag provided but not defined: -nope[\s\S]*Usage: nats-embedded/);
  });

  it("prints the usage on --help and the version on --version", async (t) => {
    const help = startCli(t, ["--help"]);
    assert.equal(await help.exitCode(), 0);
    assert.match(help.stdout(), /-c, --config <file>[\s\S]*--ports_file_dir <dir>[\s\S]*--user <user>[\s\S]*--tlsverify[\s\S]*-l, --log <file>/);
    const version = startCli(t, ["--version"]);
    assert.equal(await version.exitCode(), 0);
    assert.match(version.stdout(), /^nats-embedded: v\d+\.\d+\.\d+\n$/);
  });
});

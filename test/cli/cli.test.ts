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
    assert.match(help.stdout(), /-c, --config <file>[\s\S]*--ports_file_dir <dir>[\s\S]*-l, --log <file>/);
    const version = startCli(t, ["--version"]);
    assert.equal(await version.exitCode(), 0);
    assert.match(version.stdout(), /^nats-embedded: v\d+\.\d+\.\d+\n$/);
  });
});

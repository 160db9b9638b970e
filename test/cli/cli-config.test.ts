/**
 * The command line with a configuration file: `-c file` sets port and limits, flags override
 * it, `ports_file_dir` writes nats-server's ports file for the broker's own pid, `-l` logs to a
 * file, SIGHUP reloads, and the configuration nats.js's test launcher writes starts (with
 * warnings for what we do not support yet) and serves the official client.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { ready, readInfo, startCli, tempDir, type CliProcess } from "./cli-process.ts";

interface PortsJson {
  nats: string[];
  monitoring?: string[];
  websocket?: string[];
}

/** Waits for the ports file of `cli` in `dir` and returns its parsed JSON. */
async function portsFile(cli: CliProcess, dir: string): Promise<PortsJson> {
  const path = join(dir, `nats-server_${cli.pid}.ports`);
  const deadline = Date.now() + 20_000;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`no ${path}; stderr:\n${cli.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return JSON.parse(readFileSync(path, "utf8")) as PortsJson;
}

/** Publishes and receives one message over a connection to `url`. */
async function roundTrip(url: string): Promise<void> {
  const nc = await connect({ servers: url, timeout: 5000 });
  try {
    const sub = nc.subscribe("cfg.test", { max: 1 });
    nc.publish("cfg.test", "hello");
    for await (const m of sub) assert.equal(m.string(), "hello");
  } finally {
    await nc.close();
  }
}

describe("cli with a configuration file", () => {
  it("starts with the file's port and limits (-c)", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "nats.conf");
    writeFileSync(file, "# limits\nlisten: 127.0.0.1:-1\nmax_payload: 2KB\nserver_name: from-file\nmax_connections: 10\n");
    const cli = startCli(t, ["-c", file]);
    const port = await ready(cli);
    assert.match(cli.stderr(), new RegExp(`\\[INF\\] Using configuration file: ${file}`));
    const info = await readInfo(port);
    assert.equal(info["max_payload"], 2048);
    assert.equal(info["server_name"], "from-file");
    await roundTrip(`nats://127.0.0.1:${port}`);
    assert.equal(await cli.stop(), 0);
  });

  it("lets flags override the file", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "nats.conf");
    writeFileSync(file, "port: 1\nhost: 0.0.0.0\nmax_payload: 2KB\nserver_name: from-file\ndebug: false\n");
    const cli = startCli(t, ["--config", file, "-p", "-1", "-a", "127.0.0.1", "--max_payload", "4096", "-n", "from-flags", "-D"]);
    const port = await ready(cli);
    assert.match(cli.stderr(), /Listening for client connections on 127\.0\.0\.1:/);
    const info = await readInfo(port);
    assert.equal(info["max_payload"], 4096);
    assert.equal(info["server_name"], "from-flags");
    // -D beat `debug: false`: the client's connection is logged at [DBG].
    await cli.waitFor(/\[DBG\] .*Client connection created/);
    assert.equal(await cli.stop(), 0);
  });

  it("writes nats-server_<pid>.ports with the broker's own pid, which the official client can use, and removes it", async (t) => {
    const dir = tempDir(t);
    const ports = join(dir, "ports");
    const file = join(dir, "nats.conf");
    writeFileSync(file, `port: -1\nports_file_dir: "${ports}"\n`);
    mkdirSync(ports);
    const cli = startCli(t, ["-c", file]);
    const info = await portsFile(cli, ports);
    const port = await ready(cli);
    assert.deepEqual(info, { nats: [`nats://127.0.0.1:${port}`] });
    assert.deepEqual(readdirSync(ports), [`nats-server_${cli.pid}.ports`]);
    await roundTrip(info.nats[0]!);
    assert.equal(await cli.stop(), 0);
    assert.deepEqual(readdirSync(ports), []);
  });

  it("takes --ports_file_dir from the command line too", async (t) => {
    const dir = tempDir(t);
    const cli = startCli(t, ["-p", "-1", "--ports_file_dir", dir]);
    const info = await portsFile(cli, dir);
    await roundTrip(info.nats[0]!);
    assert.equal(await cli.stop("SIGINT"), 0);
    assert.equal(existsSync(join(dir, `nats-server_${cli.pid}.ports`)), false);
  });

  it("starts with the configuration nats.js's test launcher writes: monitoring, WebSocket and leaf port served, the rest warned about", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "nats-server_launcher.conf");
    // The shape of nats.js nst's toConf output for its default options (confDefaults).
    writeFileSync(
      file,
      [
        'host: "127.0.0.1"',
        "port: -1",
        'http: "127.0.0.1:-1"',
        "leafnodes {",
        '  listen: "127.0.0.1:-1"',
        " }",
        "server_tags [",
        "  id:abc",
        " ]",
        "websocket {",
        "  port: -1",
        "  no_tls: true",
        " }",
        `ports_file_dir: ${dir}`,
        "max_payload: 1048576",
      ].join("\n"),
    );
    const cli = startCli(t, ["-c", file]);
    const ports = await portsFile(cli, dir);
    const port = await ready(cli);
    // The warnings about the file (the server may warn about other things, as nats-server does
    // about WebSocket without TLS).
    const warnings = (cli.stderr().match(/\[WRN\] .*/g) ?? []).map((w) => w.replace(/^\[WRN\] /, "")).filter((w) => w.startsWith(file));
    assert.deepEqual(warnings, [`${file}:7:1: "server_tags" is not supported yet; ignored`]);
    assert.deepEqual(Object.keys(ports), ["nats", "monitoring", "websocket"]);
    assert.deepEqual(ports.nats, [`nats://127.0.0.1:${port}`]);
    assert.match(ports.monitoring![0]!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(ports.websocket![0]!, /^ws:\/\/127\.0\.0\.1:\d+$/);
    await roundTrip(ports.nats[0]!);
    const varz = (await (await fetch(`${ports.monitoring![0]}/varz`, { signal: AbortSignal.timeout(5000) })).json()) as Record<string, unknown>;
    assert.equal(varz["port"], port);
    assert.equal(varz["max_payload"], 1048576);
    assert.equal(await cli.stop(), 0);
    assert.deepEqual(readdirSync(dir), ["nats-server_launcher.conf"]);
  });

  it("opens the monitoring port given with -m", async (t) => {
    const dir = tempDir(t);
    const cli = startCli(t, ["-p", "-1", "-m", "-1", "--ports_file_dir", dir]);
    const ports = await portsFile(cli, dir);
    const healthz = await fetch(`${ports.monitoring![0]}/healthz`, { signal: AbortSignal.timeout(5000) });
    assert.equal(healthz.status, 200);
    assert.equal(await cli.stop(), 0);
  });

  it("reads a JSON configuration", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "nats.json");
    writeFileSync(file, JSON.stringify({ port: -1, max_payload: 3000, ports_file_dir: dir }, null, 2));
    const cli = startCli(t, ["-c", file]);
    const info = await portsFile(cli, dir);
    const port = Number(new URL(info.nats[0]!).port);
    assert.equal((await readInfo(port))["max_payload"], 3000);
    assert.equal(await cli.stop(), 0);
  });

  it("logs to a file with -l, and with logfile in the configuration", async (t) => {
    const dir = tempDir(t);
    const log = join(dir, "a.log");
    const cli = startCli(t, ["-p", "-1", "-l", log]);
    const readLog = (): string => (existsSync(log) ? readFileSync(log, "utf8") : "");
    await ready(cli, readLog);
    assert.equal(cli.stderr(), "");
    assert.equal(await cli.stop(), 0);
    assert.match(readLog(), /\[INF\] Trapped "terminated" signal/);

    const file = join(dir, "nats.conf");
    const log2 = join(dir, "b.log");
    writeFileSync(file, `port: -1\nlogfile: "${log2}"\nserver_tags: [a]\n`);
    const cli2 = startCli(t, ["-c", file]);
    await ready(cli2, () => (existsSync(log2) ? readFileSync(log2, "utf8") : ""));
    assert.match(readFileSync(log2, "utf8"), /\[WRN\] .*"server_tags" is not supported yet/);
    assert.equal(await cli2.stop(), 0);
  });

  it("exits 1 naming file, line and column for a bad configuration", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "bad.conf");
    writeFileSync(file, 'port: -1\n\n  max_payload: "big"\n');
    const cli = startCli(t, ["-c", file]);
    assert.equal(await cli.exitCode(), 1);
    assert.equal(cli.stderr(), `nats-embedded: ${file}:3:3: "max_payload" must be an integer, got string "big"\n`);

    const syntax = join(dir, "syntax.conf");
    writeFileSync(syntax, "port: -1\nlisten = [1,,2]\n");
    const cli2 = startCli(t, ["-c", syntax]);
    assert.equal(await cli2.exitCode(), 1);
    assert.match(cli2.stderr(), new RegExp(`${syntax}:2:13: Unexpected array value terminator`));

    const missing = startCli(t, ["-c", join(dir, "missing.conf")]);
    assert.equal(await missing.exitCode(), 1);
    assert.match(missing.stderr(), /missing\.conf: error opening config file .*ENOENT/);
  });

  it("refuses to start without the security the file asks for", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "auth.conf");
    writeFileSync(file, "port: -1\ntrusted_keys: [ODZWOR5RVFJ2O3QAHXCKNNOMVWH4W3MIABWBIXYLVFRSU3FXQVSA2HFN]\n");
    const cli = startCli(t, ["-c", file]);
    assert.equal(await cli.exitCode(), 1);
    assert.match(cli.stderr(), new RegExp(`${file}:2:1: "trusted_keys" is not supported yet, and this part of decentralized \\(JWT\\) authentication is not built; starting without it would let any client in`));

    writeFileSync(file, "port: -1\ntls {\n  cert_file: /nonexistent/server.pem\n  key_file: /nonexistent/server.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n}\n");
    const cli2 = startCli(t, ["-c", file]);
    assert.equal(await cli2.exitCode(), 1);
    assert.match(cli2.stderr(), new RegExp(`${file}:5:3: "tls.cipher_suites" is not supported, and ignoring it would accept cipher suites the list leaves out`));
  });
});

describe("cli signals", () => {
  it("SIGHUP reloads the file: logging changes apply, refused changes leave everything as it was", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "nats.conf");
    writeFileSync(file, "port: -1\ndebug: false\n");
    const cli = startCli(t, ["-c", file]);
    const port = await ready(cli);

    writeFileSync(file, "port: -1\ndebug: true\n");
    cli.child.kill("SIGHUP");
    await cli.waitFor(/\[INF\] Reloaded: debug = true\n.*\[INF\] Reloaded server configuration/);
    await readInfo(port);
    await cli.waitFor(/\[DBG\] .*Client connection created/);

    writeFileSync(file, "port: 1234\ndebug: true\n");
    cli.child.kill("SIGHUP");
    await cli.waitFor(/\[ERR\] Failed to reload server configuration: config reload not supported for port: old=0, new=1234/);

    writeFileSync(file, "port: -1\ndebug: true\nmax_payload: [\n");
    cli.child.kill("SIGHUP");
    await cli.waitFor(/\[ERR\] Failed to reload server configuration: .*nats\.conf:4:1: Unexpected EOF processing array/);

    writeFileSync(file, "port: -1\ndebug: true\nmax_payload: 2KB\n");
    cli.child.kill("SIGHUP");
    await cli.waitFor(/\[INF\] Reloaded: max_payload = 2048/);
    assert.equal((await readInfo(port))["max_payload"], 2048);
    await roundTrip(`nats://127.0.0.1:${port}`);
    assert.equal(await cli.stop(), 0);
  });

  it("SIGHUP moves the ports file when ports_file_dir changes", async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, "a"));
    mkdirSync(join(dir, "b"));
    const file = join(dir, "nats.conf");
    writeFileSync(file, `port: -1\nports_file_dir: "${join(dir, "a")}"\n`);
    const cli = startCli(t, ["-c", file]);
    const before = await portsFile(cli, join(dir, "a"));
    await ready(cli);
    writeFileSync(file, `port: -1\nports_file_dir: "${join(dir, "b")}"\n`);
    cli.child.kill("SIGHUP");
    assert.deepEqual(await portsFile(cli, join(dir, "b")), before);
    await cli.waitFor(/Reloaded: ports_file_dir = /);
    assert.deepEqual(readdirSync(join(dir, "a")), []);
    assert.equal(await cli.stop(), 0);
    assert.deepEqual(readdirSync(join(dir, "b")), []);
  });

  it("SIGHUP without a configuration file says so and keeps running", async (t) => {
    const cli = startCli(t, ["-p", "-1"]);
    const port = await ready(cli);
    cli.child.kill("SIGHUP");
    await cli.waitFor(/\[ERR\] Failed to reload server configuration: can only reload config when a file is provided using -c or --config/);
    await roundTrip(`nats://127.0.0.1:${port}`);
    assert.equal(await cli.stop(), 0);
  });

  it("SIGUSR2 enters lame duck mode, which ends in a clean exit; SIGTERM does not cut it short", async (t) => {
    const dir = tempDir(t);
    const file = join(dir, "nats.conf");
    writeFileSync(file, `port: -1\nlame_duck_grace_period: "1s"\nports_file_dir: "${dir}"\n`);
    const cli = startCli(t, ["-c", file]);
    await portsFile(cli, dir);
    await ready(cli);
    cli.child.kill("SIGUSR2");
    await cli.waitFor(/\[INF\] Entering lame duck mode, stop accepting new clients/);
    cli.child.kill("SIGTERM");
    assert.equal(await cli.exitCode(), 0);
    assert.doesNotMatch(cli.stderr(), /Trapped "terminated"/);
    assert.deepEqual(readdirSync(dir), ["nats.conf"]);
  });
});

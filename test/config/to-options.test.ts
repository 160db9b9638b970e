/**
 * The configuration mapped onto `createServer` options: each supported key, its type and range
 * checks (errors name key, file, line and column), warnings for keys we do not support yet,
 * and the loader that ties parsing and mapping together.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/config/config-error.ts";
import { formatGoDuration, parseGoDuration } from "../../src/config/duration.ts";
import { KeyStatus, NATS_SERVER_KEYS } from "../../src/config/keys.ts";
import { loadConfigFile } from "../../src/config/load.ts";
import { parseConfig } from "../../src/config/parser.ts";
import { optionsFromConfig, type MappedConfig } from "../../src/config/to-options.ts";
import { createServer } from "../../src/server/server.ts";

const FILE = "/etc/nats/test.conf";

/** The top-level keys of nats-server's `processConfigFileLine` (server/opts.go), aliases included. */
const NATS_SERVER_TOP_LEVEL_KEYS = [
  "listen", "client_advertise", "port", "server_name", "host", "net", "debug", "trace", "trace_verbose",
  "trace_headers", "logtime", "logtime_utc", "mappings", "maps", "disable_sublist_cache", "no_sublist_cache",
  "accounts", "default_sentinel", "authorization", "http", "https", "http_port", "monitor_port", "https_port",
  "http_base_path", "cluster", "gateway", "leaf", "leafnodes", "store_dir", "storedir", "jetstream",
  "logfile", "log_file", "logfile_size_limit", "log_size_limit", "logfile_max_num", "log_max_num", "syslog",
  "remote_syslog", "pidfile", "pid_file", "ports_file_dir", "prof_port", "prof_block_rate",
  "max_control_line", "max_payload", "max_pending", "proxy_protocol", "max_connections", "max_conn",
  "max_traced_msg_len", "max_subscriptions", "max_subs", "max_sub_tokens", "max_subscription_tokens",
  "ping_interval", "ping_max", "tls", "ocsp", "allow_non_tls", "write_deadline", "write_timeout",
  "lame_duck_duration", "lame_duck_grace_period", "operator", "operators", "roots", "root", "root_operators",
  "root_operator", "resolver", "account_resolver", "accounts_resolver", "resolver_tls", "resolver_preload",
  "resolver_pinned_accounts", "no_auth_user", "system_account", "system", "no_system_account", "no_system",
  "no_sys_acc", "no_header_support", "trusted", "trusted_keys", "connect_error_reports",
  "reconnect_error_reports", "websocket", "ws", "mqtt", "server_tags", "server_metadata", "feature_flags",
  "default_js_domain", "ocsp_cache", "no_fast_producer_stall", "max_closed_clients", "proxies"
];

function mapped(text: string, env: Record<string, string> = {}): MappedConfig {
  return optionsFromConfig(parseConfig(text, { file: FILE, env }), { file: FILE });
}

/** Asserts the mapping fails; returns the error for more checks. */
function mappingError(text: string, problem: RegExp, line: number, column: number, key?: string): ConfigError {
  let caught: ConfigError | undefined;
  assert.throws(
    () => mapped(text),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      caught = err;
      return true;
    },
  );
  const err = caught!;
  assert.match(err.problem, problem);
  assert.deepEqual([err.file, err.line, err.column], [FILE, line, column], err.message);
  if (key !== undefined) assert.equal(err.key, key);
  assert.match(err.message, new RegExp(`^${FILE.replaceAll("/", "\\/")}:${line}:${column}: `));
  return err;
}

describe("config to options: supported keys", () => {
  it("maps every supported key onto server options and command-line settings", () => {
    const { options, cli, warnings } = mapped(`
      host: 0.0.0.0
      port: 4333
      server_name: edge-1
      max_payload: 64KB
      max_pending: 32MB
      max_connections: 100
      max_control_line: 2048
      max_subscriptions: 10
      ping_interval: "30s"
      ping_max: 3
      write_deadline: "2s"
      debug: true
      trace: on
      logfile: /var/log/nats.log
      ports_file_dir: /tmp/ports
    `);
    assert.deepEqual(options, {
      host: "0.0.0.0",
      port: 4333,
      serverName: "edge-1",
      maxPayload: 65536,
      maxPending: 32 * 1024 * 1024,
      maxConnections: 100,
      maxControlLine: 2048,
      maxSubscriptions: 10,
      pingInterval: 30_000,
      pingMax: 3,
      writeDeadline: 2000,
    });
    assert.deepEqual(cli, { debug: true, trace: true, logFile: "/var/log/nats.log", portsFileDir: "/tmp/ports" });
    assert.deepEqual(warnings, []);
  });

  it("accepts nats-server's aliases and any key case", () => {
    assert.deepEqual(mapped("net: h1\nmax_conn: 5\nmax_subs: 7\nlog_file: l\nPORT: 5\nMax_Payload: 10").options, {
      host: "h1",
      maxConnections: 5,
      maxSubscriptions: 7,
      port: 5,
      maxPayload: 10,
    });
    assert.deepEqual(mapped("log_file: l\ntrace_verbose: true").cli, { logFile: "l", trace: true });
  });

  it("maps port -1 to a random port and 0 to the default port, as nats-server", () => {
    assert.equal(mapped("port: -1").options.port, 0);
    assert.equal(mapped("port: 0").options.port, 4222);
  });

  it("reads listen as host:port, :port, [v6]:port or a bare port", () => {
    assert.deepEqual(mapped("listen: 127.0.0.1:4333").options, { host: "127.0.0.1", port: 4333 });
    assert.deepEqual(mapped('listen: "127.0.0.1:-1"').options, { host: "127.0.0.1", port: 0 });
    assert.deepEqual(mapped("listen: localhost:4333").options, { host: "localhost", port: 4333 });
    assert.deepEqual(mapped("listen: :4333").options, { port: 4333 });
    assert.deepEqual(mapped('listen: "[::1]:4333"').options, { host: "::1", port: 4333 });
    assert.deepEqual(mapped("listen: 4333").options, { port: 4333 });
    assert.deepEqual(mapped("listen: -1").options, { port: 0 });
  });

  it("lets the later of listen and host/port win", () => {
    assert.deepEqual(mapped("listen: 1.2.3.4:5\nport: 6").options, { host: "1.2.3.4", port: 6 });
    assert.deepEqual(mapped("port: 6\nlisten: 1.2.3.4:5").options, { host: "1.2.3.4", port: 5 });
  });

  it("reads durations as Go durations, and integers as seconds with nats-server's warning", () => {
    assert.equal(mapped('ping_interval: "2m"').options.pingInterval, 120_000);
    assert.equal(mapped("ping_interval: 10s").options.pingInterval, 10_000);
    assert.equal(mapped('write_deadline: "500ms"').options.writeDeadline, 500);
    assert.equal(mapped('write_deadline: "1m30s"').options.writeDeadline, 90_000);
    const { options, warnings } = mapped("ping_interval: 30");
    assert.equal(options.pingInterval, 30_000);
    assert.deepEqual(warnings, [`${FILE}:1:1: invalid use of field "ping_interval": ping_interval should be converted to a duration`]);
  });

  it("warns that an unquoted 2m is two million seconds", () => {
    const { options, warnings } = mapped("write_deadline: 2m");
    assert.equal(options.writeDeadline, 2_000_000_000);
    assert.match(warnings[0]!, /2m reads as 2000000 seconds \(a size suffix\): write "2m" in quotes for a duration/);
  });

  it("takes values through variables and the environment", () => {
    assert.deepEqual(mapped("TEST_PORT = 4444\nport: $TEST_PORT\nmax_payload: $MP", { MP: "2MB" }).options, { port: 4444, maxPayload: 2 * 1024 * 1024 });
  });

  it("reads a JSON configuration", () => {
    assert.deepEqual(mapped(JSON.stringify({ port: 4444, max_payload: 2048, debug: true, write_deadline: "3s" })), {
      options: { port: 4444, maxPayload: 2048, writeDeadline: 3000 },
      cli: { debug: true },
      warnings: [],
    });
  });

  it("maps http and http_port onto the monitoring port: -1 random, 0 off", () => {
    assert.deepEqual(mapped('http: "127.0.0.1:-1"').options, { http: { port: 0, host: "127.0.0.1" } });
    assert.deepEqual(mapped("http: 8222").options, { http: 8222 });
    assert.deepEqual(mapped("http: :8222").options, { http: 8222 });
    assert.deepEqual(mapped("http_port: -1").options, { http: 0 });
    assert.deepEqual(mapped("monitor_port: 8222").options, { http: 8222 });
    assert.deepEqual(mapped("http_port: 8222\nhttp_port: 0").options, {});
    mappingError("http_port: 70000", /^"http_port" must be a port between -1 and 65535/, 1, 1);
  });

  it("maps the websocket block, as nats-server's parseWebsocket", () => {
    const { options, warnings } = mapped(`websocket {
      listen: "127.0.0.1:-1"
      no_tls: true
      compression: true
      same_origin: false
      allowed_origins: ["https://a.example.com", "http://b.example.com:8080"]
      handshake_timeout: "2s"
    }`);
    assert.deepEqual(options, {
      websocket: { port: 0, host: "127.0.0.1", noTls: true, compression: true, sameOrigin: false, allowedOrigins: ["https://a.example.com", "http://b.example.com:8080"] },
    });
    assert.deepEqual(warnings, [`${FILE}:7:7: "handshake_timeout" in "websocket" is not supported yet; ignored`]);
    assert.deepEqual(mapped("ws { port: 8080, host: 0.0.0.0, no_tls: true, origin: 'https://x.y' }").options, {
      websocket: { port: 8080, host: "0.0.0.0", noTls: true, allowedOrigins: ["https://x.y"] },
    });
    assert.deepEqual(mapped("websocket { port: 0, no_tls: true }").options, {});
    assert.deepEqual(mapped("websocket { no_tls: true }").options, {});
    assert.deepEqual(mapped("allow_non_tls: true").options, { allowNonTls: true });
  });

  it("rejects a websocket block nats-server rejects, or that would need TLS or authentication", () => {
    mappingError("\nwebsocket {\n  port: -1\n}", /^websocket requires TLS configuration$/, 2, 1);
    mappingError("websocket {\n  port: -1\n  tls { cert_file: x }\n}", /^missing 'key_file' in TLS configuration$/, 3, 3, "websocket.tls");
    mappingError("websocket {\n  port: -1\n  no_tls: true\n  authorization { token: x }\n}", /^"authorization" in "websocket" is not supported yet, and starting without it would let any client in/, 4, 3);
    mappingError("websocket {\n  port: -1\n  no_tls: true\n  bogus: 1\n}", /^unknown field "bogus"/, 4, 3);
    mappingError("websocket {\n  port: x\n  no_tls: 1\n}", /^"port" must be an integer/, 2, 3);
    mappingError("websocket {\n  port: -1, no_tls: true\n  allowed_origins: [1]\n}", /^error parsing allowed origins: expected strings, got integer 1/, 3, 3);
    mappingError("websocket {\n  port: -1, no_tls: true\n  allowed_origins: 'not a url'\n}", /^unable to parse allowed origin "not a url"/, 3, 3);
    mappingError("websocket: 8080", /^"websocket" must be a block, got integer 8080/, 1, 1);
  });

  it("maps lame duck mode's durations, which must be strings, as nats-server", () => {
    assert.deepEqual(mapped('lame_duck_duration: "30s"\nlame_duck_grace_period: "0s"').options, { lameDuckDuration: 30_000, lameDuckGracePeriod: 0 });
    assert.deepEqual(mapped('lame_duck_duration: "2m"\nlame_duck_grace_period: "500ms"').options, { lameDuckDuration: 120_000, lameDuckGracePeriod: 500 });
    mappingError('lame_duck_duration: "10s"', /^invalid lame_duck_duration of 10s, minimum is 30 seconds/, 1, 1);
    mappingError('lame_duck_grace_period: "-1s"', /^invalid lame_duck_grace_period, needs to be positive/, 1, 1);
    mappingError("lame_duck_duration: 60", /^"lame_duck_duration" must be a duration string such as "2m" or "30s", got integer 60/, 1, 1);
    mappingError('lame_duck_grace_period: "soon"', /^error parsing lame_duck_grace_period: time: invalid duration "soon"/, 1, 1);
  });

  it("maps max_closed_clients", () => {
    assert.deepEqual(mapped("max_closed_clients: 50").options, { maxClosedClients: 50 });
    mappingError("max_closed_clients: -1", /must be at least 0/, 1, 1);
  });

  it("produces options createServer accepts", async () => {
    const { options } = mapped(
      'listen: 127.0.0.1:-1\nmax_payload: 4KB\nping_interval: "1m"\nmax_connections: 3\nhttp: "127.0.0.1:-1"\nwebsocket { port: -1, no_tls: true }\nlame_duck_duration: "45s"',
    );
    const server = createServer(options);
    assert.equal(server.options.maxPayload, 4096);
    assert.equal(server.options.port, 0);
    assert.deepEqual([server.options.http?.port, server.options.http?.host], [0, "127.0.0.1"]);
    assert.equal(server.options.websocket?.noTls, true);
    assert.equal(server.options.lameDuckDuration, 45_000);
    await server.close();
  });
});

describe("config to options: warnings", () => {
  it("warns, with file and line, about each key we do not support yet, and ignores it", () => {
    const { options, warnings } = mapped('port: 1\nhttp_base_path: "/m"\nleafnodes {\n  listen: "127.0.0.1:-1"\n}\nserver_tags: ["id:abc"]\njetstream { cipher: chacha }');
    // leafnodes is supported now: listen -1 asks for a random leaf port.
    assert.deepEqual(options, { port: 1, leafnodes: { host: "127.0.0.1", port: 0 }, jetstream: {} });
    assert.deepEqual(warnings, [
      `${FILE}:2:1: "http_base_path" is not supported yet (monitoring endpoints); ignored`,
      `${FILE}:6:1: "server_tags" is not supported yet; ignored`,
      `${FILE}:7:13: "cipher" in "jetstream" is not supported yet; ignored`,
    ]);
  });

  it("warns about keys we will not support, saying why", () => {
    assert.deepEqual(mapped("gateway { port: 7222 }").warnings, [
      `${FILE}:1:1: "gateway" is not supported by nats-embedded (superclusters are not planned; leaf nodes connect to a cluster); ignored`,
    ]);
  });

  it("warns about an empty configuration", () => {
    assert.deepEqual(mapped("# nothing").warnings, [`${FILE}: config has no values or is empty`]);
  });

  it("classifies every key of nats-server's opts.go, and no other", () => {
    assert.deepEqual([...NATS_SERVER_KEYS.keys()].sort(), [...NATS_SERVER_TOP_LEVEL_KEYS].sort());
    const supported = [...NATS_SERVER_KEYS].filter(([, info]) => info.status === KeyStatus.Supported).map(([key]) => key);
    assert.equal(supported.length, 59);
  });

  it("warns (never fails) for every key not supported that is not a security feature", () => {
    for (const [key, info] of NATS_SERVER_KEYS) {
      if (info.status !== KeyStatus.NotYet && info.status !== KeyStatus.Never) continue;
      const { warnings } = mapped(`${key}: 1`);
      assert.equal(warnings.length, 1, key);
      assert.ok(warnings[0]!.startsWith(`${FILE}:1:1: "${key}" is not supported`), warnings[0]);
    }
  });
});

describe("config to options: errors", () => {
  it("names key, file, line and column for a value of the wrong type", () => {
    mappingError("\n\n  max_payload: \"1MB\"", /^"max_payload" must be an integer, got string "1MB" \(write 1MB without quotes for a size\)/, 3, 3, "max_payload");
    mappingError("port: true", /^"port" must be an integer, got boolean true/, 1, 1, "port");
    mappingError("debug: 1", /^"debug" must be a boolean \(true\/false, yes\/no, on\/off\), got integer 1/, 1, 1, "debug");
    mappingError("host: [a]", /^"host" must be a string, got array/, 1, 1, "host");
    mappingError("server_name { a: 1 }", /^"server_name" must be a string, got block/, 1, 1);
    mappingError("ping_interval: 1.5", /^"ping_interval" must be a duration such as "2m" or "10s", got float 1.5/, 1, 1);
    mappingError("listen: [1]", /^"listen" must be a port or "host:port", got array/, 1, 1);
  });

  it("reports the position of the key when the value came from a variable", () => {
    mappingError("v = yes\n\n  max_pending: $v", /^"max_pending" must be an integer, got boolean true/, 3, 3);
  });

  it("rejects values out of range", () => {
    mappingError("port: 70000", /^"port" must be a port between -1 and 65535, got 70000/, 1, 1);
    mappingError("port: -2", /must be a port between -1 and 65535/, 1, 1);
    mappingError("max_payload: 0", /^"max_payload" must be at least 1, got 0/, 1, 1);
    mappingError("max_payload: 4GB", /^"max_payload" value is too big/, 1, 1);
    mappingError("max_control_line: 16", /^"max_control_line" must be at least 32/, 1, 1);
    mappingError("max_connections: 0", /^"max_connections" of 0 lets no client connect/, 1, 1);
    mappingError("ping_max: -1", /^"ping_max" must be at least 0/, 1, 1);
    mappingError('ping_interval: "0s"', /^"ping_interval" must be at least 1ms, got 0s/, 1, 1);
    mappingError('write_deadline: "-5s"', /must be at least 1ms/, 1, 1);
    mappingError('ping_interval: "30d"', /^error parsing ping_interval: time: unknown unit "d" in duration "30d"/, 1, 1);
    mappingError('ping_interval: "600h"', /is longer than the longest timer Node supports \(596h31m23\.647s\)/, 1, 1);
    mappingError("server_name: 'a b'", /^server name cannot contain spaces/, 1, 1);
    mappingError("host: ''", /^"host" must not be empty/, 1, 1);
  });

  it("rejects listen strings Go's SplitHostPort rejects", () => {
    mappingError('listen: "4222"', /^could not parse address string "4222"/, 1, 1);
    mappingError('listen: "::1:4222"', /^could not parse address string/, 1, 1);
    mappingError('listen: "host:abc"', /^could not parse port "abc"/, 1, 1);
  });

  it("rejects max_payload above max_pending, as nats-server", () => {
    mappingError("max_pending: 1KB\nmax_payload: 2KB", /^max_payload \(2048\) cannot be higher than max_pending \(1024\)/, 2, 1);
    mappingError("max_pending: 1KB", /^max_payload \(1048576\) cannot be higher than max_pending \(1024\)/, 1, 1);
  });

  it("rejects a key nats-server does not know, unless it is a variable someone used", () => {
    mappingError("port: 1\nmax_paylod: 5", /^unknown field "max_paylod"/, 2, 1, "max_paylod");
    assert.deepEqual(mapped("PORT_VAR = 1\nport = $PORT_VAR").options, { port: 1 });
  });

  it("refuses security features it would otherwise silently drop", () => {
    mappingError("resolver_tls: {}", /decentralized \(JWT\) authentication is not built/, 1, 1);
  });

  it("reports every problem at once, located at the first", () => {
    const err = mappingError("port: x\nok = 1\nmax_payload: y", /^"port" must be an integer/, 1, 1);
    assert.deepEqual(
      err.problems.map((p) => [p.line, p.key]),
      [
        [1, "port"],
        [2, "ok"],
        [3, "max_payload"],
      ],
    );
    assert.equal(err.message.split("\n").length, 3);
  });
});

describe("config durations", () => {
  it("parses Go duration strings into milliseconds", () => {
    const cases: [string, number][] = [
      ["0", 0],
      ["2m", 120_000],
      ["10s", 10_000],
      ["500ms", 500],
      ["1h30m", 5_400_000],
      ["1.5s", 1500],
      [".5s", 500],
      ["1.s", 1000],
      ["250us", 0.25],
      ["250µs", 0.25],
      ["1000000ns", 1],
      ["-1s", -1000],
      ["+2s", 2000],
    ];
    for (const [text, ms] of cases) assert.equal(parseGoDuration(text), ms, text);
  });

  it("rejects what Go rejects, with Go's messages", () => {
    assert.throws(() => parseGoDuration(""), /^Error: time: invalid duration ""$/);
    assert.throws(() => parseGoDuration("2"), /^Error: time: missing unit in duration "2"$/);
    assert.throws(() => parseGoDuration("2d"), /^Error: time: unknown unit "d" in duration "2d"$/);
    assert.throws(() => parseGoDuration("."), /invalid duration/);
    assert.throws(() => parseGoDuration("s"), /invalid duration/);
    assert.throws(() => parseGoDuration("3000000h"), /invalid duration/);
  });

  it("formats milliseconds as Go's Duration.String", () => {
    const cases: [number, string][] = [
      [0, "0s"],
      [500, "500ms"],
      [1500, "1.5s"],
      [10_000, "10s"],
      [120_000, "2m0s"],
      [90_500, "1m30.5s"],
      [3_600_000, "1h0m0s"],
      [0.25, "0.25ms"],
    ];
    for (const [ms, text] of cases) assert.equal(formatGoDuration(ms), text, String(ms));
  });
});

describe("loadConfigFile", () => {
  it("reads, parses and maps a file", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "nats-embedded-load-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "limits.conf"), "max_payload: 2KB\n");
    writeFileSync(join(dir, "nats.conf"), "port: -1\ninclude limits.conf\ndebug: true\nhttp_port: 8222\nserver_tags: [a]\n");
    const loaded = loadConfigFile(join(dir, "nats.conf"));
    assert.deepEqual(loaded, {
      file: join(dir, "nats.conf"),
      options: { port: 0, maxPayload: 2048, http: 8222 },
      cli: { debug: true },
      warnings: [`${join(dir, "nats.conf")}:5:1: "server_tags" is not supported yet; ignored`],
    });
  });

  it("throws ConfigError with the stable code", () => {
    assert.throws(
      () => loadConfigFile("/nonexistent/nats.conf"),
      (err: unknown) => err instanceof ConfigError && err.code === "NATS_EMBEDDED_INVALID_CONFIG" && err.file === "/nonexistent/nats.conf",
    );
  });
});

/**
 * What a SIGHUP reload changes, decided as nats-server's reload.go: limits and logging change,
 * address, port, name, max_subscriptions and max_pending do not.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planReload, type RunSettings } from "../../src/config/reload.ts";

const base: RunSettings = { options: { host: "127.0.0.1", port: 0 }, debug: false, trace: false, logFile: undefined, portsFileDir: undefined };

function next(change: Partial<RunSettings> & { options?: RunSettings["options"] }): RunSettings {
  return { ...base, ...change, options: { ...base.options, ...change.options } };
}

describe("config reload plan", () => {
  it("finds nothing to do when nothing changed, defaults included", () => {
    assert.deepEqual(planReload(base, next({ options: { maxPayload: 1024 * 1024, pingInterval: 120_000 } })), { changes: [], server: {}, refused: [] });
  });

  it("hands changed limits to the server, named and formatted as nats-server logs them", () => {
    const plan = planReload(base, next({ options: { maxPayload: 2048, pingInterval: 30_000, writeDeadline: 2000, maxConnections: 10, pingMax: 5, maxControlLine: 1024 } }));
    assert.deepEqual(plan.server, { maxPayload: 2048, pingInterval: 30_000, writeDeadline: 2000, maxConnections: 10, pingMax: 5, maxControlLine: 1024 });
    assert.deepEqual(
      plan.changes.map((c) => `${c.key} = ${c.to}`),
      ["max_connections = 10", "ping_interval = 30s", "ping_max = 5", "max_control_line = 1024", "max_payload = 2048", "write_deadline = 2s"],
    );
    assert.deepEqual(plan.refused, []);
  });

  it("restores the default of a limit removed from the file", () => {
    const plan = planReload(next({ options: { maxPayload: 2048 } }), base);
    assert.deepEqual(plan.server, { maxPayload: 1024 * 1024 });
    assert.deepEqual(plan.changes, [{ key: "max_payload", appliesTo: "server", from: "2048", to: "1048576" }]);
  });

  it("leaves logging and the ports file to the command line", () => {
    const plan = planReload(base, next({ debug: true, trace: true, logFile: "/tmp/x.log", portsFileDir: "/tmp" }));
    assert.deepEqual(plan.server, {});
    assert.deepEqual(
      plan.changes.map((c) => [c.key, c.appliesTo, c.to]),
      [
        ["trace", "command-line", "true"],
        ["debug", "command-line", "true"],
        ["log_file", "command-line", "/tmp/x.log"],
        ["ports_file_dir", "command-line", "/tmp"],
      ],
    );
  });

  it("refuses what a running server cannot change", () => {
    const plan = planReload(base, next({ options: { host: "0.0.0.0", port: 5000, serverName: "x", maxSubscriptions: 5, maxPending: 10 } }));
    assert.deepEqual(
      plan.refused.map((c) => `${c.key}: old=${c.from}, new=${c.to}`),
      ["server_name: old=<unset>, new=x", "host: old=127.0.0.1, new=0.0.0.0", "port: old=0, new=5000", "max_subscriptions: old=0, new=5", "max_pending: old=67108864, new=10"],
    );
  });

  it("keeps the port in use when the file asks for a random port again", () => {
    assert.deepEqual(planReload(next({ options: { port: 4567 } }), next({ options: { port: 0 } })).refused, []);
  });

  it("compares blocks by value, and refuses changing them as nats-server", () => {
    const ws = { port: 0, host: "127.0.0.1", noTls: true };
    const same = planReload(next({ options: { http: { port: 0, host: "127.0.0.1" }, websocket: ws } }), next({ options: { http: { port: 0, host: "127.0.0.1" }, websocket: { ...ws } } }));
    assert.deepEqual(same, { changes: [], server: {}, refused: [] });
    const changed = planReload(next({ options: { http: 8222 } }), next({ options: { http: 8223, lameDuckDuration: 60_000 } }));
    assert.deepEqual(
      changed.refused.map((c) => `${c.key}: old=${c.from}, new=${c.to}`),
      ["http: old=8222, new=8223", "lame_duck_duration: old=2m0s, new=1m0s"],
    );
  });

  it("refuses a change of an option it does not know", () => {
    const current = { ...base, options: { ...base.options } } as RunSettings;
    const changed = { ...base, options: { ...base.options, somethingNew: 1 } } as unknown as RunSettings;
    assert.deepEqual(planReload(current, changed).refused.map((c) => c.key), ["somethingNew"]);
  });
});

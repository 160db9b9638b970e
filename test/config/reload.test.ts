/**
 * What a SIGHUP reload changes, decided as nats-server's reload.go: limits, authorization and
 * logging change; address, port, name, max_subscriptions, max_pending, the listeners (https,
 * websocket) and (for now) tls and allow_non_tls do not.
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

  it("refuses changing https, allow_non_tls and a websocket's tls, never showing key material", () => {
    const ws = { port: 0, tls: { certFile: "a.pem", key: "-----BEGIN PRIVATE KEY-----secret" } };
    const plan = planReload(
      next({ options: { https: 8222, websocket: ws } }),
      next({ options: { https: 8223, allowNonTls: true, websocket: { ...ws, tls: { ...ws.tls, certFile: "b.pem" } } } }),
    );
    assert.deepEqual(
      plan.refused.map((c) => `${c.key}: old=${c.from}, new=${c.to}`),
      [
        "allow_non_tls: old=false, new=true",
        "https_port: old=8222, new=8223",
        'websocket: old={"port":0,"tls":{"certFile":"a.pem","key":"<pem>"}}, new={"port":0,"tls":{"certFile":"b.pem","key":"<pem>"}}',
      ],
    );
  });

  it("hands authorization changes to the server, named as nats-server logs them, secrets never shown", () => {
    const before = next({ options: { authorization: { users: [{ user: "a", password: "pa" }, { user: "b", password: "pb" }], timeout: 2000 } } });
    const after = next({
      options: { authorization: { users: [{ user: "a", password: "pa", permissions: { subscribe: ["x"] } }], timeout: 1000, noAuthUser: "a" } },
    });
    const plan = planReload(before, after);
    assert.deepEqual(plan.refused, []);
    assert.deepEqual(plan.server, { authorization: after.options.authorization });
    assert.deepEqual(plan.changes, [
      { key: "authorization timeout", appliesTo: "server", from: "2s", to: "1s" },
      { key: "authorization users", appliesTo: "server" },
      { key: "no_auth_user", appliesTo: "server", from: "<unset>", to: "a" },
    ]);
    const tokens = planReload(next({ options: { authorization: { token: "old-secret" } } }), next({ options: { authorization: { user: "u", password: "new-secret" } } }));
    assert.deepEqual(tokens.changes.map((c) => c.key), ["authorization username", "authorization password", "authorization token"]);
    assert.doesNotMatch(JSON.stringify(tokens.changes), /secret/);
    const nkeys = planReload(base, next({ options: { authorization: { users: [{ nkey: "UABC" }] } } }));
    assert.deepEqual(nkeys.changes.map((c) => c.key), ["authorization nkey users"]);
  });

  it("removes authorization when the file no longer has it, and leaves equal blocks alone", () => {
    const auth = { users: [{ user: "a", password: "a", permissions: { publish: { allow: ["x"] } } }] };
    assert.deepEqual(planReload(next({ options: { authorization: auth } }), next({ options: { authorization: structuredClone(auth) } })), { changes: [], server: {}, refused: [] });
    const removed = planReload(next({ options: { authorization: auth } }), base);
    assert.ok("authorization" in removed.server);
    assert.equal(removed.server.authorization, undefined);
    assert.deepEqual(removed.changes.map((c) => c.key), ["authorization users"]);
  });

  it("refuses a tls change, as nats-server 2.9 would reload it but we cannot yet, showing no key material", () => {
    const tls = { certFile: "/c.pem", keyFile: "/k.pem" };
    const plan = planReload(next({ options: { tls } }), next({ options: { tls: { ...tls, verify: true, caFile: "/ca.pem" } } }));
    assert.deepEqual(plan.refused.map((c) => `${c.key}: old=${c.from}, new=${c.to}`), [
      'tls: old={"certFile":"/c.pem","keyFile":"/k.pem"}, new={"certFile":"/c.pem","keyFile":"/k.pem","verify":true,"caFile":"/ca.pem"}',
    ]);
    const pem = planReload(base, next({ options: { tls: { cert: "-----BEGIN CERTIFICATE-----", key: "-----BEGIN PRIVATE KEY-----" } } }));
    assert.equal(pem.refused[0]!.to, '{"cert":"<pem>","key":"<pem>"}');
  });

  it("refuses a change of an option it does not know", () => {
    const current = { ...base, options: { ...base.options } } as RunSettings;
    const changed = { ...base, options: { ...base.options, somethingNew: 1 } } as unknown as RunSettings;
    assert.deepEqual(planReload(current, changed).refused.map((c) => c.key), ["somethingNew"]);
  });
});

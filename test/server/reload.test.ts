/**
 * Changing a running server: server.reload() (what SIGHUP does for nats-server) and
 * createServer({ configFile }).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, createServer, InvalidOptionError } from "../../src/index.ts";
import { eventually, startBroker } from "../helpers/broker.ts";
import { RawClient } from "../helpers/raw-client.ts";

describe("server.reload()", () => {
  it("applies a new max_payload to connected clients and to INFO", async (t) => {
    const server = await startBroker(t);
    const before = await RawClient.connect(server.port);
    t.after(() => before.destroy());
    await before.waitFor("\r\n");
    before.send('CONNECT {"verbose":false}\r\nPING\r\n');
    await before.waitFor("PONG\r\n");
    server.reload({ maxPayload: 8 });
    const after = await RawClient.connect(server.port);
    t.after(() => after.destroy());
    await after.waitFor("\r\n");
    assert.match(after.text(), /"max_payload":8,/);
    const start = before.received().length;
    before.send("PUB a 9\r\n");
    await before.waitClosed();
    assert.equal(before.received().subarray(start).toString(), "-ERR 'Maximum Payload Violation'\r\n");
  });

  it("is all or nothing: an invalid value throws and changes nothing", async (t) => {
    const server = await startBroker(t, { maxPayload: 1000 });
    assert.throws(() => server.reload({ maxPayload: 1024, pingMax: -1 }), InvalidOptionError);
    assert.equal(server.options.maxPayload, 1000);
  });

  it("closes the newest clients when max_connections drops below the count", async (t) => {
    const server = await startBroker(t);
    const clients = [];
    for (let i = 0; i < 3; i++) {
      const c = await RawClient.connect(server.port);
      t.after(() => c.destroy());
      await c.waitFor("\r\n");
      clients.push(c);
    }
    server.reload({ maxConnections: 2 });
    await clients[2]!.waitClosed();
    assert.match(clients[2]!.text(), /-ERR 'maximum connections exceeded'\r\n$/);
    await eventually(() => server.numClients === 2, "two clients left");
    assert.equal(clients[0]!.closed, false);
  });

  it("re-checks clients when the authorization changes", async (t) => {
    const server = await startBroker(t, { authorization: { token: "old" } });
    const c = await RawClient.connect(server.port);
    t.after(() => c.destroy());
    c.send('CONNECT {"auth_token":"old","verbose":false}\r\nPING\r\n');
    await c.waitFor("PONG\r\n");
    server.reload({ authorization: { token: "new" } });
    await c.waitClosed();
    assert.match(c.text(), /-ERR 'Authorization Violation'\r\n$/);
  });
});

describe("createServer({ configFile })", () => {
  it("reads nats-server's format, lets given options win, and logs unsupported keys", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "nats-embedded-conf-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "server.conf");
    writeFileSync(file, 'server_name: "from-file"\nmax_payload: 2KB\nping_max: 5\ngateway { name: c1 }\n');
    const warnings: string[] = [];
    const noop = (): void => {};
    const server = createServer({ configFile: file, pingMax: 3, logger: { warn: (m) => void warnings.push(m), error: noop, info: noop, debug: noop, trace: noop } });
    t.after(() => server.close());
    assert.equal(server.options.serverName, "from-file");
    assert.equal(server.options.maxPayload, 2048);
    assert.equal(server.options.pingMax, 3, "the option given wins over the file");
    assert.ok(warnings.some((w) => w.includes("gateway")), warnings.join("\n"));
    writeFileSync(file, "max_payload: [oops\n");
    assert.throws(() => createServer({ configFile: file }), (err: unknown) => err instanceof ConfigError && err.message.includes("server.conf:"));
  });
});

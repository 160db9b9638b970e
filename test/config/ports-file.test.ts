/**
 * nats-server's ports file: its name, its JSON, written whole or not at all.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { listenerUrls, portsFileJson, portsFilePath, removePortsFile, writePortsFile } from "../../src/config/ports-file.ts";

describe("ports file", () => {
  it("is named nats-server_<pid>.ports", () => {
    assert.equal(portsFilePath("/tmp/x", 1234), "/tmp/x/nats-server_1234.ports");
    assert.equal(portsFilePath("/tmp/x"), `/tmp/x/nats-server_${process.pid}.ports`);
  });

  it("holds compact JSON in nats-server's field order, empty lists left out", () => {
    assert.equal(portsFileJson({ websocket: ["ws://127.0.0.1:3"], nats: ["nats://127.0.0.1:1"], monitoring: [] }), '{"nats":["nats://127.0.0.1:1"],"websocket":["ws://127.0.0.1:3"]}');
  });

  it("lists the listener's address, or every interface's for 0.0.0.0 and ::", () => {
    assert.deepEqual(listenerUrls("nats", "127.0.0.1", 4222), ["nats://127.0.0.1:4222"]);
    assert.deepEqual(listenerUrls("nats", "::1", 4222), ["nats://[::1]:4222"]);
    const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []).length;
    assert.equal(listenerUrls("nats", "0.0.0.0", 4222).length, all);
    assert.ok(listenerUrls("nats", "0.0.0.0", 4222).includes("nats://127.0.0.1:4222"));
  });

  it("is written whole, and removed", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "nats-embedded-ports-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = writePortsFile(dir, { nats: ["nats://127.0.0.1:4222"] }, 99);
    assert.equal(path, join(dir, "nats-server_99.ports"));
    assert.deepEqual(readdirSync(dir), ["nats-server_99.ports"]);
    assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), { nats: ["nats://127.0.0.1:4222"] });
    removePortsFile(path);
    assert.equal(existsSync(path), false);
    removePortsFile(path);
  });
});

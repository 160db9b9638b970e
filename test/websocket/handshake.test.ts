/**
 * The upgrade rules of nats-server's websocket.go as pure functions: request checks in order,
 * origin rules, host:port splitting, and the close status for each close reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import {
  checkOrigin,
  checkUpgrade,
  closeStatusFor,
  closeText,
  compileOriginPolicy,
  endpointOf,
  refusalResponse,
  splitHostPort,
} from "../../src/transport/websocket-handshake.ts";
import { InvalidOptionError } from "../../src/base/errors.ts";

const anyOrigin = compileOriginPolicy(false, []);

function upgradeHeaders(extra: IncomingHttpHeaders = {}): IncomingHttpHeaders {
  return {
    host: "127.0.0.1:8080",
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    ...extra,
  };
}

test("any path is a client except those ending in /leafnode or /mqtt", () => {
  assert.equal(endpointOf("/"), "client");
  assert.equal(endpointOf("/nats?x=/mqtt"), "client");
  assert.equal(endpointOf("/a/b/c"), "client");
  assert.equal(endpointOf(undefined), "client");
  assert.equal(endpointOf("/leafnode"), "leafnode");
  assert.equal(endpointOf("/x/leafnode"), "leafnode");
  assert.equal(endpointOf("/mqtt"), "mqtt");
  assert.equal(endpointOf("/x/mqtt?y=1"), "mqtt");
});

test("a well-formed upgrade passes; each broken part is refused with nats-server's status, in its order", () => {
  const ok = { method: "GET", url: "/", headers: upgradeHeaders() };
  assert.equal(checkUpgrade(ok, anyOrigin), undefined);
  const cases: [string, Parameters<typeof checkUpgrade>[0], number, string][] = [
    ["mqtt path", { ...ok, url: "/mqtt" }, 404, "mqtt websocket endpoint not enabled"],
    ["POST", { ...ok, method: "POST", headers: upgradeHeaders({ upgrade: "nope" }) }, 405, "request method must be GET"],
    ["no Host", { ...ok, headers: upgradeHeaders({ host: undefined }) }, 400, "'Host' missing in request"],
    ["Upgrade", { ...ok, headers: upgradeHeaders({ upgrade: "h2c" }) }, 400, "invalid value for header 'Upgrade'"],
    ["Connection", { ...ok, headers: upgradeHeaders({ connection: "keep-alive" }) }, 400, "invalid value for header 'Connection'"],
    ["no key", { ...ok, headers: upgradeHeaders({ "sec-websocket-key": undefined }) }, 400, "key missing"],
    ["bad key", { ...ok, headers: upgradeHeaders({ "sec-websocket-key": "abc" }) }, 400, "invalid websocket key"],
    ["version", { ...ok, headers: upgradeHeaders({ "sec-websocket-version": "8" }) }, 400, "invalid version"],
  ];
  for (const [name, req, status, reason] of cases) {
    assert.deepEqual(checkUpgrade(req, anyOrigin), { status, reason }, name);
  }
  // Header tokens are comma-separated and case-insensitive, as wsHeaderContains.
  const mixed = upgradeHeaders({ upgrade: "foo, WebSocket", connection: "keep-alive, upgrade" });
  assert.equal(checkUpgrade({ ...ok, headers: mixed }, anyOrigin), undefined);
});

test("origin: anything goes when neither sameOrigin nor allowedOrigins is set, or without an Origin header", () => {
  assert.equal(checkOrigin(upgradeHeaders({ origin: "http://evil.example.com" }), anyOrigin), undefined);
  const strict = compileOriginPolicy(true, ["https://app.example.com"]);
  assert.equal(checkOrigin(upgradeHeaders(), strict), undefined);
});

test("origin: sameOrigin compares scheme, host and port with the request's Host", () => {
  const same = compileOriginPolicy(true, []);
  assert.equal(checkOrigin(upgradeHeaders({ origin: "http://127.0.0.1:8080" }), same), undefined);
  assert.equal(checkOrigin(upgradeHeaders({ origin: "http://127.0.0.1:9090" }), same), "not same origin");
  assert.equal(checkOrigin(upgradeHeaders({ origin: "https://127.0.0.1:8080" }), same), "not same origin");
  assert.equal(checkOrigin(upgradeHeaders({ origin: "http://localhost:8080" }), same), "not same origin");
  // Default ports fill in on both sides; host names compare case-insensitively.
  assert.equal(checkOrigin(upgradeHeaders({ host: "Example.COM", origin: "http://example.com:80" }), same), undefined);
  // Sec-WebSocket-Origin (old drafts) counts when Origin is absent.
  assert.equal(checkOrigin(upgradeHeaders({ "sec-websocket-origin": "http://x.com" }), same), "not same origin");
  assert.match(checkOrigin(upgradeHeaders({ origin: "null" }), same) ?? "", /invalid origin/);
});

test("origin: allowedOrigins match by scheme, host and port (default ports filled in)", () => {
  const list = compileOriginPolicy(false, ["http://app.example.com:8080", "https://secure.example.com"]);
  assert.equal(checkOrigin(upgradeHeaders({ origin: "http://app.example.com:8080" }), list), undefined);
  assert.equal(checkOrigin(upgradeHeaders({ origin: "http://APP.example.com:8080" }), list), undefined);
  assert.equal(checkOrigin(upgradeHeaders({ origin: "https://secure.example.com:443" }), list), undefined);
  assert.equal(checkOrigin(upgradeHeaders({ origin: "http://app.example.com" }), list), "not in the allowed list");
  assert.equal(checkOrigin(upgradeHeaders({ origin: "https://app.example.com:8080" }), list), "not in the allowed list");
  assert.equal(checkOrigin(upgradeHeaders({ origin: "http://secure.example.com" }), list), "not in the allowed list");
  // Both rules together: same origin first, then the list.
  const both = compileOriginPolicy(true, ["http://127.0.0.1:8080"]);
  assert.equal(checkOrigin(upgradeHeaders({ origin: "http://127.0.0.1:8080" }), both), undefined);
  const bothOther = compileOriginPolicy(true, ["http://other:8080"]);
  assert.equal(checkOrigin(upgradeHeaders({ origin: "http://127.0.0.1:8080" }), bothOther), "not in the allowed list");
});

test("allowedOrigins are validated as nats-server does at startup", () => {
  assert.throws(() => compileOriginPolicy(false, ["app.example.com"]), InvalidOptionError);
  assert.throws(() => compileOriginPolicy(false, ["ftp://app.example.com"]), /http or https/);
  assert.throws(() => compileOriginPolicy(false, ["http://"]), InvalidOptionError);
  assert.doesNotThrow(() => compileOriginPolicy(false, ["http://[::1]:8080", "https://a.b"]));
});

test("splitHostPort follows Go's net.SplitHostPort with scheme default ports", () => {
  assert.deepEqual(splitHostPort("a.com:81", false), { host: "a.com", port: "81" });
  assert.deepEqual(splitHostPort("A.com", false), { host: "a.com", port: "80" });
  assert.deepEqual(splitHostPort("a.com", true), { host: "a.com", port: "443" });
  assert.deepEqual(splitHostPort("[::1]:8080", false), { host: "::1", port: "8080" });
  assert.deepEqual(splitHostPort("[::1]", false), { host: "[::1]", port: "80" });
  assert.equal(splitHostPort("::1", false), undefined);
});

test("close statuses per reason are nats-server's, and close texts fit a control frame", () => {
  assert.equal(closeStatusFor("Client Closed"), 1000);
  assert.equal(closeStatusFor("Server Shutdown"), 1001);
  assert.equal(closeStatusFor("Stale Connection"), 1001);
  assert.equal(closeStatusFor("Parse Error"), 1002);
  assert.equal(closeStatusFor("Protocol Violation"), 1002);
  assert.equal(closeStatusFor("Authentication Timeout"), 1008);
  assert.equal(closeStatusFor("Maximum Connections Exceeded"), 1008);
  assert.equal(closeStatusFor("Slow Consumer (Pending Bytes)"), 1008);
  assert.equal(closeStatusFor("Maximum Message Payload Exceeded"), 1009);
  assert.equal(closeStatusFor("Message Header Violation"), 1011);
  assert.equal(closeText("Server Shutdown"), "Server Shutdown");
  const long = closeText("é".repeat(100));
  assert.ok(Buffer.byteLength(long) <= 123);
  assert.ok(long.endsWith("..."));
});

test("a refusal is Go's http.Error: status text as a plain-text body", () => {
  const text = refusalResponse(403);
  assert.match(text, /^HTTP\/1\.1 403 Forbidden\r\n/);
  assert.match(text, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
  assert.match(text, /\r\nSec-Websocket-Version: 13\r\n/);
  assert.match(text, /\r\nContent-Length: 10\r\n/);
  assert.ok(text.endsWith("\r\n\r\nForbidden\n"));
});

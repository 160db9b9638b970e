/**
 * The in-process API is fully trusted by default; `server.as(user)` applies a user's
 * permissions exactly as to a network client of theirs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { createServer, InvalidArgumentError, PermissionViolationError } from "../../src/index.ts";

const options = {
  port: 0,
  authorization: {
    users: [
      {
        user: "alice",
        password: "pw",
        permissions: { publish: ["orders.>"], subscribe: { allow: ["orders.>", "svc"], deny: ["orders.secret"] }, allowResponses: true },
      },
      { user: "admin", password: "admin" },
    ],
  },
};

describe("in-process API acting as a user", () => {
  it("enforces publish and subscribe permissions with nats-server's texts", async (t) => {
    const server = createServer(options);
    t.after(() => server.close());
    const alice = server.as("alice");
    assert.equal(alice.user, "alice");
    assert.equal(alice.publish("orders.new", "ok"), false);
    assert.throws(() => alice.publish("admin.x"), (err: unknown) => {
      assert.ok(err instanceof PermissionViolationError);
      assert.equal(err.message, 'Permissions Violation for Publish to "admin.x"');
      return true;
    });
    assert.throws(() => alice.subscribe("admin.>"), { message: 'Permissions Violation for Subscription to "admin.>"' });
    assert.throws(() => alice.publish("_GR_.x.y"), PermissionViolationError);
    // Fully trusted without as().
    assert.equal(server.publish("admin.x", "fine"), false);
    assert.throws(() => server.as("mallory"), InvalidArgumentError);
  });

  it("filters denied subjects at delivery and lets the user answer requests it received", async (t) => {
    const server = createServer(options);
    await server.listen();
    t.after(() => server.close());
    const alice = server.as("alice");
    const got: string[] = [];
    alice.subscribe("orders.*", { callback: (_e, m) => void got.push(m.subject) });
    alice.subscribe("svc", { callback: (_e, m) => void m.respond(`answered ${m.string()}`) });
    server.publish("orders.one");
    server.publish("orders.secret");
    assert.deepEqual(got, ["orders.one"]);
    const nc = await connect({ servers: server.url!, user: "admin", pass: "admin", reconnect: false });
    t.after(() => nc.close());
    const reply = await nc.request("svc", "q", { timeout: 2000 });
    assert.equal(reply.string(), "answered q");
  });
});

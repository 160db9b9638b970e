/**
 * The broker runs inside someone else's process: a throwing listener, callback or
 * authenticator is reported and the host keeps running; no uncaughtException or
 * unhandledRejection ever fires.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { eventually } from "../helpers/broker.ts";

function watchProcess(t: import("node:test").TestContext): unknown[] {
  const escaped: unknown[] = [];
  const onError = (err: unknown): void => void escaped.push(err);
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  t.after(() => {
    process.off("uncaughtException", onError);
    process.off("unhandledRejection", onError);
  });
  return escaped;
}

describe("host safety", () => {
  it("a throwing event listener is reported on 'error' and breaks nothing", async (t) => {
    const escaped = watchProcess(t);
    const server = createServer({ port: 0 });
    await server.listen();
    t.after(() => server.close());
    const reported: string[] = [];
    server.on("error", (err) => reported.push(err.message));
    server.on("client:connect", () => {
      throw new Error("listener bug");
    });
    server.on("client:close", () => {
      throw new Error("close listener bug");
    });
    const nc = await connect({ servers: server.url!, reconnect: false });
    const sub = nc.subscribe("x", { max: 1 });
    nc.publish("x", "still works");
    for await (const m of sub) assert.equal(m.string(), "still works");
    await nc.close();
    await eventually(() => reported.length === 2, "both listener errors reported");
    assert.match(reported[0]!, /"client:connect" listener threw: listener bug/);
    assert.match(reported[1]!, /"client:close" listener threw: close listener bug/);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(escaped, []);
  });

  it("a throwing slow-consumer listener does not cut the publisher", async (t) => {
    const escaped = watchProcess(t);
    const server = createServer({ maxPending: 64, maxPayload: 64 });
    t.after(() => server.close());
    server.on("slow-consumer", () => {
      throw new Error("boom");
    });
    server.on("error", () => {});
    const sub = server.subscribe("s");
    for (let i = 0; i < 10; i++) server.publish("s", "0123456789012345");
    assert.equal(sub.getDropped() > 0, true);
    assert.deepEqual(escaped, []);
  });

  it("a throwing or rejecting authenticator refuses the client and nothing escapes", async (t) => {
    const escaped = watchProcess(t);
    for (const authenticate of [
      () => {
        throw new Error("sync bug");
      },
      () => Promise.reject(new Error("async bug")),
    ]) {
      const server = createServer({ port: 0, authorization: { authenticate } });
      await server.listen();
      t.after(() => server.close());
      await assert.rejects(connect({ servers: server.url!, reconnect: false }), /Authorization Violation/i);
    }
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(escaped, []);
  });

  it("even a throwing 'error' listener stays inside", async (t) => {
    const escaped = watchProcess(t);
    const lines: string[] = [];
    const log = (m: string): void => void lines.push(m);
    const server = createServer({ port: 0, logger: { error: log, warn: log, info: log, debug: log, trace: log } });
    await server.listen();
    t.after(() => server.close());
    server.on("client:connect", () => {
      throw new Error("first");
    });
    server.on("error", () => {
      throw new Error("second");
    });
    const nc = await connect({ servers: server.url!, reconnect: false });
    await nc.close();
    assert.ok(lines.some((l) => l.includes('"client:connect" listener threw: first')));
    assert.deepEqual(escaped, []);
  });
});

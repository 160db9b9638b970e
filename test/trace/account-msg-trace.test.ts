/**
 * nats-server 2.11's account `msg_trace`: a message carrying a sampled W3C `traceparent` header
 * is traced to the account's destination (never trace-only); `Nats-Trace-Dest` still wins.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { headers } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { startBroker } from "../helpers/broker.ts";
import { client, sleep, steps, traces } from "./helpers.ts";

const SAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const NOT_SAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";

describe("account msg_trace and traceparent", () => {
  it("traces a sampled traceparent (any header case) to the account's destination, and only that", async (t) => {
    const server = await startBroker(t, {
      accounts: { A: { users: [{ user: "a", password: "pw" }], msgTrace: { dest: "acc.traces", sampling: 100 } }, B: { users: [{ user: "b", password: "pw" }] } },
    });
    const a = await client(t, server.url, { user: "a", pass: "pw" });
    const b = await client(t, server.url, { user: "b", pass: "pw" });
    let delivered = 0;
    a.subscribe("work", { callback: () => void delivered++ });
    b.subscribe("work", { callback: () => void delivered++ });
    const waitA = await traces(a, "acc.traces");
    const waitB = await traces(b, "acc.traces");
    for (const [name, value] of [["traceparent", SAMPLED], ["TraceParent", SAMPLED], ["traceparent", NOT_SAMPLED], ["traceparent", "garbage"]] as const) {
      const h = headers();
      h.set(name, value);
      h.set("Nats-Trace-Only", "true");
      a.publish("work", "x", { headers: h });
      b.publish("work", "x", { headers: h });
    }
    const events = await waitA(2);
    assert.equal(events.length, 2);
    for (const event of events) assert.deepEqual(steps(event, "eg").map((e) => e.sub), ["work"]);
    // Never trace-only by traceparent: all eight were delivered.
    await sleep(50);
    assert.equal(delivered, 8);
    // B has no msg_trace: nothing traced there.
    await assert.rejects(waitB(1, 200));
  });

  it("refuses a bad destination or sampling with nats-server's words", () => {
    const users = [{ user: "a", password: "pw" }];
    assert.throws(() => createServer({ accounts: { A: { users, msgTrace: "bad.*" } } }), /Trace destination "bad\.\*" is not valid/);
    assert.throws(() => createServer({ accounts: { A: { users, msgTrace: { dest: "ok", sampling: 0 } } } }), /sampling value 0 is invalid, needs to be \[1\.\.100\]/);
  });
});

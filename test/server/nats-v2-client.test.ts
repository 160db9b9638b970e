/**
 * The v2 `nats` package (still the most installed NATS client for Node) against the broker.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect, headers, StringCodec } from "nats";
import { startBroker } from "../helpers/broker.ts";

const sc = StringCodec();

describe("the v2 nats client", () => {
  it("publishes, subscribes with wildcards and queues, requests, and carries headers", async (t) => {
    const server = await startBroker(t);
    const nc = await connect({ servers: server.url, reconnect: false });
    t.after(() => nc.close());
    const got: string[] = [];
    const sub = nc.subscribe("v2.>", { callback: (_e, m) => void got.push(`${m.subject}:${sc.decode(m.data)}:${m.headers?.get("k") ?? ""}`) });
    nc.subscribe("v2.svc", { queue: "q", callback: (_e, m) => void m.respond(sc.encode("ok")) });
    await nc.flush();
    const h = headers();
    h.set("k", "v");
    nc.publish("v2.a", sc.encode("1"), { headers: h });
    const reply = await nc.request("v2.svc", sc.encode("x"), { timeout: 2000 });
    assert.equal(sc.decode(reply.data), "ok");
    await nc.flush();
    assert.deepEqual(got, ["v2.a:1:v", "v2.svc:x:"]);
    assert.equal(sub.getReceived(), 2);
    await assert.rejects(nc.request("nobody.here", sc.encode(""), { timeout: 1000, noMux: true }), /503|no responders/i);
  });
});

/**
 * `pedantic: true` on CONSUMER.CREATE (nats-server 2.11, consumer.go setConsumerConfigDefaults):
 * where the server would otherwise correct a value or fill it from the stream's consumer limits,
 * it refuses with `400 10157 pedantic mode: …` instead; without it the same configs are
 * accepted and adjusted. Also the consumer `metadata` round trip.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AckPolicy, StorageType } from "@nats-io/jetstream";
import { startJetStream, type JsHarness } from "./stream-helpers.ts";

const NS_PER_MS = 1_000_000;

async function create(h: JsHarness, stream: string, config: Record<string, unknown>, pedantic: unknown): Promise<Record<string, unknown>> {
  const name = String(config["name"] ?? "c");
  const body = { stream_name: stream, config: { name, ack_policy: "explicit", ...config }, ...(pedantic !== undefined && { pedantic }) };
  return (await h.request(`$JS.API.CONSUMER.CREATE.${stream}.${name}`, JSON.stringify(body))).json;
}

const pedanticError = (detail: string) => ({ code: 400, err_code: 10157, description: `pedantic mode: ${detail}` });

describe("pedantic consumer create", () => {
  it("refuses each value nats-server would adjust, and adjusts it without pedantic", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory });
    const cases: Array<[Record<string, unknown>, string, (config: Record<string, unknown>) => void]> = [
      [{ max_deliver: -2 }, "max_deliver must be set to -1", (c) => assert.equal(c["max_deliver"], -1)],
      [{ max_waiting: -1 }, "max_waiting must not be negative", (c) => assert.equal(c["max_waiting"], 512)],
      [{ max_ack_pending: -2 }, "max_ack_pending must be set to -1", (c) => assert.equal(c["max_ack_pending"], -1)],
      [{ max_batch: -1 }, "max_batch must not be negative", (c) => assert.equal(c["max_batch"], undefined)],
      [{ max_expires: -1 }, "max_expires must not be negative", (c) => assert.equal(c["max_expires"], undefined)],
      [{ max_bytes: -1 }, "max_bytes must not be negative", (c) => assert.equal(c["max_bytes"], undefined)],
      [{ idle_heartbeat: -1 }, "idle_heartbeat must not be negative", (c) => assert.equal(c["idle_heartbeat"], undefined)],
      [{ inactive_threshold: -1 }, "inactive_threshold must not be negative", (c) => assert.equal(c["inactive_threshold"], 5000 * NS_PER_MS)],
      [{ priority_policy: "pinned_client", priority_groups: ["A"], priority_timeout: -1 }, "priority_timeout must not be negative", (c) => assert.equal(c["priority_timeout"], 120_000 * NS_PER_MS)],
      [{ backoff: [1000 * NS_PER_MS, 2000 * NS_PER_MS] }, "first backoff value has to equal batch AckWait", (c) => assert.equal(c["ack_wait"], 1000 * NS_PER_MS)],
    ];
    let n = 0;
    for (const [config, detail, check] of cases) {
      const name = `c${n++}`;
      assert.deepEqual((await create(h, "ORDERS", { name, ...config }, true))["error"], pedanticError(detail), detail);
      const accepted = await create(h, "ORDERS", { name, ...config }, false);
      assert.equal(accepted["error"], undefined, detail);
      check(accepted["config"] as Record<string, unknown>);
    }
  });

  it("refuses to take max_ack_pending and inactive_threshold from the stream's consumer limits", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "LIMITED", subjects: ["limited.>"], storage: StorageType.Memory, consumer_limits: { max_ack_pending: 50, inactive_threshold: 10_000 * NS_PER_MS } });
    assert.deepEqual((await create(h, "LIMITED", {}, true))["error"], pedanticError("max_ack_pending must be set if it's configured in stream limits"));
    assert.deepEqual((await create(h, "LIMITED", { max_ack_pending: 50 }, true))["error"], pedanticError("inactive_threshold must be set if it's configured in stream limits"));
    const ok = await create(h, "LIMITED", { max_ack_pending: 50, inactive_threshold: 10_000 * NS_PER_MS }, true);
    assert.equal(ok["error"], undefined);
    const filled = (await create(h, "LIMITED", { name: "d" }, false))["config"] as Record<string, unknown>;
    assert.deepEqual([filled["max_ack_pending"], filled["inactive_threshold"]], [50, 10_000 * NS_PER_MS]);
  });

  it("still fills plain defaults, and refuses a pedantic that is not a boolean", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory });
    const ok = await create(h, "ORDERS", { backoff: [1000 * NS_PER_MS], ack_wait: 1000 * NS_PER_MS }, true);
    const config = ok["config"] as Record<string, unknown>;
    assert.deepEqual([config["max_deliver"], config["max_waiting"], config["max_ack_pending"], config["ack_wait"]], [-1, 512, 1000, 1000 * NS_PER_MS]);
    assert.deepEqual((await create(h, "ORDERS", { name: "x" }, "yes"))["error"], { code: 400, err_code: 10025, description: "invalid JSON" });
  });
});

describe("consumer metadata", () => {
  it("round-trips through create, info, update and list", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory });
    const created = await h.jsm.consumers.add("ORDERS", { durable_name: "m", ack_policy: AckPolicy.Explicit, metadata: { owner: "billing", "tier.level": "2" } });
    // With nats-server 2.11's version keys (version-metadata.test.ts): all three in answers, the stored one in LIST.
    const versions = { "_nats.level": "4", "_nats.req.level": "0", "_nats.ver": "2.14.0" };
    assert.deepEqual(created.config.metadata, { owner: "billing", "tier.level": "2", ...versions });
    const updated = await h.jsm.consumers.update("ORDERS", "m", { metadata: { owner: "shipping" } });
    assert.deepEqual(updated.config.metadata, { owner: "shipping", ...versions });
    assert.deepEqual((await h.jsm.consumers.info("ORDERS", "m")).config.metadata, { owner: "shipping", ...versions });
    const listed = await h.jsm.consumers.list("ORDERS").next();
    assert.deepEqual(listed[0]?.config.metadata, { owner: "shipping", "_nats.req.level": "0" });
    assert.deepEqual((await create(h, "ORDERS", { name: "bad", metadata: { owner: 1 } }, undefined))["error"], { code: 400, err_code: 10025, description: "invalid JSON" });
  });
});

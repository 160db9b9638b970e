/**
 * Subject delete markers (nats-server 2.11, `subject_delete_marker_ttl`): when the last message
 * of a subject expires (max_age or its own TTL), the server publishes in its place a marker
 * with no payload and `Nats-Marker-Reason: MaxAge`, `Nats-TTL: <marker TTL as a Go duration>`
 * and `Nats-Rollup: sub` (filestore.go/memstore.go `handleRemovalOrSdm`); a marker that expires
 * leaves nothing. Config rules as stream.go checkStreamCfg.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { headers } from "@nats-io/nats-core";
import { AckPolicy, StorageType } from "@nats-io/jetstream";
import { startJetStream, type JsHarness } from "./stream-helpers.ts";

const S = 1_000_000_000;

async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`not within ${ms} ms: ${what}`);
}

async function config(h: JsHarness, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  return (await h.request(`$JS.API.STREAM.CREATE.${String(body["name"])}`, JSON.stringify(body))).json;
}

describe("subject_delete_marker_ttl config", () => {
  it("refuses under 1 s, negative, and on a mirror; turns on TTLs and rollups", async (t) => {
    const h = await startJetStream(t, "in-process");
    const invalid = (description: string) => ({ code: 500, err_code: 10052, description });
    assert.deepEqual((await config(h, { name: "A", subject_delete_marker_ttl: S / 2 }))["error"], invalid("subject delete marker TTL must be at least 1 second"));
    assert.deepEqual((await config(h, { name: "A", subject_delete_marker_ttl: -1 }))["error"], invalid("subject delete marker TTL must not be negative"));
    assert.deepEqual((await config(h, { name: "M", mirror: { name: "X" }, subject_delete_marker_ttl: S }))["error"], invalid("subject delete markers forbidden on mirrors"));
    const ok = await config(h, { name: "A", subject_delete_marker_ttl: 5 * S, deny_purge: true });
    const cfg = ok["config"] as Record<string, unknown>;
    assert.equal(cfg["allow_msg_ttl"], true);
    assert.equal(cfg["allow_rollup_hdrs"], true);
    assert.equal(cfg["deny_purge"], false);
    assert.equal(cfg["subject_delete_marker_ttl"], 5 * S);
  });
});

for (const storage of [StorageType.Memory, StorageType.File]) {
  describe(`subject delete markers (${storage})`, () => {
    it("places a MaxAge marker when max_age removes the last message of a subject", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "A", subjects: ["a.>"], storage, max_age: S, subject_delete_marker_ttl: 60 * S });
      // A consumer made first sees every message and then the markers, in stream order.
      const consumer = await h.jsm.consumers.add("A", { ack_policy: AckPolicy.None });
      await h.js.publish("a.one", "1");
      await h.js.publish("a.one", "2");
      await h.js.publish("a.two", "3");
      const c = await h.js.consumers.get("A", consumer.name);
      const got = [];
      for await (const m of await c.fetch({ max_messages: 5, expires: 5000 })) {
        got.push({ seq: m.seq, subject: m.subject, reason: m.headers?.get("Nats-Marker-Reason") ?? "", ttl: m.headers?.get("Nats-TTL") ?? "", rollup: m.headers?.get("Nats-Rollup") ?? "", size: m.data.length });
        if (got.length === 5) break;
      }
      assert.deepEqual(got, [
        { seq: 1, subject: "a.one", reason: "", ttl: "", rollup: "", size: 1 },
        { seq: 2, subject: "a.one", reason: "", ttl: "", rollup: "", size: 1 },
        { seq: 3, subject: "a.two", reason: "", ttl: "", rollup: "", size: 1 },
        // Seq 1 was not the last of a.one: it just went. Seq 2 and 3 were.
        { seq: 4, subject: "a.one", reason: "MaxAge", ttl: "1m0s", rollup: "sub", size: 0 },
        { seq: 5, subject: "a.two", reason: "MaxAge", ttl: "1m0s", rollup: "sub", size: 0 },
      ]);
      // The markers replaced what expired (max_age takes them a second later in turn).
      const state = (await h.jsm.streams.info("A")).state;
      assert.ok(state.messages <= 2 && state.first_seq >= 4, JSON.stringify(state));
    });

    it("places a marker when a TTL expires, then lets the marker expire without another", async (t) => {
      const h = await startJetStream(t, "in-process");
      await h.jsm.streams.add({ name: "T", subjects: ["t.>"], storage, allow_msg_ttl: true, subject_delete_marker_ttl: S });
      const hd = headers();
      hd.set("Nats-TTL", "1s");
      await h.js.publish("t.k", "v", { headers: hd });
      await eventually(async () => (await h.jsm.streams.info("T")).state.last_seq === 2, 4000, "the marker");
      const marker = await h.jsm.streams.getMessage("T", { seq: 2 });
      assert.equal(marker?.subject, "t.k");
      assert.equal(marker?.header.get("Nats-Marker-Reason"), "MaxAge");
      assert.equal(marker?.header.get("Nats-TTL"), "1s");
      assert.equal(marker?.data.length, 0);
      assert.equal((await h.jsm.streams.info("T")).state.messages, 1);
      await eventually(async () => (await h.jsm.streams.info("T")).state.messages === 0, 4000, "the marker expires");
      await sleep(300);
      const state = (await h.jsm.streams.info("T")).state;
      assert.equal(state.last_seq, 2, "no marker for a marker");
    });

    it("places no marker while other messages of the subject remain, and none for a purge", async (t) => {
      const h = await startJetStream(t, "in-process");
      await h.jsm.streams.add({ name: "P", subjects: ["p.>"], storage, allow_msg_ttl: true, subject_delete_marker_ttl: 60 * S });
      const short = headers();
      short.set("Nats-TTL", "1s");
      // Raised to the marker TTL (stream.go: a TTL never shorter than the markers'), so it stays.
      await h.js.publish("p.k", "a", { headers: short });
      const stored = await h.jsm.streams.getMessage("P", { seq: 1 });
      assert.equal(stored?.header.get("Nats-TTL"), "60");
      await h.js.publish("p.x", "b");
      await h.jsm.streams.purge("P", { filter: "p.x" });
      await sleep(1300);
      const state = (await h.jsm.streams.info("P")).state;
      assert.deepEqual([state.messages, state.last_seq], [1, 2]);
    });

    it("keeps a short TTL with one message per subject", async (t) => {
      const h = await startJetStream(t, "in-process");
      await h.jsm.streams.add({ name: "O", subjects: ["o.>"], storage, max_msgs_per_subject: 1, subject_delete_marker_ttl: 60 * S });
      const short = headers();
      short.set("Nats-TTL", "1s");
      await h.js.publish("o.k", "a", { headers: short });
      assert.equal((await h.jsm.streams.getMessage("O", { seq: 1 }))?.header.get("Nats-TTL"), "1s");
      await eventually(async () => (await h.jsm.streams.info("O")).state.last_seq === 2, 4000, "the marker replaces it");
      const state = (await h.jsm.streams.info("O")).state;
      assert.equal(state.messages, 1);
      assert.equal((await h.jsm.streams.getMessage("O", { last_by_subj: "o.k" }))?.header.get("Nats-Marker-Reason"), "MaxAge");
    });
  });
}

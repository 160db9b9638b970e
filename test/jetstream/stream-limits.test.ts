/**
 * Every stream limit and guard through the official client, in-process and over TCP:
 * max_msgs, max_bytes, max_age, max_msgs_per_subject, max_msg_size, discard new (and per
 * subject), rollup, sealed, deny_delete, deny_purge.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { headers } from "@nats-io/nats-core";
import { DiscardPolicy, JetStreamApiError, StorageType } from "@nats-io/jetstream";
import { startJetStream, TRANSPORTS } from "./stream-helpers.ts";

async function apiError(promise: Promise<unknown>): Promise<JetStreamApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof JetStreamApiError, `expected an API error, got ${String(err)}`);
  return err;
}

for (const transport of TRANSPORTS) {
  describe(`stream limits (${transport})`, () => {
    it("max_msgs and max_bytes discard the oldest", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "L", subjects: ["l"], storage: StorageType.Memory, max_msgs: 3 });
      for (let i = 1; i <= 5; i++) await js.publish("l", `${i}`);
      let state = (await jsm.streams.info("L")).state;
      assert.equal(state.messages, 3);
      assert.equal(state.first_seq, 3);
      // 100 bytes of payload + subject "b" + 16 = 117 bytes a message in memory.
      await jsm.streams.add({ name: "B", subjects: ["b"], storage: StorageType.Memory, max_bytes: 300 });
      for (let i = 0; i < 4; i++) await js.publish("b", "x".repeat(100));
      state = (await jsm.streams.info("B")).state;
      assert.equal(state.messages, 2);
      assert.equal(state.bytes, 234);
    });

    it("max_msgs_per_subject keeps the newest per subject", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "PS", subjects: ["ps.*"], storage: StorageType.Memory, max_msgs_per_subject: 2 });
      for (let i = 1; i <= 4; i++) await js.publish("ps.a", `a${i}`);
      await js.publish("ps.b", "b1");
      const state = (await jsm.streams.info("PS")).state;
      assert.equal(state.messages, 3);
      assert.equal((await jsm.streams.getMessage("PS", { last_by_subj: "ps.a" }))?.string(), "a4");
      assert.equal(await jsm.streams.getMessage("PS", { seq: 2 }), null, "10037 no message found reads as null");
    });

    it("max_age expires messages", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "AGE", subjects: ["age"], storage: StorageType.Memory, max_age: 200_000_000 });
      const si = await jsm.streams.info("AGE");
      assert.equal(si.config.duplicate_window, 200_000_000, "the duplicate window is capped by max_age");
      await js.publish("age", "short-lived");
      assert.equal((await jsm.streams.info("AGE")).state.messages, 1);
      const deadline = Date.now() + 5000;
      while ((await jsm.streams.info("AGE")).state.messages !== 0) {
        assert.ok(Date.now() < deadline, "the message should have expired");
        await new Promise((r) => setTimeout(r, 50));
      }
    });

    it("max_msg_size refuses larger messages with 10054", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "SZ", subjects: ["sz"], storage: StorageType.Memory, max_msg_size: 10 });
      assert.equal((await js.publish("sz", "0123456789")).seq, 1);
      const err = await apiError(js.publish("sz", "01234567890"));
      assert.equal(err.code, 10054);
      assert.equal(err.message, "message size exceeds maximum allowed");
    });

    it("discard new refuses at max_msgs, max_bytes and per subject", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "N", subjects: ["n.*"], storage: StorageType.Memory, discard: DiscardPolicy.New, max_msgs: 2 });
      await js.publish("n.a", "1");
      await js.publish("n.b", "2");
      const full = await apiError(js.publish("n.c", "3"));
      assert.equal(full.code, 10077);
      assert.equal(full.message, "maximum messages exceeded");
      assert.equal(full.status, 503);

      await jsm.streams.add({ name: "NB", subjects: ["nb"], storage: StorageType.Memory, discard: DiscardPolicy.New, max_bytes: 150 });
      await js.publish("nb", "x".repeat(80));
      const bytes = await apiError(js.publish("nb", "x".repeat(50)));
      assert.equal(bytes.message, "maximum bytes exceeded");

      await jsm.streams.add({
        name: "NP",
        subjects: ["np.*"],
        storage: StorageType.Memory,
        discard: DiscardPolicy.New,
        max_msgs_per_subject: 1,
        discard_new_per_subject: true,
      });
      await js.publish("np.a", "1");
      const perSubject = await apiError(js.publish("np.a", "2"));
      assert.equal(perSubject.message, "maximum messages per subject exceeded");
      assert.equal((await js.publish("np.b", "other subject")).seq, 2);
    });

    it("applies the server's maxMemory to stream reservations and publishes", async (t) => {
      const { jsm, js, request } = await startJetStream(t, transport, { maxMemory: 1_000_000 });
      const tooBig = await request("$JS.API.STREAM.CREATE.BIG", JSON.stringify({ name: "BIG", storage: "memory", max_bytes: 2_000_000 }));
      assert.deepEqual(tooBig.json["error"], { code: 500, err_code: 10028, description: "insufficient memory resources available" });
      await jsm.streams.add({ name: "M", subjects: ["m"], storage: StorageType.Memory });
      // As nats-server: the publish that crosses the limit is taken, the next one refused.
      await js.publish("m", "x".repeat(600_000));
      await js.publish("m", "x".repeat(600_000));
      const refused = await apiError(js.publish("m", "x"));
      assert.equal(refused.code, 10023);
      assert.equal(refused.status, 503);
      assert.equal((await jsm.getAccountInfo()).limits.max_memory, -1, "account limits, not the server's");
    });

    it("rolls up a subject or the whole stream, only when allowed", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "R", subjects: ["r.*"], storage: StorageType.Memory, allow_rollup_hdrs: true });
      for (let i = 0; i < 3; i++) await js.publish("r.a", `a${i}`);
      await js.publish("r.b", "b0");
      const sub = headers();
      sub.set("Nats-Rollup", "sub");
      await js.publish("r.a", "a-total", { headers: sub });
      let state = (await jsm.streams.info("R")).state;
      assert.equal(state.messages, 2, "r.a's rollup and r.b");
      const all = headers();
      all.set("Nats-Rollup", "all");
      await js.publish("r.c", "everything", { headers: all });
      state = (await jsm.streams.info("R")).state;
      assert.equal(state.messages, 1);
      assert.equal(state.first_seq, 6);

      await jsm.streams.add({ name: "NR", subjects: ["nr"], storage: StorageType.Memory });
      const refused = await apiError(js.publish("nr", "x", { headers: sub }));
      assert.equal(refused.code, 10111);
      assert.equal(refused.message, "rollup not permitted");
    });

    it("seals a stream, and honours deny_delete and deny_purge", async (t) => {
      const { jsm, js, request } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "DD", subjects: ["dd"], storage: StorageType.Memory, deny_delete: true, deny_purge: true });
      await js.publish("dd", "1");
      const del = await request("$JS.API.STREAM.MSG.DELETE.DD", JSON.stringify({ seq: 1 }));
      assert.deepEqual(del.json["error"], { code: 500, err_code: 10057, description: "message delete not permitted" });
      const purge = await request("$JS.API.STREAM.PURGE.DD");
      assert.deepEqual(purge.json["error"], { code: 500, err_code: 10110, description: "stream purge not permitted" });
      const undo = await request("$JS.API.STREAM.UPDATE.DD", JSON.stringify({ name: "DD", subjects: ["dd"], storage: "memory" }));
      assert.deepEqual(undo.json["error"], { code: 500, err_code: 10052, description: "stream configuration update can not cancel deny message deletes" });

      await jsm.streams.add({ name: "SEAL", subjects: ["seal"], storage: StorageType.Memory, max_age: 60_000_000_000 });
      await js.publish("seal", "kept");
      // The client's update type leaves `sealed` out; the request is plain JSON anyway.
      const sealing = await request("$JS.API.STREAM.UPDATE.SEAL", JSON.stringify({ name: "SEAL", subjects: ["seal"], storage: "memory", max_age: 60_000_000_000, sealed: true }));
      const sealed = sealing.json["config"] as { sealed: boolean; deny_delete: boolean; deny_purge: boolean; discard: string; max_age: number };
      assert.equal(sealed.sealed, true);
      assert.equal(sealed.deny_delete, true);
      assert.equal(sealed.deny_purge, true);
      assert.equal(sealed.discard, "new");
      assert.equal(sealed.max_age, 0);
      assert.equal((await jsm.streams.info("SEAL")).config.sealed, true);
      const publish = await apiError(js.publish("seal", "refused"));
      assert.equal(publish.code, 10109);
      const purgeSealed = await request("$JS.API.STREAM.PURGE.SEAL");
      assert.deepEqual(purgeSealed.json["error"], { code: 400, err_code: 10109, description: "invalid operation on sealed stream" });
      const createSealed = await request("$JS.API.STREAM.CREATE.S2", JSON.stringify({ name: "S2", sealed: true }));
      assert.equal((createSealed.json["error"] as { err_code: number }).err_code, 10052);
      const rollupNoPurge = await request("$JS.API.STREAM.CREATE.S3", JSON.stringify({ name: "S3", deny_purge: true, allow_rollup_hdrs: true }));
      assert.deepEqual(rollupNoPurge.json["error"], { code: 500, err_code: 10052, description: "roll-ups require the purge permission" });
    });
  });
}

/**
 * `persist_mode` (nats-server 2.12): "async" is taken on file streams only (not replicated, not
 * with atomic batches), needs API level 2, and cannot change by update; "default" is written as
 * nothing. As nats.js's `streams - persist mode` test expects. Here a file stream writes each
 * message before its PubAck in either mode.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StorageType, type StreamConfig } from "@nats-io/jetstream";
import { startJetStream, TRANSPORTS } from "./stream-helpers.ts";

const invalid = (why: string) => ({ code: 500, err_code: 10052, description: why });

for (const transport of TRANSPORTS) {
  describe(`persist_mode (${transport})`, () => {
    it("async is kept, needs level 2 and cannot change; default is written as nothing", async (t) => {
      const h = await startJetStream(t, transport);
      const a = await h.jsm.streams.add({ name: "A", subjects: ["a"], persist_mode: "default" } as Partial<StreamConfig> & { name: string });
      assert.equal((a.config as unknown as Record<string, unknown>)["persist_mode"], undefined);
      assert.equal(a.config.metadata?.["_nats.req.level"], "0");
      const b = await h.jsm.streams.add({ name: "B", subjects: ["b"], storage: StorageType.File, persist_mode: "async" } as Partial<StreamConfig> & { name: string });
      assert.equal((b.config as unknown as Record<string, unknown>)["persist_mode"], "async");
      assert.equal(b.config.metadata?.["_nats.req.level"], "2");
      assert.equal((await h.js.publish("b", "x")).seq, 1);
      await assert.rejects(() => h.jsm.streams.update("B", { persist_mode: "default" } as Partial<StreamConfig>), /can not change persist mode/);
      // The client sends the whole config back: an update that keeps "async" is fine.
      const kept = await h.jsm.streams.update("B", { max_msgs: 10 });
      assert.equal((kept.config as unknown as Record<string, unknown>)["persist_mode"], "async");
    });

    it("refusals as checkStreamCfg, and a value Go cannot decode", async (t) => {
      const h = await startJetStream(t, transport);
      const create = async (cfg: Record<string, unknown>) => (await h.request("$JS.API.STREAM.CREATE.X", JSON.stringify({ name: "X", subjects: ["x"], ...cfg }))).json["error"];
      assert.deepEqual(await create({ storage: "memory", persist_mode: "async" }), invalid("async persist mode is only supported on file storage"));
      assert.deepEqual(await create({ persist_mode: "async", allow_atomic: true }), invalid("async persist mode is not supported with atomic batch publish"));
      assert.deepEqual(await create({ persist_mode: "later" }), { code: 400, err_code: 10025, description: "invalid JSON" });
      assert.deepEqual(await create({ persist_mode: null }), { code: 400, err_code: 10025, description: "invalid JSON" });
      assert.equal(await create({ persist_mode: "" }), undefined);
    });
  });
}

/**
 * JetStream is loaded on demand (src/jetstream/loader.ts): requests sent before its modules
 * have loaded are held and answered, in order; a broker without JetStream has nobody on the
 * API subjects, as nats-server without `-js`.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createServer, NoRespondersError } from "../../src/index.ts";

describe("JetStream loader", () => {
  it("answers requests sent in the same turn as createServer, in order", async (t) => {
    const storeDir = await mkdtemp(join(tmpdir(), "nats-embedded-loader-"));
    const server = createServer({ jetstream: { storeDir } });
    t.after(async () => {
      await server.close();
      await rm(storeDir, { recursive: true, force: true });
    });
    // No await before these: the JetStream modules cannot have loaded yet.
    const create = server.request("$JS.API.STREAM.CREATE.EARLY", JSON.stringify({ name: "EARLY", subjects: ["early.>"], storage: "memory" }));
    const info = server.request("$JS.API.STREAM.INFO.EARLY", "");
    const account = server.request("$JS.API.INFO", "");
    const created = (await create).json<{ type: string; config: { name: string } }>();
    assert.equal(created.type, "io.nats.jetstream.api.v1.stream_create_response");
    assert.equal(created.config.name, "EARLY");
    const streamInfo = (await info).json<{ type: string; state: { messages: number } }>();
    assert.equal(streamInfo.type, "io.nats.jetstream.api.v1.stream_info_response");
    assert.equal(streamInfo.state.messages, 0);
    const accountInfo = (await account).json<{ type: string; streams: number }>();
    assert.equal(accountInfo.type, "io.nats.jetstream.api.v1.account_info_response");
    assert.equal(accountInfo.streams, 1);
  });

  it("has no responder on the API without JetStream", async (t) => {
    const server = createServer();
    t.after(() => server.close());
    await assert.rejects(server.request("$JS.API.INFO", "", { timeout: 500 }), NoRespondersError);
  });

  it("closes cleanly while the service is still loading", async () => {
    const storeDir = await mkdtemp(join(tmpdir(), "nats-embedded-loader-"));
    try {
      const server = createServer({ jetstream: { storeDir } });
      await server.close();
      await assert.rejects(server.request("$JS.API.INFO", ""));
    } finally {
      await rm(storeDir, { recursive: true, force: true });
    }
  });
});

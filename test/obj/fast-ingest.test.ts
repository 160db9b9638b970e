/**
 * The object store with `allowBatched: true` (@nats-io/obj 3.4, nats-server 2.14 fast ingest):
 * the client sees `api_lvl` 4 in INFO, creates the bucket's stream with `allow_batched`, and
 * puts each object's chunks as one fast-ingest batch ending with the metadata message. Objects
 * come back whole (SHA-256 checked by the client) on both stores, and survive a restart of the
 * file store. The client is used unchanged.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import { createServer } from "../../src/index.ts";
import { startKvBroker, tempDir, TARGETS } from "../kv/kv-helpers.ts";

async function readAll(rs: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of rs) parts.push(part);
  return Buffer.concat(parts);
}

const sha = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

// The reference nats-server of the KV tests (2.9) has no fast ingest.
for (const target of TARGETS.filter((x) => x !== "nats-server")) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`object store with fast ingest (${target}, ${storage})`, () => {
      it("puts and gets objects through batched chunks", async (t) => {
        const { nc } = await startKvBroker(t, target);
        const os = await new Objm(nc).create("fast", { storage, allowBatched: true } as never);
        const jsm = await jetstreamManager(nc);
        assert.equal((await jsm.streams.info("OBJ_fast")).config.allow_batched, true);
        // 3 MB in 128 KB chunks: 24 chunks and the metadata in one batch.
        const big = randomBytes(3 * 1024 * 1024);
        const info = await os.putBlob({ name: "big.bin", options: { max_chunk_size: 128 * 1024 } }, big);
        assert.equal(info.size, big.length);
        assert.equal(info.chunks, 24);
        const got = await os.getBlob("big.bin");
        assert.ok(got !== null);
        assert.equal(sha(got), sha(big));
        // Replacing it purges the old chunks; an empty object is a single plain publish.
        const small = randomBytes(1000);
        await os.putBlob({ name: "big.bin" }, small);
        assert.equal(sha((await os.getBlob("big.bin"))!), sha(small));
        await os.putBlob({ name: "empty" }, new Uint8Array(0));
        assert.equal((await os.getBlob("empty"))?.length, 0);
        const state = (await jsm.streams.info("OBJ_fast")).state;
        // 1 chunk + meta for big.bin now, meta for empty.
        assert.equal(state.messages, 3);
        const reopened = await new Objm(nc).open("fast", { check: true, allowBatched: true } as never);
        assert.equal(sha((await reopened.get("big.bin").then((r) => readAll(r!.data)))), sha(small));
      });
    });
  }
}

describe("object store with fast ingest across a restart (file)", () => {
  it("keeps what the batches stored", async (t) => {
    const storeDir = tempDir(t);
    const data = randomBytes(600 * 1024);
    const first = createServer({ port: 0, jetstream: { storeDir } });
    await first.listen();
    let nc = await connect({ servers: first.url!, reconnect: false });
    const os = await new Objm(nc).create("keep", { storage: StorageType.File, allowBatched: true } as never);
    await os.putBlob({ name: "a", options: { max_chunk_size: 64 * 1024 } }, data);
    await nc.close();
    await first.close();
    const second = createServer({ port: 0, jetstream: { storeDir } });
    await second.listen();
    nc = await connect({ servers: second.url!, reconnect: false });
    t.after(async () => {
      await nc.close().catch(() => undefined);
      await second.close();
    });
    const again = await new Objm(nc).open("keep");
    assert.equal(sha((await again.getBlob("a"))!), sha(data));
  });
});

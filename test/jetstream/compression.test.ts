/**
 * Stream `compression` through the official clients: an `s2` file stream keeps its messages
 * compressed on disk and hands them back byte for byte, before and after a restart; KV and
 * object store buckets created with `compression: true` get an `s2` stream; bad values get
 * nats-server's error; memory streams accept `s2` and store as is (nats-server's memstore
 * ignores it); an update may change it (nats.js's jsm test does s2 → none).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, JetStreamApiError, StorageType, StoreCompression } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { createServer } from "../../src/index.ts";
import { startJetStream, tempDir } from "./stream-helpers.ts";

/** JSON events as applications publish them: repeated keys, similar values. */
function event(i: number): string {
  return JSON.stringify({ id: i, user: `user-${i % 97}`, event: i % 3 === 0 ? "click" : "page_view", ts: 1_700_000_000_000 + i * 17, path: `/products/${i % 500}`, amount: (i * 37) % 1000 });
}

/** Bytes of a stream's segment files, wherever the account put its directory. */
function segmentBytes(storeDir: string, stream: string): number {
  let total = 0;
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".seg") && full.split(path.sep).includes(stream)) total += fs.statSync(full).size;
    }
  };
  walk(storeDir);
  return total;
}

async function readAll(nc: Awaited<ReturnType<typeof connect>>, stream: string, count: number): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const { name } = await jsm.consumers.add(stream, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
  const consumer = await jetstream(nc).consumers.get(stream, name);
  const out: string[] = [];
  const messages = await consumer.fetch({ max_messages: count, expires: 5000 });
  for await (const m of messages) out.push(m.string());
  return out;
}

describe("stream compression (s2)", () => {
  it("stores 1,000 JSON messages compressed on disk, reads them back byte-equal, and survives a restart", async (t) => {
    const storeDir = tempDir(t);
    const COUNT = 1000;
    const expected = Array.from({ length: COUNT }, (_, i) => event(i + 1));
    {
      await using server = createServer({ port: 0, host: "127.0.0.1", jetstream: { storeDir } });
      await server.listen();
      const nc = await connect({ servers: server.url!, reconnect: false });
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      const si = await jsm.streams.add({ name: "S2", subjects: ["s2.>"], storage: StorageType.File, compression: StoreCompression.S2 });
      assert.equal(si.config.compression, StoreCompression.S2);
      await jsm.streams.add({ name: "PLAIN", subjects: ["pl.>"], storage: StorageType.File });
      assert.equal((await jsm.streams.info("PLAIN")).config.compression, StoreCompression.None);
      for (const [i, body] of expected.entries()) {
        await js.publish(`s2.${i % 4}`, body);
        await js.publish(`pl.${i % 4}`, body);
      }
      assert.deepEqual(await readAll(nc, "S2", COUNT), expected);
      const info = await jsm.streams.info("S2");
      assert.equal(info.state.messages, COUNT);
      assert.equal(info.config.compression, StoreCompression.S2);
      // The accounted bytes are the messages' own, as nats-server's (compression is not counted).
      assert.equal(info.state.bytes, (await jsm.streams.info("PLAIN")).state.bytes);
      await nc.close();
    }
    const compressed = segmentBytes(storeDir, "S2");
    const plain = segmentBytes(storeDir, "PLAIN");
    assert.ok(compressed > 0 && plain > 0);
    assert.ok(compressed < plain * 0.5, `on disk: s2 ${compressed} bytes, none ${plain} bytes`);

    await using server = createServer({ port: 0, host: "127.0.0.1", jetstream: { storeDir } });
    await server.listen();
    const nc = await connect({ servers: server.url!, reconnect: false });
    t.after(() => nc.close());
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info("S2");
    assert.equal(info.config.compression, StoreCompression.S2);
    assert.equal(info.state.messages, COUNT);
    assert.deepEqual(await readAll(nc, "S2", COUNT), expected);
    const last = await jsm.streams.getMessage("S2", { last_by_subj: "s2.3" });
    assert.equal(last?.string(), expected[COUNT - 1]);
    // And it takes new messages after the restart.
    const ack = await jetstream(nc).publish("s2.0", event(COUNT + 1));
    assert.equal(ack.seq, COUNT + 1);
    assert.equal((await jsm.streams.getMessage("S2", { seq: COUNT + 1 }))?.string(), event(COUNT + 1));
  });

  it("answers a bad value with nats-server's invalid JSON error", async (t) => {
    const { request } = await startJetStream(t, "in-process");
    const unknown = await request("$JS.API.STREAM.CREATE.X", JSON.stringify({ name: "X", subjects: ["x"], compression: "gzip" }));
    assert.deepEqual(unknown.json.error, { code: 400, err_code: 10025, description: "invalid JSON: unknown compression algorithm" });
    const wrongCase = await request("$JS.API.STREAM.CREATE.X", JSON.stringify({ name: "X", subjects: ["x"], compression: "S2" }));
    assert.deepEqual(wrongCase.json.error, { code: 400, err_code: 10025, description: "invalid JSON: unknown compression algorithm" });
    const wrongType = await request("$JS.API.STREAM.CREATE.X", JSON.stringify({ name: "X", subjects: ["x"], compression: 1 }));
    assert.deepEqual(wrongType.json.error, { code: 400, err_code: 10025, description: "invalid JSON" });
    const created = await request("$JS.API.STREAM.CREATE.X", JSON.stringify({ name: "X", subjects: ["x"], compression: "none" }));
    assert.equal((created.json.config as { compression: string }).compression, "none");
    const updated = await request("$JS.API.STREAM.UPDATE.X", JSON.stringify({ name: "X", subjects: ["x"], compression: "lz4" }));
    assert.deepEqual(updated.json.error, { code: 400, err_code: 10025, description: "invalid JSON: unknown compression algorithm" });
  });

  it("accepts s2 on a memory stream and reports it, as nats-server (whose memory store ignores it)", async (t) => {
    const { jsm, js } = await startJetStream(t, "in-process");
    const si = await jsm.streams.add({ name: "M", subjects: ["m"], storage: StorageType.Memory, compression: StoreCompression.S2 });
    assert.equal(si.config.compression, StoreCompression.S2);
    await js.publish("m", event(1));
    assert.equal((await jsm.streams.getMessage("M", { seq: 1 }))?.string(), event(1));
  });

  it("changes on update, both ways, as nats.js's jsm test expects", async (t) => {
    const { jsm, js } = await startJetStream(t, "in-process");
    await jsm.streams.add({ name: "N", subjects: ["n"], storage: StorageType.File, compression: StoreCompression.S2 });
    await js.publish("n", event(1));
    let si = await jsm.streams.update("N", { compression: StoreCompression.None });
    assert.equal(si.config.compression, StoreCompression.None);
    si = await jsm.streams.update("N", { compression: StoreCompression.S2 });
    assert.equal(si.config.compression, StoreCompression.S2);
    assert.equal((await jsm.streams.getMessage("N", { seq: 1 }))?.string(), event(1));
    await assert.rejects(
      () => jsm.streams.update("N", { compression: "zstd" as StoreCompression }),
      (err: unknown) => err instanceof JetStreamApiError && err.code === 10025,
    );
  });

  it("KV and object store buckets with compression: true get an s2 stream, and values come back", async (t) => {
    const storeDir = tempDir(t);
    const value = (i: number): string => JSON.stringify({ key: `k${i}`, settings: { theme: "dark", lang: "en", flags: [1, 2, 3] }, owner: `team-${i % 7}` });
    const blob = Buffer.from(Array.from({ length: 4000 }, (_, i) => event(i)).join("\n"));
    {
      await using server = createServer({ jetstream: { storeDir } });
      const nc = await server.connect();
      const kv = await new Kvm(nc).create("cfg", { compression: true, storage: StorageType.File });
      assert.equal((await kv.status()).compression, true);
      const plainKv = await new Kvm(nc).create("plain", { storage: StorageType.File });
      assert.equal((await plainKv.status()).compression, false);
      for (let i = 0; i < 300; i++) await kv.put(`k.${i}`, value(i));
      assert.equal((await kv.get("k.123"))?.string(), value(123));

      const os = await new Objm(nc).create("files", { compression: true, storage: StorageType.File });
      assert.equal((await os.status()).compression, true);
      await os.putBlob({ name: "events.ndjson" }, blob);
      assert.ok(Buffer.from((await os.getBlob("events.ndjson"))!).equals(blob));

      const jsm = await jetstreamManager(nc);
      assert.equal((await jsm.streams.info("KV_cfg")).config.compression, StoreCompression.S2);
      assert.equal((await jsm.streams.info("OBJ_files")).config.compression, StoreCompression.S2);
      await nc.close();
    }
    const objBytes = segmentBytes(storeDir, "OBJ_files");
    assert.ok(objBytes > 0 && objBytes < blob.length * 0.5, `object store on disk: ${objBytes} bytes for a ${blob.length}-byte object`);

    await using server = createServer({ jetstream: { storeDir } });
    const nc = await server.connect();
    t.after(() => nc.close());
    const kv = await new Kvm(nc).open("cfg");
    assert.equal((await kv.status()).compression, true);
    for (const i of [0, 150, 299]) assert.equal((await kv.get(`k.${i}`))?.string(), value(i));
    const os = await new Objm(nc).open("files");
    assert.ok(Buffer.from((await os.getBlob("events.ndjson"))!).equals(blob));
  });
});

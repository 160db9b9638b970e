/**
 * The official object store client (`@nats-io/obj` 3.x) end to end against the embedded broker,
 * in-process and over TCP: chunked put/get of a 5 MB object checked by SHA-256, info, list,
 * delete, metadata updates, links, watch and seal.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import { Objm, type ObjectInfo, type ObjectWatchInfo } from "@nats-io/obj";
import { createServer } from "../../src/index.ts";
import { collect, startKvBroker, onCleanup, tempDir, TARGETS } from "../kv/kv-helpers.ts";

/** The digest string the client stores: `SHA-256=` and the base64url hash. */
function digestOf(data: Uint8Array): string {
  // base64url alphabet, but with its `=` padding kept, as the client writes it
  return `SHA-256=${createHash("sha256").update(data).digest("base64").replaceAll("+", "-").replaceAll("/", "_")}`;
}

/** A ReadableStream over `data` in pieces of `piece` bytes, as a file would be read. */
function streamOf(data: Uint8Array, piece = 64 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= data.length) {
        controller.close();
        return;
      }
      controller.enqueue(data.subarray(offset, offset + piece));
      offset += piece;
    },
  });
}

async function readAll(rs: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of rs) parts.push(part);
  return Buffer.concat(parts);
}

for (const target of TARGETS) {
  describe(`object store (${target})`, () => {
    it("puts and gets a 5 MB object in 128 KiB chunks, verified by SHA-256", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const os = await new Objm(nc).create("files");
      const data = new Uint8Array(randomBytes(5 * 1024 * 1024));
      const info = await os.put({ name: "big.bin", description: "random bytes" }, streamOf(data));
      assert.equal(info.size, data.length);
      assert.equal(info.chunks, 40, "5 MiB / 128 KiB");
      assert.equal(info.digest, digestOf(data));
      assert.equal(info.bucket, "files");
      assert.equal(info.deleted, false);

      const result = await os.get("big.bin");
      assert.ok(result);
      const back = await readAll(result.data);
      assert.equal(await result.error ?? null, null, "the client verified the digest");
      assert.equal(back.length, data.length);
      assert.equal(createHash("sha256").update(back).digest("hex"), createHash("sha256").update(data).digest("hex"));

      const jsm = await jetstreamManager(nc);
      const si = await jsm.streams.info("OBJ_files");
      assert.deepEqual(si.config.subjects, ["$O.files.C.>", "$O.files.M.>"]);
      assert.equal(si.state.messages, 41, "40 chunks and one meta message");
    });

    it("blobs: put, get, overwrite, an empty object, a missing one", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const os = await new Objm(nc).create("blobs", { storage: StorageType.Memory });
      await os.putBlob({ name: "hello.txt" }, new TextEncoder().encode("hello"));
      assert.equal(new TextDecoder().decode((await os.getBlob("hello.txt")) ?? undefined), "hello");
      await os.putBlob({ name: "hello.txt" }, new TextEncoder().encode("hello again"));
      assert.equal(new TextDecoder().decode((await os.getBlob("hello.txt")) ?? undefined), "hello again");
      const jsm = await jetstreamManager(nc);
      assert.equal((await jsm.streams.info("OBJ_blobs")).state.messages, 2, "the old chunks and meta were replaced");

      const empty = await os.putBlob({ name: "empty" }, new Uint8Array(0));
      assert.equal(empty.size, 0);
      assert.equal(empty.chunks, 0);
      assert.deepEqual(await os.getBlob("empty"), new Uint8Array(0));
      assert.equal(await os.getBlob("missing"), null);
      assert.equal(await os.info("missing"), null);
    });

    it("info, list, metadata update and rename, delete", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const os = await new Objm(nc).create("docs", { storage: StorageType.Memory });
      const data = new Uint8Array(randomBytes(300 * 1024));
      await os.put({ name: "a.pdf", metadata: { owner: "ada" }, options: { max_chunk_size: 100 * 1024 } }, streamOf(data));
      await os.putBlob({ name: "b.txt" }, new TextEncoder().encode("b"));
      const info = await os.info("a.pdf");
      assert.ok(info);
      assert.equal(info.chunks, 3);
      assert.deepEqual(info.metadata, { owner: "ada" });
      assert.equal(info.digest, digestOf(data));
      assert.deepEqual((await os.list()).map((i: ObjectInfo) => i.name).sort(), ["a.pdf", "b.txt"]);

      await os.update("a.pdf", { name: "a-renamed.pdf", description: "renamed", metadata: { owner: "grace" } });
      assert.equal(await os.info("a.pdf"), null);
      const renamed = await os.info("a-renamed.pdf");
      assert.equal(renamed?.description, "renamed");
      assert.deepEqual(renamed?.metadata, { owner: "grace" });
      assert.equal(digestOf((await os.getBlob("a-renamed.pdf")) ?? new Uint8Array()), info.digest);

      const purge = await os.delete("b.txt");
      assert.equal(purge.success, true);
      const deleted = await os.info("b.txt");
      assert.equal(deleted?.deleted, true, "a deleted object keeps a meta marker");
      assert.equal(await os.getBlob("b.txt"), null);
      assert.deepEqual((await os.list()).map((i: ObjectInfo) => i.name), ["a-renamed.pdf"]);
      const status = await os.status();
      assert.equal(status.bucket, "docs");
      assert.equal(status.backingStore, "JetStream");
      assert.ok(status.size > data.length);
    });

    it("links to an object and to another bucket", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const objm = new Objm(nc);
      const os = await objm.create("main", { storage: StorageType.Memory });
      const other = await objm.create("other", { storage: StorageType.Memory });
      const target0 = await os.putBlob({ name: "real" }, new TextEncoder().encode("the data"));
      const link = await os.link("alias", target0);
      assert.deepEqual(link.options?.link, { bucket: "main", name: "real" });
      assert.equal(new TextDecoder().decode((await os.getBlob("alias")) ?? undefined), "the data");
      const bucketLink = await os.linkStore("to-other", other);
      assert.deepEqual(bucketLink.options?.link, { bucket: "other" });
      const alias = await os.info("alias");
      assert.ok(alias);
      await assert.rejects(os.link("bad", alias), /link/, "a link to a link is refused");
    });

    it("watch: changes and deletions, and with includeHistory the current objects first", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const os = await new Objm(nc).create("watched", { storage: StorageType.Memory });
      await os.putBlob({ name: "one" }, new TextEncoder().encode("1"));
      const show = (i: ObjectWatchInfo): string => `${i.name}:${i.deleted ? "deleted" : i.size}`;
      const current = await os.watch({ includeHistory: true });
      onCleanup(t, () => current.stop());
      const updates = await os.watch(); // deliver_policy new: only what happens from now on
      onCleanup(t, () => updates.stop());
      const seenCurrent = collect(current);
      const seenUpdates = collect(updates);
      await seenCurrent.until(1);
      await os.putBlob({ name: "two" }, new TextEncoder().encode("22"));
      await os.delete("one");
      assert.deepEqual((await seenCurrent.until(3)).map(show), ["one:1", "two:2", "one:deleted"]);
      assert.deepEqual((await seenUpdates.until(2)).map(show), ["two:2", "one:deleted"]);
      assert.ok(seenUpdates.items.every((i) => i.isUpdate));
    });

    it("seal makes the bucket read-only", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const os = await new Objm(nc).create("sealed", { storage: StorageType.Memory });
      await os.putBlob({ name: "kept" }, new TextEncoder().encode("kept"));
      const status = await os.seal();
      assert.equal(status.sealed, true);
      await assert.rejects(os.putBlob({ name: "new" }, new TextEncoder().encode("no")));
      assert.equal(new TextDecoder().decode((await os.getBlob("kept")) ?? undefined), "kept");
    });

    it("lists and destroys buckets", async (t) => {
      const { nc } = await startKvBroker(t, target);
      const objm = new Objm(nc);
      await objm.create("x", { storage: StorageType.Memory });
      const y = await objm.create("y", { storage: StorageType.Memory });
      const names: string[] = [];
      for await (const s of objm.list()) names.push(s.bucket);
      assert.deepEqual(names.sort(), ["x", "y"]);
      assert.equal(await y.destroy(), true);
      const after: string[] = [];
      for await (const s of objm.list()) after.push(s.bucket);
      assert.deepEqual(after, ["x"]);
    });
  });
}

describe("object store across a broker restart (file storage)", () => {
  it("reads back an object stored before the restart", async (t) => {
    const storeDir = tempDir(t, "obj-");
    const data = new Uint8Array(randomBytes(700 * 1024));
    const first = createServer({ jetstream: { storeDir } });
    await first.listen();
    const nc1 = await first.connect();
    await (await new Objm(nc1).create("files")).put({ name: "f" }, streamOf(data));
    await nc1.close();
    await first.close();

    const second = createServer({ jetstream: { storeDir } });
    await second.listen();
    const nc2 = await second.connect();
    onCleanup(t, async () => {
      await nc2.close();
      await second.close();
    });
    const os = await new Objm(nc2).open("files");
    assert.equal((await os.info("f"))?.digest, digestOf(data));
    assert.deepEqual(Buffer.from((await os.getBlob("f")) ?? []), Buffer.from(data));
  });
});

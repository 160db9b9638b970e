/**
 * A file drop on the JetStream object store: the embedded broker listens on a TCP port, one
 * external client (the official `@nats-io/transport-node` and `@nats-io/obj`, as any other
 * process would use them) uploads a file into the `drop` bucket, and a second client, watching
 * the bucket, downloads every new file to its own directory. The object store cuts the file
 * into 128 KiB chunks and the reader checks its SHA-256 digest.
 *
 *   npm run example:obj                      (uploads a generated 3 MB file)
 *   npx tsx examples/object-file-drop.ts ./some/file.pdf
 *
 * In your project, import from "nats-embedded" instead of "../src/index.ts".
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { pipeline } from "node:stream/promises";
import { connect } from "@nats-io/transport-node";
import { Objm, type ObjectInfo } from "@nats-io/obj";
import { createServer } from "../src/index.ts";

/** The downloader: watches the bucket and saves each new (not deleted) file into `dir`. */
async function startDownloader(url: string, dir: string): Promise<{ next(): Promise<string>; stop(): Promise<void> }> {
  const nc = await connect({ servers: url, name: "downloader" });
  const drop = await new Objm(nc).open("drop");
  const watch = await drop.watch(); // only what arrives from now on
  const saved: string[] = [];
  const following = (async () => {
    for await (const info of watch) {
      if (info.deleted) continue;
      const result = await drop.get(info.name);
      if (result === null) continue;
      const target = join(dir, basename(info.name));
      await pipeline(Readable.fromWeb(result.data as NodeReadableStream<Uint8Array>), createWriteStream(target));
      const error = await result.error; // set if the chunks did not add up to the digest
      if (error) throw error;
      console.log(`downloader: saved ${info.name} (${info.size} bytes, ${info.chunks} chunks) to ${target}`);
      saved.push(target);
    }
  })();
  return {
    async next() {
      for (let i = 0; i < 1000 && saved.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const file = saved.shift();
      assert.ok(file !== undefined, "the downloader saved nothing within 10 s");
      return file;
    },
    async stop() {
      watch.stop();
      await following;
      await nc.close();
    },
  };
}

/** The uploader: streams a local file into the bucket under its base name. */
async function upload(url: string, file: string): Promise<ObjectInfo> {
  const nc = await connect({ servers: url, name: "uploader" });
  try {
    const drop = await new Objm(nc).open("drop");
    const body = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
    return await drop.put({ name: basename(file), description: "dropped by the uploader" }, body);
  } finally {
    await nc.close();
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "file-drop-"));
  const server = createServer({ host: "127.0.0.1", port: Number(process.env["PORT"] ?? 0), jetstream: { storeDir: join(work, "store") } });
  await server.listen();
  console.log(`broker: listening on ${server.url}`);
  try {
    // The bucket, made by whoever runs the broker.
    const admin = await server.connect();
    await new Objm(admin).create("drop", { description: "files dropped by clients" });

    let file = process.argv[2];
    if (file === undefined) {
      file = join(work, "report.bin");
      writeFileSync(file, randomBytes(3 * 1024 * 1024));
    }
    const downloader = await startDownloader(server.url!, mkdtempSync(join(work, "downloads-")));
    const info = await upload(server.url!, file);
    console.log(`uploader: put ${info.name}: ${info.size} bytes in ${info.chunks} chunks, ${info.digest}`);

    const saved = await downloader.next();
    const sha = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");
    assert.equal(sha(saved), sha(file), "the downloaded file is the uploaded one");
    console.log(`the copy matches the original (sha256 ${sha(saved).slice(0, 16)}…)`);

    await downloader.stop();
    await admin.close();
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();

/**
 * Child process for the kill -9 test: appends to a file store as fast as it can and prints each
 * sequence once store() has returned (the moment a stream would send its PubAck). The parent
 * kills it mid-stream and checks every printed sequence survived.
 *
 *   node --import tsx crash-writer.ts <storeDir> [none|s2]
 *
 * With `s2` the kill can also land while a sealed segment is being compressed.
 */
import { FileStoreFactory } from "../../src/jetstream/store/file-store-factory.ts";

const storeDir = process.argv[2];
if (storeDir === undefined) throw new Error("usage: crash-writer.ts <storeDir> [none|s2]");
const compression = process.argv[3] === "s2" ? "s2" : "none";
const store = await new FileStoreFactory(storeDir, { segmentSize: 64 * 1024 }).open(
  "CRASH",
  { name: "CRASH" },
  { maxMsgs: -1, maxBytes: -1, maxAgeNs: 0, maxMsgsPerSubject: -1, compression },
);
const payload = new Uint8Array(200).fill(0x61);
// Bounded, so a parent that fails to kill it does not leave it running forever.
for (let i = 0; i < 500_000; i++) {
  const { seq } = store.store(`crash.${i % 7}`, undefined, payload);
  process.stdout.write(`${seq}\n`);
  // Yield now and then so stdout drains and the parent's kill lands mid-run.
  if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
}

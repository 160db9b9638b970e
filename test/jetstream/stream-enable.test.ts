/**
 * Turning JetStream on (library option, CLI flags, configuration file), what INFO says about
 * it, and file streams surviving a restart: stream, messages, created time and dedup window.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { createServer, InvalidOptionError } from "../../src/index.ts";
import { parseCommandLine, resolveSettings } from "../../src/cli-args.ts";
import { parseConfig } from "../../src/config/parser.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { tempDir } from "./stream-helpers.ts";

describe("enabling JetStream", () => {
  it("advertises jetstream in INFO only when enabled, and answers only then", async (t) => {
    const on = createServer({ port: 0, jetstream: { storeDir: tempDir(t) } });
    const off = createServer({ port: 0 });
    await on.listen();
    await off.listen();
    t.after(() => Promise.all([on.close(), off.close()]));
    const ncOn = await connect({ servers: on.url!, reconnect: false });
    const ncOff = await connect({ servers: off.url!, reconnect: false });
    t.after(() => Promise.all([ncOn.close(), ncOff.close()]));
    assert.equal(ncOn.info?.jetstream, true);
    assert.equal(ncOff.info?.jetstream, undefined);
    const info = await (await jetstreamManager(ncOn)).getAccountInfo();
    assert.equal(info.streams, 0);
    assert.equal(info.limits.max_memory, -1);
    await assert.rejects(jetstreamManager(ncOff), (err: unknown) => err instanceof Error && err.name === "JetStreamNotEnabled");
  });

  it("checks its options at createServer", () => {
    assert.throws(() => createServer({ jetstream: { maxMemory: 0 } }), InvalidOptionError);
    assert.throws(() => createServer({ jetstream: { domain: "a.b" } }), InvalidOptionError);
    assert.throws(() => createServer({ jetstream: { syncInterval: -5 } }), InvalidOptionError);
    assert.throws(() => createServer({ jetstream: { storeDir: "" } }), InvalidOptionError);
  });

  it("takes -js and -sd from the command line, as nats-server", () => {
    const parsed = parseCommandLine(["-js", "-sd", "/data/js", "-p", "-1"]);
    assert.ok("flags" in parsed);
    assert.deepEqual(resolveSettings(parsed.flags).options.jetstream, { storeDir: "/data/js" });
    const long = parseCommandLine(["--jetstream", "--store_dir=/x"]);
    assert.ok("flags" in long);
    assert.deepEqual(resolveSettings(long.flags).options.jetstream, { storeDir: "/x" });
    // -sd alone does not turn JetStream on; -js=false turns off what a file turned on.
    const sdOnly = parseCommandLine(["-sd", "/x"]);
    assert.ok("flags" in sdOnly);
    assert.equal(resolveSettings(sdOnly.flags).options.jetstream, undefined);
    const off = parseCommandLine(["-js=false"]);
    assert.ok("flags" in off);
    const file = optionsFromConfig(parseConfig("jetstream: enabled"));
    assert.equal(resolveSettings(off.flags, file).options.jetstream, undefined);
    // The file's block stays, with -sd over its store_dir.
    const withFile = parseCommandLine(["-sd", "/flag"]);
    assert.ok("flags" in withFile);
    const block = optionsFromConfig(parseConfig("jetstream { store_dir: /file, max_mem: 1G }"));
    assert.deepEqual(resolveSettings(withFile.flags, block).options.jetstream, { storeDir: "/flag", maxMemory: 1000 ** 3 });
  });

  it("maps the configuration file's jetstream block and store_dir", () => {
    const options = (text: string): unknown => optionsFromConfig(parseConfig(text)).options.jetstream;
    assert.deepEqual(options("jetstream: true"), {});
    assert.deepEqual(options("jetstream: enabled\nstore_dir: /top"), { storeDir: "/top" });
    assert.equal(options("jetstream: disabled"), undefined);
    assert.equal(options("jetstream { enabled: false }"), undefined);
    assert.deepEqual(
      options('jetstream {\n  store_dir: "/var/js"\n  max_memory_store: 512MB\n  max_file_store: 10G\n  domain: hub\n  sync_interval: "10s"\n}'),
      { storeDir: "/var/js", maxMemory: 512 * 1024 ** 2, maxStore: 10 * 1000 ** 3, domain: "hub", syncInterval: 10_000 },
    );
    assert.deepEqual(options('jetstream { sync: always }'), { syncInterval: "always" });
    assert.throws(() => optionsFromConfig(parseConfig("jetstream { bogus: 1 }")), /unknown field "bogus"/);
    assert.throws(() => optionsFromConfig(parseConfig("jetstream: maybe")), /Expected 'enabled' or 'disabled'/);
  });
});

describe("file streams across a restart", () => {
  it("recovers streams, messages, created time and the duplicate window", async (t) => {
    const storeDir = tempDir(t);
    const first = createServer({ jetstream: { storeDir } });
    const nc1 = await first.connect();
    const jsm1 = await jetstreamManager(nc1);
    const created = await jsm1.streams.add({ name: "DUR", subjects: ["dur.>"], storage: StorageType.File });
    await jsm1.streams.add({ name: "MEM", subjects: ["mem"], storage: StorageType.Memory });
    const js1 = jetstream(nc1);
    for (let i = 1; i <= 20; i++) await js1.publish(`dur.${i % 3}`, `payload ${i}`, { msgID: `m${i}` });
    await js1.publish("mem", "gone with the process");
    await nc1.close();
    await first.close();

    const second = createServer({ port: 0, jetstream: { storeDir } });
    await second.listen();
    t.after(() => second.close());
    const nc2 = await connect({ servers: second.url!, reconnect: false });
    t.after(() => nc2.close());
    const jsm2 = await jetstreamManager(nc2);
    const info = await jsm2.streams.info("DUR");
    assert.equal(info.created, created.created);
    assert.equal(info.state.messages, 20);
    assert.equal(info.state.last_seq, 20);
    assert.equal((await jsm2.streams.getMessage("DUR", { seq: 7 }))?.string(), "payload 7");
    await assert.rejects(jsm2.streams.info("MEM"), /stream not found/);
    const js2 = jetstream(nc2);
    const dup = await js2.publish("dur.1", "again", { msgID: "m20" });
    assert.equal(dup.duplicate, true);
    assert.equal(dup.seq, 20);
    assert.equal((await js2.publish("dur.1", "new", { msgID: "m21" })).seq, 21);
  });

  it("opens the client port only once stored streams are back, as nats-server", async (t) => {
    const storeDir = tempDir(t);
    const first = createServer({ jetstream: { storeDir } });
    const nc1 = await first.connect();
    await (await jetstreamManager(nc1)).streams.add({ name: "EARLY", subjects: ["early"], storage: StorageType.File });
    const js1 = jetstream(nc1);
    await Promise.all(Array.from({ length: 200 }, (_, i) => js1.publish("early", `m${i}`)));
    await nc1.close();
    await first.close();

    const second = createServer({ port: 0, jetstream: { storeDir } });
    t.after(() => second.close());
    // A client that connects on "listening" and publishes at once must find the stream there.
    let streamsWhenListening = -1;
    second.on("listening", () => (streamsWhenListening = second.jsz().streams));
    await second.listen();
    assert.equal(streamsWhenListening, 1);
    const nc2 = await connect({ servers: second.url!, reconnect: false });
    t.after(() => nc2.close());
    nc2.publish("early", "right after connecting");
    await nc2.flush();
    const info = await (await jetstreamManager(nc2)).streams.info("EARLY");
    assert.equal(info.state.messages, 201);
  });

  it("closing while stored streams are recovered opens no port", async (t) => {
    const storeDir = tempDir(t);
    const first = createServer({ jetstream: { storeDir } });
    const nc1 = await first.connect();
    await (await jetstreamManager(nc1)).streams.add({ name: "RACE", subjects: ["race"], storage: StorageType.File });
    await nc1.close();
    await first.close();
    const second = createServer({ port: 0, jetstream: { storeDir } });
    const listening = second.listen();
    await second.close();
    await assert.rejects(listening, /closed/);
    assert.equal(second.url, undefined);
  });

  it("deletes a file stream's data with the stream", async (t) => {
    const storeDir = tempDir(t);
    const server = createServer({ jetstream: { storeDir } });
    const nc = await server.connect();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "TMP", subjects: ["tmp"] });
    await jetstream(nc).publish("tmp", "x");
    assert.equal(await jsm.streams.delete("TMP"), true);
    await nc.close();
    await server.close();
    const again = createServer({ jetstream: { storeDir } });
    const nc2 = await again.connect();
    t.after(async () => {
      await nc2.close();
      await again.close();
    });
    await assert.rejects((await jetstreamManager(nc2)).streams.info("TMP"), /stream not found/);
  });
});

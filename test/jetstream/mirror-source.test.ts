/**
 * Mirrors and sources (stream.go `setupMirrorConsumer`, `setupSourceConsumer`,
 * `processInboundMirrorMsg`, `processInboundSourceMsg`): a mirror holds its origin's messages
 * under the origin's sequences and times (gaps included); a stream with sources takes its
 * origins' messages in as new ones with `Nats-Stream-Source`. Both read through a hidden
 * (`direct`) push consumer on the origin, resume where they stopped after a restart, and honour
 * filters, start sequence or time and subject transforms. Through the official client, on both
 * stores, and against nats-server 2.9.10 for what 2.9 has.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { startJetStream, tempDir, TRANSPORTS, type JsHarness } from "./stream-helpers.ts";

/** Waits (up to 5 s) until the stream's last sequence reaches `lastSeq`. */
async function caughtUp(jsm: JetStreamManager, stream: string, lastSeq: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const si = await jsm.streams.info(stream);
    if (si.state.last_seq >= lastSeq || Date.now() > deadline) return;
    await sleep(20);
  }
}

async function contents(h: { jsm: JetStreamManager }, stream: string): Promise<string[]> {
  const si = await h.jsm.streams.info(stream);
  const out: string[] = [];
  for (let seq = si.state.first_seq; seq > 0 && seq <= si.state.last_seq; seq++) {
    const m = await h.jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m !== null) out.push(`${m.seq} ${m.subject} ${m.string()}`);
  }
  return out;
}

async function origin(h: JsHarness, storage: StorageType): Promise<void> {
  await h.jsm.streams.add({ name: "O", subjects: ["o.>"], storage });
  for (let i = 1; i <= 5; i++) await h.js.publish(`o.${i % 2 === 1 ? "a" : "b"}`, `m${i}`);
  await h.jsm.streams.deleteMessage("O", 3);
}

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`mirrors and sources (${transport}, ${storage})`, () => {
      it("a mirror keeps the origin's sequences, times and gaps, and follows new messages", async (t) => {
        const h = await startJetStream(t, transport);
        await origin(h, storage);
        const si = await h.jsm.streams.add({ name: "M", storage, mirror: { name: "O" } });
        assert.deepEqual(si.config.mirror, { name: "O" });
        assert.equal(si.config.subjects, undefined);
        assert.equal(si.config.duplicate_window, undefined);
        await h.js.publish("o.a", "m6");
        await caughtUp(h.jsm, "M", 6);
        assert.deepEqual(await contents(h, "M"), ["1 o.a m1", "2 o.b m2", "4 o.b m4", "5 o.a m5", "6 o.a m6"]);
        const [o6, m6] = await Promise.all([h.jsm.streams.getMessage("O", { seq: 6 }), h.jsm.streams.getMessage("M", { seq: 6 })]);
        assert.equal(m6?.time.getTime(), o6?.time.getTime());
        const info = await h.jsm.streams.info("M");
        assert.equal(info.mirror?.name, "O");
        assert.equal(info.mirror?.lag, 0);
        assert.ok((info.mirror?.active ?? -1) >= 0);
        assert.equal(info.state.num_deleted, 1);
        // The mirror's consumer on the origin is the server's own: not listed, not counted.
        assert.equal((await h.jsm.streams.info("O")).state.consumer_count, 0);
        assert.deepEqual(await h.jsm.consumers.list("O").next(), []);
        // A mirror takes no publishes of its own, and its config cannot change.
        await assert.rejects(h.jsm.streams.update("M", { mirror: { name: "O", filter_subject: "o.a" } }), /stream mirror configuration can not be updated/);
      });

      it("a mirror with a filter and a start sequence, and one with subject transforms", async (t) => {
        const h = await startJetStream(t, transport);
        await origin(h, storage);
        await h.jsm.streams.add({ name: "MA", storage, mirror: { name: "O", filter_subject: "o.a", opt_start_seq: 2 } });
        await h.jsm.streams.add({ name: "MT", storage, mirror: { name: "O", subject_transforms: [{ src: "o.b", dest: "b.copy" }] } });
        await caughtUp(h.jsm, "MA", 5);
        await caughtUp(h.jsm, "MT", 4);
        assert.deepEqual(await contents(h, "MA"), ["5 o.a m5"]);
        assert.deepEqual(await contents(h, "MT"), ["2 b.copy m2", "4 b.copy m4"]);
      });

      it("sources take in several origins as new messages with Nats-Stream-Source", async (t) => {
        const h = await startJetStream(t, transport);
        await origin(h, storage);
        await h.jsm.streams.add({ name: "P", subjects: ["p.>"], storage });
        await h.js.publish("p.1", "p1");
        const si = await h.jsm.streams.add({
          name: "S",
          subjects: ["s.>"],
          storage,
          sources: [{ name: "O", filter_subject: "o.a" }, { name: "P", subject_transforms: [{ src: "p.>", dest: "from-p.>" }] }],
        });
        assert.equal(si.config.sources?.length, 2);
        await h.js.publish("s.own", "own");
        await caughtUp(h.jsm, "S", 4);
        const got = await contents(h, "S");
        assert.equal(got.length, 4);
        assert.deepEqual(got.map((l) => l.split(" ").slice(1).join(" ")).sort(), ["from-p.1 p1", "o.a m1", "o.a m5", "s.own own"]);
        const first = await h.jsm.streams.getMessage("S", { last_by_subj: "o.a" });
        assert.equal(first?.header.get("Nats-Stream-Source"), "O 5 o.a > o.a");
        const fromP = await h.jsm.streams.getMessage("S", { last_by_subj: "from-p.1" });
        assert.equal(fromP?.header.get("Nats-Stream-Source"), "P 1 p.> from-p.> p.1");
        const info = await h.jsm.streams.info("S");
        assert.deepEqual(info.sources?.map((s) => [s.name, s.lag, (s as { filter_subject?: string }).filter_subject]), [["O", 0, "o.a"], ["P", 0, undefined]]);
        // A source by start time takes only what came after.
        const since = new Date();
        await sleep(5);
        await h.js.publish("o.b", "late");
        await h.jsm.streams.add({ name: "T", subjects: ["t"], storage, sources: [{ name: "O", opt_start_time: since.toISOString() }] });
        await caughtUp(h.jsm, "T", 1);
        assert.deepEqual((await contents(h, "T")).map((l) => l.split(" ").slice(1).join(" ")), ["o.b late"]);
      });

      it("refuses what nats-server refuses, with its codes", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "O", subjects: ["o.>"], storage });
        const create = async (config: Record<string, unknown>) =>
          ((await h.request(`$JS.API.STREAM.CREATE.${String(config["name"])}`, JSON.stringify({ storage, ...config }))).json["error"] as { err_code: number; description: string } | undefined);
        const cases: Array<[Record<string, unknown>, number, string]> = [
          [{ name: "X", subjects: ["x"], mirror: { name: "O" } }, 10034, "stream mirrors can not contain subjects"],
          [{ name: "X", mirror: { name: "O" }, sources: [{ name: "O" }] }, 10031, "stream mirrors can not also contain other sources"],
          [{ name: "X", first_seq: 5, mirror: { name: "O" } }, 10143, "stream mirrors can not have first sequence configured"],
          [{ name: "X", mirror: { name: "a.b" } }, 10142, "mirrored stream name is invalid"],
          [{ name: "X", mirror: { name: "O", filter_subject: "o.a", subject_transforms: [{ src: "o.b", dest: "x" }] } }, 10150, "mirror with multiple subject transforms cannot also have a single subject filter"],
          [{ name: "X", mirror: { name: "O", subject_transforms: [{ src: "o.>", dest: "x.>" }, { src: "o.a", dest: "y" }] } }, 10152, "mirror subject filters can not overlap"],
          [{ name: "X", sources: [{ name: "O" }, { name: "O" }] }, 10140, "duplicate source configuration detected"],
          [{ name: "X", sources: [{ name: "" }] }, 10141, "sourced stream name is invalid"],
          [{ name: "X", sources: [{ name: "O", subject_transforms: [{ src: "o.>", dest: "x.>" }, { src: "o.a", dest: "y" }] }] }, 10147, "source filters can not overlap"],
          [{ name: "X", sources: [{ name: "O", subject_transforms: [{ src: "o.*", dest: "x.$2" }] }] }, 10146, "source transform: invalid mapping destination: wildcard index out of range in $2: [2]"],
          [{ name: "X", max_msg_size: 10, mirror: { name: "Big" } }, 10030, "stream mirror must have max message size >= source"],
        ];
        await h.jsm.streams.add({ name: "Big", subjects: ["big"], storage, max_msg_size: 100 });
        for (const [config, code, description] of cases) assert.deepEqual(await create(config), { code: 400, err_code: code, description }, JSON.stringify(config));
        // A source that would read its own messages back.
        await h.jsm.streams.add({ name: "C1", subjects: ["c1"], storage });
        await h.jsm.streams.add({ name: "C2", subjects: ["c2"], storage, sources: [{ name: "C1" }] });
        await assert.rejects(h.jsm.streams.update("C1", { subjects: ["c1"], sources: [{ name: "C2" }] }), /detected cycle/);
        assert.deepEqual((await h.jsm.streams.names().next()).sort(), ["Big", "C1", "C2", "O"], "nothing half-created");
      });
    });
  }
}

describe("mirrors and sources: the nats.js scenarios", () => {
  it("a work queue fed by a source ('jetstream - source')", async (t) => {
    const h = await startJetStream(t, "tcp");
    await h.jsm.streams.add({ name: "src", subjects: ["src.*"], storage: StorageType.Memory });
    for (let i = 0; i < 10; i++) {
      await h.js.publish("src.A");
      await h.js.publish("src.B");
    }
    await h.jsm.streams.add({ name: "work", storage: StorageType.File, retention: RetentionPolicy.Workqueue, sources: [{ name: "src", filter_subject: ">" }] });
    await caughtUp(h.jsm, "work", 20);
    await h.jsm.consumers.add("work", { ack_policy: AckPolicy.Explicit, durable_name: "worker", filter_subject: "src.B" });
    const c = await h.js.consumers.get("work", "worker");
    let n = 0;
    for await (const m of await c.fetch({ max_messages: 10, expires: 2000 })) {
      await m.ackAck();
      n++;
    }
    assert.equal(n, 10);
    // The work queue still holds every A.
    assert.equal((await h.jsm.streams.info("work")).state.messages, 10);
  });

  it("mirror_direct follows the origin's allow_direct ('jsm - mirror_direct options')", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "A", allow_direct: true, subjects: ["a.*"], max_msgs_per_subject: 1, storage: StorageType.Memory });
    const si = await h.jsm.streams.add({ name: "B", allow_direct: true, mirror_direct: true, mirror: { name: "A" }, max_msgs_per_subject: 1, storage: StorageType.Memory });
    assert.equal(si.config.allow_direct, true);
    assert.equal(si.config.mirror_direct, true);
  });

  it("a mirror with two subject transforms ('jsm - source transforms')", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "N", subjects: ["foo", "bar"], storage: StorageType.Memory });
    await h.js.publish("foo");
    await h.js.publish("bar");
    const mi = await h.jsm.streams.add({
      name: "N2",
      storage: StorageType.Memory,
      mirror: { name: "N", subject_transforms: [{ src: "foo", dest: "foo-transformed" }, { src: "bar", dest: "bar-transformed" }] },
    });
    assert.deepEqual(mi.config.mirror?.subject_transforms?.map((v) => v.dest), ["foo-transformed", "bar-transformed"]);
    await caughtUp(h.jsm, "N2", 2);
    const c = await h.js.consumers.get("N2");
    const subjects: string[] = [];
    for await (const m of await c.fetch({ max_messages: 2, expires: 2000 })) subjects.push(m.subject);
    assert.deepEqual(subjects, ["foo-transformed", "bar-transformed"]);
  });
});

describe("mirrors and sources across a restart and a domain", () => {
  it("a file mirror and a file source resume where they stopped, without duplicates", async (t) => {
    const storeDir = tempDir(t);
    const run = async (work: (nc: Awaited<ReturnType<ReturnType<typeof createServer>["connect"]>>) => Promise<void>) => {
      const s = createServer({ jetstream: { storeDir } });
      await s.listen();
      const nc = await s.connect();
      try {
        await work(nc);
      } finally {
        await nc.close();
        await s.close();
      }
    };
    await run(async (nc) => {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "O", subjects: ["o.>"], storage: StorageType.File });
      await jsm.streams.add({ name: "M", storage: StorageType.File, mirror: { name: "O" } });
      await jsm.streams.add({ name: "S", subjects: ["s"], storage: StorageType.File, sources: [{ name: "O" }] });
      const js = jetstream(nc);
      for (let i = 1; i <= 3; i++) await js.publish(`o.${i}`, `m${i}`);
      await caughtUp(jsm, "M", 3);
      await caughtUp(jsm, "S", 3);
    });
    await run(async (nc) => {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await js.publish("o.4", "m4");
      await caughtUp(jsm, "M", 4);
      await caughtUp(jsm, "S", 4);
      await sleep(200);
      assert.deepEqual(await contents({ jsm }, "M"), ["1 o.1 m1", "2 o.2 m2", "3 o.3 m3", "4 o.4 m4"]);
      assert.deepEqual(await contents({ jsm }, "S"), ["1 o.1 m1", "2 o.2 m2", "3 o.3 m3", "4 o.4 m4"]);
      assert.equal((await jsm.streams.info("O")).state.consumer_count, 0);
    });
  });

  it("a mirror made before its origin reports the error, then starts once the origin exists", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "Early", storage: StorageType.Memory, mirror: { name: "Later" } });
    await sleep(150);
    const before = await h.jsm.streams.info("Early");
    assert.equal(before.mirror?.error?.err_code, 10059);
    await h.jsm.streams.add({ name: "Later", subjects: ["later"], storage: StorageType.Memory });
    await h.js.publish("later", "x");
    await caughtUp(h.jsm, "Early", 1);
    const after = await h.jsm.streams.info("Early");
    assert.equal(after.state.messages, 1);
    assert.equal(after.mirror?.error, undefined);
  });

  it("external.api reads through another API prefix (here the broker's own domain)", async (t) => {
    const h = await startJetStream(t, "tcp", { domain: "hub" });
    await h.jsm.streams.add({ name: "O", subjects: ["o.>"], storage: StorageType.Memory });
    await h.js.publish("o.1", "x");
    await h.jsm.streams.add({ name: "E", storage: StorageType.Memory, mirror: { name: "O", external: { api: "$JS.hub.API", deliver: "" } } });
    await caughtUp(h.jsm, "E", 1);
    assert.deepEqual(await contents(h, "E"), ["1 o.1 x"]);
  });
});

describe("mirrors and sources against nats-server 2.9.10", { skip: !hasNatsServer() && "nats-server is not installed" }, () => {
  it("hold the same messages", async (t) => {
    const ns = await startNatsServer(["-js", "-sd", tempDir(t, "ns-ms-")]);
    t.after(() => ns.stop());
    const server = createServer({ port: 0, jetstream: { storeDir: tempDir(t, "ne-ms-") } });
    await server.listen();
    t.after(() => server.close());
    const results: string[][] = [];
    for (const url of [`127.0.0.1:${ns.port}`, server.url!]) {
      const nc = await connect({ servers: url, reconnect: false });
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await jsm.streams.add({ name: "O", subjects: ["o.>"], storage: StorageType.Memory });
      for (let i = 1; i <= 6; i++) await js.publish(`o.${i % 3}`, `m${i}`);
      await jsm.streams.deleteMessage("O", 2);
      await jsm.streams.add({ name: "M", storage: StorageType.Memory, mirror: { name: "O", filter_subject: "o.1" } });
      // (Sourcing M as well would read O twice: both servers call that a cycle.)
      await jsm.streams.add({ name: "S", subjects: ["s"], storage: StorageType.Memory, sources: [{ name: "O", filter_subject: "o.2" }] });
      await js.publish("o.1", "m7");
      await js.publish("s", "own");
      await caughtUp(jsm, "M", 7);
      await caughtUp(jsm, "S", 3);
      await sleep(200);
      const m = await contents({ jsm }, "M");
      const s = [];
      for (const line of await contents({ jsm }, "S")) {
        const [seq] = line.split(" ");
        const msg = await jsm.streams.getMessage("S", { seq: Number(seq) });
        // 2.9 writes `<name> <seq>`; later releases add the filters, destinations and subject.
        s.push(`${line.split(" ").slice(1).join(" ")} ${(msg?.header?.get("Nats-Stream-Source") ?? "").split(" ").slice(0, 2).join(" ")}`);
      }
      results.push([...m, ...s.sort()]);
      await nc.close();
    }
    assert.equal(results[0]!.length, 5, results[0]!.join("\n"));
    assert.deepEqual(results[1], results[0]);
  });
});

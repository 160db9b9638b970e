/**
 * A stream's `republish` (stream.go `RePublish`, processJetStreamMsg): each stored message whose
 * subject matches `src` goes out again on the transformed `dest`, with `Nats-Stream`,
 * `Nats-Subject`, `Nats-Sequence`, `Nats-Time-Stamp`, `Nats-Last-Sequence` (the last sequence of
 * that subject before it) after its own headers; `headers_only` sends `Nats-Msg-Size` instead of
 * the payload. Through the official clients (nats.js tests `jetstream - republish`,
 * `kv - republish`), on both stores, across a restart, and against nats-server 2.9.10.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, headers, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { startJetStream, tempDir, TRANSPORTS } from "./stream-helpers.ts";

/** Collects messages on `subject` until `count` arrived (or a second passed). */
async function collect(nc: NatsConnection, subject: string): Promise<{ msgs: Msg[]; until(count: number): Promise<Msg[]> }> {
  const msgs: Msg[] = [];
  nc.subscribe(subject, { callback: (_e, m) => void msgs.push(m) });
  await nc.flush();
  return {
    msgs,
    async until(count) {
      const deadline = Date.now() + 2000;
      while (msgs.length < count && Date.now() < deadline) await sleep(10);
      return msgs;
    },
  };
}

function headerList(m: Msg): string[] {
  const h = m.headers;
  return h === undefined ? [] : h.keys().map((k) => `${k}=${k === "Nats-Time-Stamp" ? "T" : h.get(k)}`);
}

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`republish (${transport}, ${storage})`, () => {
      it("republishes each stored message with nats-server's headers (nats.js 'jetstream - republish')", async (t) => {
        const h = await startJetStream(t, transport);
        const si = await h.jsm.streams.add({ name: "S", subjects: ["s.>"], storage, republish: { src: "s.*", dest: "r.$1.x" } });
        assert.deepEqual(si.config.republish, { src: "s.*", dest: "r.$1.x" });
        const out = await collect(h.nc, "r.>");
        await h.js.publish("s.a", "one");
        const hd = headers();
        hd.set("X-App", "yes");
        const pa = await h.js.publish("s.a", "two", { headers: hd });
        await h.js.publish("s.b.deep", "not matched");
        await h.js.publish("s.b", "three");
        const msgs = await out.until(3);
        assert.deepEqual(
          msgs.map((m) => [m.subject, m.string(), headerList(m).join(",")]),
          [
            ["r.a.x", "one", "Nats-Stream=S,Nats-Subject=s.a,Nats-Sequence=1,Nats-Time-Stamp=T,Nats-Last-Sequence=0"],
            ["r.a.x", "two", "X-App=yes,Nats-Stream=S,Nats-Subject=s.a,Nats-Sequence=2,Nats-Time-Stamp=T,Nats-Last-Sequence=1"],
            ["r.b.x", "three", "Nats-Stream=S,Nats-Subject=s.b,Nats-Sequence=4,Nats-Time-Stamp=T,Nats-Last-Sequence=0"],
          ],
        );
        assert.equal(pa.seq, 2);
        assert.match(msgs[0]!.headers!.get("Nats-Time-Stamp"), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        // The stream itself holds the messages as published, no republish headers added.
        const stored = await h.jsm.streams.getMessage("S", { seq: 2 });
        assert.deepEqual(stored?.header.keys(), ["X-App"]);
      });

      it("headers_only sends Nats-Msg-Size and no payload; an update adds and removes republish", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "T", subjects: ["t.>"], storage });
        const out = await collect(h.nc, "copy.>");
        await h.js.publish("t.1", "before");
        const updated = await h.jsm.streams.update("T", { subjects: ["t.>"], republish: { src: "", dest: "copy.>", headers_only: true } });
        assert.deepEqual(updated.config.republish, { src: ">", dest: "copy.>", headers_only: true });
        await h.js.publish("t.1", "12345");
        const msgs = await out.until(1);
        assert.equal(msgs.length, 1);
        assert.equal(msgs[0]!.subject, "copy.t.1");
        assert.equal(msgs[0]!.data.length, 0);
        assert.deepEqual(headerList(msgs[0]!), ["Nats-Stream=T", "Nats-Subject=t.1", "Nats-Sequence=2", "Nats-Time-Stamp=T", "Nats-Last-Sequence=1", "Nats-Msg-Size=5"]);
        const cleared = await h.jsm.streams.update("T", { subjects: ["t.>"], republish: undefined });
        assert.equal(cleared.config.republish, undefined);
        await h.js.publish("t.1", "after");
        await sleep(100);
        assert.equal(out.msgs.length, 1);
      });

      it("refuses what nats-server refuses, with its codes", async (t) => {
        const h = await startJetStream(t, transport);
        const create = async (republish: unknown) => {
          const r = await h.request("$JS.API.STREAM.CREATE.B", JSON.stringify({ name: "B", subjects: ["b.>"], storage, republish }));
          return r.json["error"];
        };
        assert.deepEqual(await create({ src: "b.*", dest: "b.x" }), { code: 500, err_code: 10052, description: "stream configuration for republish destination forms a cycle" });
        assert.deepEqual(await create({ dest: ">" }), { code: 500, err_code: 10052, description: "stream configuration for republish destination forms a cycle" });
        assert.deepEqual(await create({ src: "b.*", dest: "r.$2" }), {
          code: 500,
          err_code: 10052,
          description: "stream configuration for republish with transform from 'b.*' to 'r.$2' not valid",
        });
        assert.deepEqual(await create({ src: "b.>", dest: "r.*" }), {
          code: 500,
          err_code: 10052,
          description: "stream configuration for republish with transform from 'b.>' to 'r.*' not valid",
        });
        assert.deepEqual(await create({ src: "b.*", dest: "r.{{nope(1)}}" }), {
          code: 500,
          err_code: 10052,
          description: "stream configuration for republish with transform from 'b.*' to 'r.{{nope(1)}}' not valid",
        });
        assert.deepEqual(await create({ src: 1, dest: "r" }), { code: 400, err_code: 10025, description: "invalid JSON" });
        assert.deepEqual(await create("r"), { code: 400, err_code: 10025, description: "invalid JSON" });
        assert.equal((await h.jsm.streams.names().next()).length, 0, "nothing half-created");
      });

      it("partition uses FNV-1a: the published test vector of 'foobar' (0xbf9cf968) % 1000 = 720", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "P", subjects: ["p.*"], storage, republish: { src: "p.*", dest: "q.{{partition(1000,1)}}" } });
        const out = await collect(h.nc, "q.>");
        await h.js.publish("p.foobar", "x");
        const [m] = await out.until(1);
        assert.equal(m?.subject, "q.720");
      });

      it("the mustache functions transform the subject as nats-server's", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({
          name: "M",
          subjects: ["m.*.*"],
          storage,
          republish: { src: "m.*.*", dest: "out.{{wildcard(2)}}.{{partition(3,1)}}.{{splitFromLeft(1,2)}}.{{right(2,3)}}" },
        });
        const out = await collect(h.nc, "out.>");
        await h.js.publish("m.abcdef.xyzuvw", "x");
        const [m] = await out.until(1);
        // partition hashes with 32-bit FNV-1a (Go's hash/fnv): 0xff478a2a for "abcdef", % 3 = 2.
        assert.equal(m?.subject, "out.xyzuvw.2.ab.cdef.uvw");
      });
    });
  }
}

describe("republish through KV and after a restart", () => {
  it("a KV bucket's republish carries the key's subject (nats.js 'kv - republish')", async (t) => {
    const h = await startJetStream(t, "tcp");
    const kv = await new Kvm(h.nc).create("test", { republish: { src: ">", dest: "republished-kv.>" } });
    const out = await collect(h.nc, "republished-kv.>");
    await kv.put("hello", "world");
    const [m] = await out.until(1);
    assert.equal(m?.subject, "republished-kv.$KV.test.hello");
    assert.equal(m?.string(), "world");
    assert.equal(m?.headers?.get("Nats-Stream"), "KV_test");
  });

  it("a file stream republishes again after a restart, with the right last sequence", async (t) => {
    const storeDir = tempDir(t);
    {
      const s = createServer({ jetstream: { storeDir } });
      await s.listen();
      const nc = await s.connect();
      const h = await import("@nats-io/jetstream");
      await (await h.jetstreamManager(nc)).streams.add({ name: "F", subjects: ["f.>"], storage: StorageType.File, republish: { src: "f.>", dest: "g.>" } });
      await h.jetstream(nc).publish("f.1", "a");
      await nc.close();
      await s.close();
    }
    const s = createServer({ jetstream: { storeDir } });
    await s.listen();
    t.after(() => s.close());
    const nc = await s.connect();
    t.after(() => nc.close());
    const out = await collect(nc, "g.>");
    const { jetstream } = await import("@nats-io/jetstream");
    await jetstream(nc).publish("f.1", "b");
    const [m] = await out.until(1);
    // The `>` of the destination takes what the `>` of the source matched.
    assert.equal(m?.subject, "g.1");
    assert.equal(m?.headers?.get("Nats-Sequence"), "2");
    assert.equal(m?.headers?.get("Nats-Last-Sequence"), "1");
  });
});

describe("republish against nats-server 2.9.10", { skip: !hasNatsServer() && "nats-server is not installed" }, () => {
  it("republishes the same messages with the same headers (2.9 has no Nats-Time-Stamp)", async (t) => {
    const ns = await startNatsServer(["-js", "-sd", tempDir(t, "ns-rp-")]);
    t.after(() => ns.stop());
    const server = createServer({ port: 0, jetstream: { storeDir: tempDir(t, "ne-rp-") } });
    await server.listen();
    t.after(() => server.close());
    const results: string[][] = [];
    for (const url of [`127.0.0.1:${ns.port}`, server.url!]) {
      const nc = await connect({ servers: url, reconnect: false });
      const out = await collect(nc, "r.>");
      const r = (subject: string, body: unknown) => nc.request(subject, JSON.stringify(body), { timeout: 2000 });
      await r("$JS.API.STREAM.CREATE.S", { name: "S", subjects: ["s.>"], storage: "memory", max_msgs_per_subject: 2, republish: { src: "s.*", dest: "r.$1" } });
      await r("$JS.API.STREAM.CREATE.T", { name: "T", subjects: ["t.>"], storage: "memory", republish: { src: "t.>", dest: "r.t.>", headers_only: true } });
      const hd = headers();
      hd.set("A", "1");
      for (const [subject, data] of [["s.a", "1"], ["s.b", "22"], ["s.a", "333"], ["s.a", "4444"], ["s.c.d", "5"], ["t.x.y", "66"], ["t.x.y", ""]]) {
        await nc.request(subject!, data, { timeout: 2000, headers: hd });
      }
      const msgs = await out.until(6);
      results.push(msgs.map((m) => `${m.subject} ${m.string()} ${headerList(m).filter((x) => x !== "Nats-Time-Stamp=T").join(",")}`));
      await nc.close();
    }
    assert.equal(results[0]!.length, 6);
    assert.deepEqual(results[1], results[0]);
  });
});

/**
 * `mirror_direct` (nats-server 2.9): a mirror of an `allow_direct` stream takes the flag and,
 * once it has caught up (a delivery with fewer than 10 pending, stream.go
 * processInboundMirrorMsg), joins the origin's `_zz_` queue group on
 * `$JS.API.DIRECT.GET.<origin>` and `.<origin>.>`: a direct get for the origin is answered by
 * the origin or by the mirror, from its own store and under its own name (`Nats-Stream`), and
 * by the mirror alone once the origin is gone. Through the official client's direct API, on
 * both stores, and against nats-server 2.9.10.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { StorageType, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { startJetStream, tempDir, TRANSPORTS } from "./stream-helpers.ts";

/** Waits (up to 5 s) until the stream's last sequence reaches `lastSeq`. */
async function caughtUp(jsm: JetStreamManager, stream: string, lastSeq: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const si = await jsm.streams.info(stream);
    if (si.state.last_seq >= lastSeq) return;
    if (Date.now() > deadline) assert.fail(`${stream} stopped at ${si.state.last_seq}`);
    await sleep(20);
  }
}

/** A raw direct get: who answered (`Nats-Stream`), the status and the body. */
async function direct(nc: NatsConnection, subject: string, body = ""): Promise<string> {
  try {
    const m = await nc.request(subject, body, { timeout: 2000 });
    const code = m.headers?.code ?? 0;
    if (code !== 0) return `${code}`;
    return `${m.headers?.get("Nats-Stream")} ${m.headers?.get("Nats-Sequence")} ${m.headers?.get("Nats-Subject")} ${m.string()}`;
  } catch (err) {
    return /no responders/i.test((err as Error).message) ? "503" : `error ${(err as Error).message}`;
  }
}

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`mirror_direct (${transport}, ${storage})`, () => {
      it("the mirror shares the origin's direct gets, and answers them alone once the origin is gone", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "O", subjects: ["o.>"], storage, allow_direct: true });
        for (let i = 1; i <= 3; i++) await h.js.publish(`o.${i}`, `m${i}`);
        const m = await h.jsm.streams.add({ name: "M", storage, mirror: { name: "O" } });
        assert.equal(m.config.mirror_direct, true);
        await caughtUp(h.jsm, "M", 3);
        const answered = new Set<string>();
        for (let i = 0; i < 40; i++) {
          const got = await direct(h.nc, "$JS.API.DIRECT.GET.O", JSON.stringify({ seq: 2 }));
          const [by, ...rest] = got.split(" ");
          assert.equal(rest.join(" "), "2 o.2 m2");
          answered.add(by!);
        }
        // A queue group of two: 40 requests all to one member would be a 1 in 2^39 chance.
        assert.deepEqual([...answered].sort(), ["M", "O"]);
        await h.jsm.streams.delete("O");
        assert.equal(await direct(h.nc, "$JS.API.DIRECT.GET.O", JSON.stringify({ seq: 2 })), "M 2 o.2 m2");
        assert.equal(await direct(h.nc, "$JS.API.DIRECT.GET.O.o.3"), "M 3 o.3 m3");
        // The official client's direct API reaches the mirror under the origin's name.
        const got = await h.jsm.direct.getMessage("O", { last_by_subj: "o.1" });
        assert.equal(got?.string(), "m1");
        assert.equal(got?.header.get("Nats-Stream"), "M");
        // The mirror's own name is not served: it has no allow_direct of its own.
        assert.equal(await direct(h.nc, "$JS.API.DIRECT.GET.M", JSON.stringify({ seq: 1 })), "503");
      });

      it("a mirror of a stream without allow_direct, or one that never caught up, does not answer", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "P", subjects: ["p.>"], storage });
        await h.js.publish("p.1", "x");
        const plain = await h.jsm.streams.add({ name: "PM", storage, mirror: { name: "P" } });
        assert.equal(plain.config.mirror_direct, false);
        await caughtUp(h.jsm, "PM", 1);
        assert.equal(await direct(h.nc, "$JS.API.DIRECT.GET.P", JSON.stringify({ seq: 1 })), "503");
        // An empty origin delivers nothing, so its mirror never joins (nats-server joins on a delivery).
        await h.jsm.streams.add({ name: "E", subjects: ["e.>"], storage, allow_direct: true });
        await h.jsm.streams.add({ name: "EM", storage, mirror: { name: "E" } });
        await sleep(300);
        await h.jsm.streams.delete("E");
        assert.equal(await direct(h.nc, "$JS.API.DIRECT.GET.E", JSON.stringify({ seq: 1 })), "503");
      });
    });
  }
}

describe("mirror_direct against nats-server 2.9.10", { skip: !hasNatsServer() && "nats-server is not installed" }, () => {
  it("a mirror answers its deleted origin's direct gets the same way", async (t) => {
    const ns = await startNatsServer(["-js", "-sd", tempDir(t, "ns-md-")]);
    t.after(() => ns.stop());
    const server = createServer({ port: 0, jetstream: { storeDir: tempDir(t, "ne-md-") } });
    await server.listen();
    t.after(() => server.close());
    const results: string[][] = [];
    for (const url of [`127.0.0.1:${ns.port}`, server.url!]) {
      const nc = await connect({ servers: url, reconnect: false });
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      await jsm.streams.add({ name: "O", subjects: ["o.>"], storage: StorageType.Memory, allow_direct: true });
      for (let i = 1; i <= 4; i++) await js.publish(`o.${i % 2}`, `m${i}`);
      const m = await jsm.streams.add({ name: "M", storage: StorageType.Memory, mirror: { name: "O" } });
      await caughtUp(jsm, "M", 4);
      await sleep(100);
      await jsm.streams.delete("O");
      results.push([
        String(m.config.mirror_direct),
        await direct(nc, "$JS.API.DIRECT.GET.O", JSON.stringify({ seq: 3 })),
        await direct(nc, "$JS.API.DIRECT.GET.O", JSON.stringify({ last_by_subj: "o.1" })),
        await direct(nc, "$JS.API.DIRECT.GET.O.o.0"),
        await direct(nc, "$JS.API.DIRECT.GET.O", JSON.stringify({ seq: 99 })),
      ]);
      await nc.close();
    }
    assert.deepEqual(results[0], ["true", "M 3 o.1 m3", "M 3 o.1 m3", "M 4 o.0 m4", "404"]);
    assert.deepEqual(results[1], results[0]);
  });
});

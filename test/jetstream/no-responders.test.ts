/**
 * Pull requests and direct gets that nobody takes get nats-server's no-responders status (503),
 * as from nats-server 2.11 on (client.go `processServiceImport`: the `$JS.API.>` import does not
 * take `CONSUMER.MSG.NEXT` and `DIRECT.GET`; only a consumer's or a direct stream's own
 * subscription does). Through the official client: `fetch()`, `next()`, `consume()` and ordered
 * consumers behave as against nats-server when their consumer or stream is deleted.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, StorageType, type ConsumerNotification } from "@nats-io/jetstream";
import { RequestError } from "@nats-io/nats-core";
import { startJetStream, TRANSPORTS, type JsHarness } from "./stream-helpers.ts";

const STORES = [StorageType.Memory, StorageType.File] as const;

function isNoResponders(err: unknown): boolean {
  return err instanceof RequestError && err.isNoResponders();
}

async function stream(h: JsHarness, storage: StorageType, extra: Record<string, unknown> = {}): Promise<void> {
  await h.jsm.streams.add({ name: "A", subjects: ["a.>"], storage, ...extra });
}

for (const transport of TRANSPORTS) {
  for (const storage of STORES) {
    describe(`no responders for pulls and direct gets (${transport}, ${storage})`, () => {
      it("a pull on a missing consumer or stream is answered 503; on a live one it is served", async (t) => {
        const h = await startJetStream(t, transport);
        await stream(h, storage);
        await h.js.publish("a.1", "one");
        await h.jsm.consumers.add("A", { durable_name: "c", ack_policy: AckPolicy.Explicit });
        const body = JSON.stringify({ batch: 1, no_wait: true });
        for (const subject of ["$JS.API.CONSUMER.MSG.NEXT.A.nope", "$JS.API.CONSUMER.MSG.NEXT.NOPE.c", "$JS.API.CONSUMER.MSG.NEXT.A"]) {
          await assert.rejects(h.nc.request(subject, body, { timeout: 2000 }), isNoResponders, subject);
        }
        // The message comes back as `a.1` on the inbox: only a request with its own inbox sees it.
        const m = await h.nc.request("$JS.API.CONSUMER.MSG.NEXT.A.c", body, { timeout: 2000, noMux: true });
        assert.equal(m.subject, "a.1");
        assert.equal(m.string(), "one");
        await h.jsm.consumers.delete("A", "c");
        await assert.rejects(h.nc.request("$JS.API.CONSUMER.MSG.NEXT.A.c", body, { timeout: 2000 }), isNoResponders);
        // The rest of the API still answers with errors, not 503s.
        const info = await h.request("$JS.API.CONSUMER.INFO.A.c");
        assert.equal((info.json["error"] as { err_code: number }).err_code, 10014);
      });

      it("a direct get on a stream without allow_direct, or no stream, is answered 503", async (t) => {
        const h = await startJetStream(t, transport);
        await stream(h, storage);
        await h.jsm.streams.add({ name: "D", subjects: ["d.>"], storage, allow_direct: true });
        await h.js.publish("a.1", "one");
        await h.js.publish("d.1", "two");
        for (const subject of ["$JS.API.DIRECT.GET.A", "$JS.API.DIRECT.GET.NOPE", "$JS.API.DIRECT.GET.A.a.1"]) {
          await assert.rejects(h.nc.request(subject, subject.endsWith("a.1") ? "" : JSON.stringify({ seq: 1 }), { timeout: 2000 }), isNoResponders, subject);
        }
        const m = await h.nc.request("$JS.API.DIRECT.GET.D", JSON.stringify({ seq: 1 }), { timeout: 2000 });
        assert.equal(m.string(), "two");
        assert.equal(m.headers?.get("Nats-Subject"), "d.1");
        const last = await h.nc.request("$JS.API.DIRECT.GET.D.d.1", "", { timeout: 2000 });
        assert.equal(last.headers?.get("Nats-Sequence"), "1");
      });

      it("fetch() and next() on a consumer deleted while they wait end with 'consumer deleted'", async (t) => {
        const h = await startJetStream(t, transport);
        await stream(h, storage);
        await h.jsm.consumers.add("A", { durable_name: "f", ack_policy: AckPolicy.Explicit });
        await h.jsm.consumers.add("A", { durable_name: "n", ack_policy: AckPolicy.Explicit });
        const f = await h.js.consumers.get("A", "f");
        const n = await h.js.consumers.get("A", "n");
        const iter = await f.fetch({ expires: 3000 });
        const fetched = assert.rejects(
          (async () => {
            for await (const _ of iter) assert.fail("no message was published");
          })(),
          /consumer deleted/,
        );
        const next = assert.rejects(n.next({ expires: 3000 }), /consumer deleted/);
        await sleep(300);
        await f.delete();
        await n.delete();
        await fetched;
        await next;
      });

      it("fetch() and next() on a consumer already deleted end at once with no responders", async (t) => {
        const h = await startJetStream(t, transport);
        await stream(h, storage);
        await h.jsm.consumers.add("A", { durable_name: "gone", ack_policy: AckPolicy.Explicit });
        const c = await h.js.consumers.get("A", "gone");
        await h.jsm.consumers.delete("A", "gone");
        const started = Date.now();
        const iter = await c.fetch({ expires: 5000 });
        await assert.rejects(
          (async () => {
            for await (const _ of iter) assert.fail("no message was published");
          })(),
          (err: unknown) => err instanceof Error && /no responders/i.test(err.message),
        );
        await assert.rejects(c.next({ expires: 5000 }), (err: unknown) => err instanceof Error && /no responders/i.test(err.message));
        assert.ok(Date.now() - started < 4000, "ended before the pulls expired");
      });

      it("consume() reports the deleted consumer, then consumer_not_found (nats.js 'consume - deleted consumer')", async (t) => {
        const h = await startJetStream(t, transport);
        await stream(h, storage);
        await h.jsm.consumers.add("A", { durable_name: "a", ack_policy: AckPolicy.Explicit });
        const c = await h.js.consumers.get("A", "a");
        const iter = await c.consume({ expires: 1000 });
        const seen: string[] = [];
        let notFound = 0;
        const done = (async () => {
          for await (const s of iter.status() as AsyncIterable<ConsumerNotification>) {
            seen.push(s.type);
            if (s.type === "consumer_not_found" && ++notFound > 1) break;
          }
        })();
        const drain = (async () => {
          for await (const _ of iter) assert.fail("no message was published");
        })();
        await sleep(300);
        await h.jsm.consumers.delete("A", "a");
        await done;
        iter.stop();
        await drain;
        assert.ok(seen.includes("consumer_deleted"), seen.join(","));
        assert.ok(notFound > 1);
      });

      it("an ordered consumer whose consumer is deleted makes a new one and goes on", async (t) => {
        const h = await startJetStream(t, transport);
        await stream(h, storage);
        await h.js.publish("a.1", "1");
        const c = await h.js.consumers.get("A");
        const got: string[] = [];
        const iter = await c.consume({ expires: 1000 });
        const done = (async () => {
          for await (const m of iter) {
            got.push(m.string());
            if (got.length === 2) break;
          }
        })();
        while (got.length < 1) await sleep(20);
        const [name] = await h.jsm.consumers.list("A").next().then((l) => l.map((ci) => ci.name));
        assert.ok(name !== undefined);
        await h.jsm.consumers.delete("A", name!);
        await h.js.publish("a.2", "2");
        await done;
        assert.deepEqual(got, ["1", "2"]);
      });

      it("an ack to an ack_policy none consumer hears no responders (nats.js 'jsmsg - no ack consumer is ackAck 503')", async (t) => {
        const h = await startJetStream(t, transport);
        await stream(h, storage);
        await h.js.publish("a.a", "x");
        await h.js.publish("a.b", "y");
        await h.jsm.consumers.add("A", { durable_name: "none", ack_policy: AckPolicy.None });
        await h.jsm.consumers.add("A", { durable_name: "explicit", ack_policy: AckPolicy.Explicit });
        const none = await h.js.consumers.get("A", "none");
        const jm = await none.next({ expires: 1000 });
        assert.equal(jm?.string(), "x");
        // The reply subject is still an ack subject, but nobody listens on it.
        assert.match(jm!.info.stream, /^A$/);
        await assert.rejects(jm!.ackAck(), isNoResponders);
        jm!.ack();
        // Delivery goes on without acks.
        assert.equal((await none.next({ expires: 1000 }))?.string(), "y");
        const explicit = await h.js.consumers.get("A", "explicit");
        const em = await explicit.next({ expires: 1000 });
        assert.equal(await em!.ackAck(), true);
        const info = await h.jsm.consumers.info("A", "none");
        assert.equal(info.delivered.stream_seq, 2);
        assert.equal(info.num_ack_pending, 0);
      });

      it("a pull after the stream is deleted is answered 503", async (t) => {
        const h = await startJetStream(t, transport);
        await stream(h, storage);
        await h.jsm.consumers.add("A", { durable_name: "c", ack_policy: AckPolicy.Explicit });
        const c = await h.js.consumers.get("A", "c");
        await h.jsm.streams.delete("A");
        await assert.rejects(h.nc.request("$JS.API.CONSUMER.MSG.NEXT.A.c", JSON.stringify({ batch: 1 }), { timeout: 2000 }), isNoResponders);
        await assert.rejects(c.next({ expires: 5000 }), (err: unknown) => err instanceof Error && /no responders/i.test(err.message));
      });
    });
  }
}

/**
 * Hostile and malformed input to the consumer side: garbage bodies on every consumer API
 * subject, nonsense ack subjects and bodies, absurd pull requests. Nothing may throw into the
 * host; every request that has a reply gets an answer or (as from nats-server) silence, and the
 * consumer keeps working afterwards.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, StorageType } from "@nats-io/jetstream";
import { createInbox, type Msg } from "@nats-io/nats-core";
import { startJetStream } from "./stream-helpers.ts";

const NS_PER_MS = 1_000_000;

describe("consumers under hostile input", () => {
  it("survive garbage on every consumer subject and keep delivering", async (t) => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on("uncaughtException", onUncaught);
    t.after(() => process.off("uncaughtException", onUncaught));
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory });
    for (let i = 1; i <= 3; i++) await h.js.publish(`orders.${i}`, String(i));
    await h.jsm.consumers.add("ORDERS", { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 60_000 * NS_PER_MS });
    const subjects = [
      "$JS.API.CONSUMER.CREATE.ORDERS",
      "$JS.API.CONSUMER.CREATE.ORDERS.x",
      "$JS.API.CONSUMER.CREATE.ORDERS.x.orders.>",
      "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS.x",
      "$JS.API.CONSUMER.DURABLE.CREATE.ORDERS",
      "$JS.API.CONSUMER.INFO.ORDERS.c",
      "$JS.API.CONSUMER.NAMES.ORDERS",
      "$JS.API.CONSUMER.LIST.ORDERS",
      "$JS.API.CONSUMER.MSG.NEXT.ORDERS.c",
      "$JS.API.CONSUMER.PAUSE.ORDERS.c",
      "$JS.API.CONSUMER",
      "$JS.API.CONSUMER.CREATE",
    ];
    const bodies = [
      "",
      "{",
      "null",
      "[]",
      "42",
      '"text"',
      '{"stream_name":"ORDERS","config":[]}',
      '{"stream_name":"ORDERS","config":{"ack_wait":-5,"max_deliver":-9,"backoff":[-1]}}',
      '{"stream_name":"ORDERS","config":{"filter_subjects":[1,2]}}',
      '{"stream_name":"ORDERS","config":{"deliver_subject":"","max_ack_pending":1e308}}',
      '{"stream_name":"ORDERS","config":{"__proto__":{"polluted":true},"ack_policy":"explicit"}}',
      '{"stream_name":"ORDERS","action":7,"config":{}}',
      '{"offset":-3}',
      '{"offset":"x"}',
      '{"batch":-1,"expires":-1,"max_bytes":-1}',
      '{"batch":1e300,"expires":9e300,"no_wait":"yes"}',
      '{"batch":1,"expires":100000000000000000000000}',
      randomBytes(64).toString("latin1"),
    ];
    const inbox = createInbox();
    let answers = 0;
    const sub = h.nc.subscribe(`${inbox}.*`, { callback: () => void answers++ });
    let n = 0;
    for (const subject of subjects) for (const body of bodies) h.nc.publish(subject, body, { reply: `${inbox}.${n++}` });
    // Nonsense acks: wrong token counts, huge numbers, unknown bodies, for real and unknown consumers.
    const acks = ["$JS.ACK.ORDERS.c", "$JS.ACK.ORDERS.c.1.2.3", "$JS.ACK.ORDERS.c.x.y.z.w.v", "$JS.ACK.ORDERS.c.1.99999999999999999999.1.1.1", "$JS.ACK.ORDERS.c.1.3.1.1.0", "$JS.ACK.ORDERS.nope.1.1.1.1.0"];
    for (const subject of acks) for (const body of ["+ACK", "-NAK {", "-NAK {\"delay\":-1}", "+NXT {bad", "+TERM", "+WPI", "*", ""]) h.nc.publish(subject, body, { reply: `${inbox}.${n++}` });
    await h.nc.flush();
    await sleep(300);
    sub.unsubscribe();
    assert.ok(answers > 0, "malformed requests got error replies");
    assert.deepEqual(uncaught, [], "nothing escaped to the host");
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined, "no prototype pollution");
    // The consumer still works: what it was owed is still there, in order.
    const got: Msg[] = [];
    const check = createInbox();
    const s2 = h.nc.subscribe(check, { callback: (_e, m) => void got.push(m) });
    await h.nc.flush();
    h.nc.publish("$JS.API.CONSUMER.MSG.NEXT.ORDERS.c", JSON.stringify({ batch: 10, no_wait: true }), { reply: check });
    for (let i = 0; i < 100 && !got.some((m) => (m.headers?.code ?? 0) >= 400); i++) await sleep(10);
    s2.unsubscribe();
    const data = got.filter((m) => m.headers === undefined).map((m) => m.subject);
    assert.ok(data.length <= 3, `at most the three stored messages: ${data.join(",")}`);
    const info = await h.jsm.consumers.info("ORDERS", "c");
    assert.equal(info.delivered.stream_seq, 3);
    assert.equal(info.num_pending, 0);
  });
});

/**
 * With a JetStream domain, every consumer advisory names it, as nats-server's (consumer.go
 * fills `Domain` from `JetStreamDomain`, omitempty): last in the created/deleted, nak,
 * terminated, max-deliveries, pause and ack-metric events, right after `consumer` in the pin
 * events (jetstream_events.go field order). Without a domain the key is absent. Both stores.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AckPolicy, StorageType, type ConsumerConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { startJetStream } from "./stream-helpers.ts";

type Event = Record<string, unknown>;

async function listen(nc: NatsConnection): Promise<Array<{ subject: string; event: Event }>> {
  const got: Array<{ subject: string; event: Event }> = [];
  nc.subscribe("$JS.EVENT.>", { callback: (_e, m) => void got.push({ subject: m.subject, event: m.json<Event>() }) });
  await nc.flush();
  return got;
}

/** Creates, naks, terminates, exhausts, pauses, pins and deletes; returns the consumer events. */
async function exercise(transportDomain: string | undefined, storage: StorageType, t: Parameters<typeof startJetStream>[0]): Promise<Array<{ subject: string; event: Event }>> {
  const h = await startJetStream(t, "in-process", transportDomain === undefined ? {} : { domain: transportDomain });
  const got = await listen(h.nc);
  await h.jsm.streams.add({ name: "S", subjects: ["s.>"], storage });
  for (const s of ["s.1", "s.2", "s.3"]) await h.js.publish(s, s);
  await h.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit, max_deliver: 1, sample_freq: "100%" });
  const c = await h.js.consumers.get("S", "d");
  const msgs = await c.fetch({ max_messages: 3, expires: 1000 });
  let i = 0;
  for await (const m of msgs) {
    if (i === 0) m.nak();
    else if (i === 1) m.term("bad");
    else m.ack();
    i++;
  }
  await h.jsm.consumers.pause("S", "d", new Date(Date.now() + 60_000));
  await h.jsm.consumers.add("S", { durable_name: "p", ack_policy: AckPolicy.Explicit, priority_groups: ["g"], priority_policy: "pinned_client" } as Partial<ConsumerConfig>);
  const pinned = await h.js.consumers.get("S", "p");
  await (pinned as unknown as { next(o: { expires: number; group: string }): Promise<unknown> }).next({ expires: 1000, group: "g" });
  await h.jsm.consumers.unpin("S", "p", "g");
  await h.jsm.consumers.delete("S", "d");
  await h.nc.flush();
  await sleep(100);
  return got.filter((g) => g.subject.startsWith("$JS.EVENT.ADVISORY.CONSUMER.") || g.subject.startsWith("$JS.EVENT.METRIC.CONSUMER."));
}

for (const storage of [StorageType.Memory, StorageType.File]) {
  describe(`consumer advisories and a JetStream domain (${storage})`, () => {
    it("every consumer advisory names the domain, where nats-server's struct puts it", async (t) => {
      const events = await exercise("hub", storage, t);
      const kinds = new Set(events.map((e) => e.subject.split(".").slice(0, -2).join(".")));
      for (const kind of ["CREATED", "MSG_NAKED", "MSG_TERMINATED", "PAUSE", "PINNED", "UNPINNED", "DELETED"]) {
        assert.ok(kinds.has(`$JS.EVENT.ADVISORY.CONSUMER.${kind}`), `${kind} in ${[...kinds].join(" ")}`);
      }
      assert.ok(kinds.has("$JS.EVENT.METRIC.CONSUMER.ACK"));
      for (const { subject, event } of events) {
        assert.equal(event["domain"], "hub", subject);
        const keys = Object.keys(event);
        const pin = subject.includes(".PINNED.") || subject.includes(".UNPINNED.");
        // type, id, timestamp, account, stream, consumer, domain, … for pins; domain last otherwise.
        if (pin) assert.equal(keys[keys.indexOf("consumer") + 1], "domain", `${subject} ${keys.join(",")}`);
        else assert.equal(keys.at(-1), "domain", `${subject} ${keys.join(",")}`);
      }
    });

    it("without a domain no advisory has the key", async (t) => {
      const events = await exercise(undefined, storage, t);
      assert.ok(events.length >= 8, String(events.length));
      for (const { subject, event } of events) assert.equal("domain" in event, false, subject);
    });
  });
}

/**
 * The advisories nats-server sends on `$JS.EVENT.ADVISORY.>` beside the consumer ones:
 * stream created, updated and deleted (stream.go `sendCreateAdvisory`, `sendUpdateAdvisoryLocked`,
 * `sendDeleteAdvisoryLocked`) and the API audit after each API answer (jetstream_api.go
 * `sendJetStreamAPIAuditAdvisory`). Through the official client's `jsm.advisories()` (nats.js
 * test `jsm - advisories`), raw, and against nats-server 2.9.10.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AdvisoryKind, StorageType } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { startJetStream, tempDir, TRANSPORTS } from "./stream-helpers.ts";

type Event = Record<string, unknown>;

/** Subscribes to every advisory; returns what arrived so far, as subject and parsed body. */
async function listen(nc: NatsConnection): Promise<Array<{ subject: string; event: Event }>> {
  const got: Array<{ subject: string; event: Event }> = [];
  nc.subscribe("$JS.EVENT.ADVISORY.>", { callback: (_e, m) => void got.push({ subject: m.subject, event: m.json<Event>() }) });
  await nc.flush();
  return got;
}

/** A script of API requests, the same for both servers. */
async function script(nc: NatsConnection): Promise<void> {
  const r = (subject: string, body: unknown = "") => nc.request(subject, typeof body === "string" ? body : JSON.stringify(body), { timeout: 2000 });
  const config = { name: "S", subjects: ["s.>"], storage: "memory" };
  await r("$JS.API.STREAM.CREATE.S", config);
  await r("$JS.API.STREAM.CREATE.S", config);
  await r("$JS.API.STREAM.CREATE.S", { ...config, max_msgs: 3 });
  await r("$JS.API.STREAM.UPDATE.S", { ...config, max_msgs: 5 });
  await r("$JS.API.STREAM.UPDATE.S", { ...config, max_msgs: 5 });
  await r("$JS.API.STREAM.UPDATE.S", { ...config, storage: "file" });
  await r("$JS.API.CONSUMER.CREATE.S.c", { stream_name: "S", config: { name: "c", ack_policy: "explicit" } });
  await r("$JS.API.STREAM.INFO.NOPE");
  await r("$JS.API.STREAM.DELETE.S");
  await nc.flush();
}

/** What is the same from both servers: subjects, types, actions, audited subjects, requests and answer types. */
function normalize(got: Array<{ subject: string; event: Event }>): unknown[] {
  return got.map(({ subject, event }) => {
    if (event["type"] !== "io.nats.jetstream.advisory.v1.api_audit") {
      return { subject, type: event["type"], stream: event["stream"], consumer: event["consumer"], action: event["action"] };
    }
    const response = JSON.parse(String(event["response"])) as Event;
    return { subject, type: event["type"], audited: event["subject"], request: event["request"], answer: response["type"], error: response["error"] };
  });
}

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`JetStream advisories (${transport}, ${storage})`, () => {
      it("jsm.advisories() sees a stream being created (nats.js 'jsm - advisories')", async (t) => {
        const h = await startJetStream(t, transport);
        const kinds: string[] = [];
        const iter = h.jsm.advisories();
        const seen = (async () => {
          for await (const a of iter) {
            kinds.push(a.kind);
            if (a.kind === AdvisoryKind.StreamAction) return a;
          }
          return undefined;
        })();
        await h.nc.flush();
        await h.jsm.streams.add({ name: "A", subjects: ["a.>"], storage });
        const action = await seen;
        assert.equal((action?.data as { stream?: string; action?: string } | undefined)?.stream, "A");
        assert.equal((action?.data as { action?: string } | undefined)?.action, "create");
      });

      it("sends created, updated, deleted and the API audit with nats-server's fields", async (t) => {
        const h = await startJetStream(t, transport, {}, { serverName: "n1" });
        const got = await listen(h.nc);
        await h.jsm.streams.add({ name: "B", subjects: ["b.>"], storage });
        await h.jsm.streams.update("B", { subjects: ["b.>"], max_msgs: 10 });
        await h.jsm.consumers.add("B", { durable_name: "d" });
        await h.jsm.streams.delete("B");
        await h.nc.flush();
        await sleep(50);
        const actions = got.filter((g) => g.event["type"] !== "io.nats.jetstream.advisory.v1.api_audit").map((g) => g.subject);
        // The consumer goes first, then its stream (stream.go `stop`).
        assert.deepEqual(actions, [
          "$JS.EVENT.ADVISORY.STREAM.CREATED.B",
          "$JS.EVENT.ADVISORY.STREAM.UPDATED.B",
          "$JS.EVENT.ADVISORY.CONSUMER.CREATED.B.d",
          "$JS.EVENT.ADVISORY.CONSUMER.DELETED.B.d",
          "$JS.EVENT.ADVISORY.STREAM.DELETED.B",
        ]);
        const created = got[0]!.event;
        assert.deepEqual(Object.keys(created), ["type", "id", "timestamp", "stream", "action"]);
        assert.equal(created["type"], "io.nats.jetstream.advisory.v1.stream_action");
        assert.match(String(created["id"]), /^[0-9A-Za-z]{22}$/);
        assert.match(String(created["timestamp"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
        const audits = got.filter((g) => g.subject === "$JS.EVENT.ADVISORY.API").map((g) => g.event);
        assert.ok(audits.length >= 4);
        const first = audits[0]!;
        assert.equal(first["server"], "n1");
        assert.deepEqual(first["client"], { acc: "$G", server: "n1" });
        assert.equal(first["subject"], "$JS.API.STREAM.CREATE.B");
        assert.equal((JSON.parse(String(first["request"])) as Event)["name"], "B");
        assert.equal((JSON.parse(String(first["response"])) as Event)["type"], "io.nats.jetstream.api.v1.stream_create_response");
        // A delete has no body: `request` is left out (omitempty).
        const deleted = audits.find((a) => a["subject"] === "$JS.API.STREAM.DELETE.B");
        assert.equal(deleted?.["request"], undefined);
        assert.deepEqual(JSON.parse(String(deleted?.["response"])), { type: "io.nats.jetstream.api.v1.stream_delete_response", success: true });
      });

      it("pulls and direct gets are not audited; a domain is named in the advisories", async (t) => {
        const h = await startJetStream(t, transport, { domain: "hub" });
        const got = await listen(h.nc);
        await h.jsm.streams.add({ name: "C", subjects: ["c.>"], storage, allow_direct: true });
        await h.js.publish("c.1", "x");
        await h.jsm.consumers.add("C", { durable_name: "p" });
        const c = await h.js.consumers.get("C", "p");
        assert.equal((await c.next({ expires: 1000 }))?.string(), "x");
        await h.nc.request("$JS.API.DIRECT.GET.C", JSON.stringify({ seq: 1 }), { timeout: 2000 });
        await h.nc.flush();
        await sleep(50);
        const audited = got.filter((g) => g.subject === "$JS.EVENT.ADVISORY.API").map((g) => String(g.event["subject"]));
        assert.ok(audited.every((s) => !s.includes(".MSG.NEXT.") && !s.includes(".DIRECT.GET.")), audited.join(" "));
        assert.ok(audited.some((s) => s.endsWith("STREAM.CREATE.C")));
        const created = got.find((g) => g.subject === "$JS.EVENT.ADVISORY.STREAM.CREATED.C");
        assert.equal(created?.event["domain"], "hub");
        assert.ok(got.filter((g) => g.subject === "$JS.EVENT.ADVISORY.API").every((g) => g.event["domain"] === "hub"));
      });
    });
  }
}

describe("JetStream advisories against nats-server 2.9.10", { skip: !hasNatsServer() && "nats-server is not installed" }, () => {
  it("sends the same advisories for the same requests", async (t) => {
    const ns = await startNatsServer(["-js", "-sd", tempDir(t, "ns-adv-")]);
    t.after(() => ns.stop());
    const server = createServer({ port: 0, jetstream: { storeDir: tempDir(t, "ne-adv-") } });
    await server.listen();
    t.after(() => server.close());
    const results: unknown[][] = [];
    for (const url of [`127.0.0.1:${ns.port}`, server.url!]) {
      const nc = await connect({ servers: url, reconnect: false });
      const got = await listen(nc);
      await script(nc);
      await sleep(100);
      await nc.close();
      results.push(normalize(got));
    }
    // nats-server sends action advisories and audits through different queues (a stream's
    // outq, the server's sendq), so how the two interleave varies; each in itself is ordered.
    const split = (list: unknown[]) => {
      const isAudit = (e: unknown) => (e as Event)["type"] === "io.nats.jetstream.advisory.v1.api_audit";
      return { actions: list.filter((e) => !isAudit(e)), audits: list.filter(isAudit) };
    };
    // nats-server queues the stream's delete advisory on the stream's outq and then closes the
    // loop that sends it (stream.go `stop`: "Quit channel, do this after sending the delete
    // advisory"): a select between the two decides whether it goes out. We always send it.
    const deleted = (e: unknown) => (e as Event)["subject"] === "$JS.EVENT.ADVISORY.STREAM.DELETED.S";
    const [reference, ours] = results.map((list) => split(list));
    assert.ok(ours!.actions.some(deleted));
    for (const side of [reference!, ours!]) side.actions = side.actions.filter((e) => !deleted(e));
    assert.equal(reference!.actions.length, 5);
    assert.equal(reference!.audits.length, 9);
    assert.deepEqual(ours, reference);
  });
});

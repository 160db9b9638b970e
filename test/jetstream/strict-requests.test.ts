/**
 * nats-server 2.12's strict validation beyond stream and consumer configs: every request body
 * jetstream_api.go decodes with `unmarshalRequest` (STREAM.NAMES, LIST, INFO, PURGE, MSG.GET,
 * MSG.DELETE, CONSUMER.NAMES, LIST, PAUSE) refuses an unknown field with
 * `400 10025 invalid JSON: json: unknown field "x"` in its own response type; field names match
 * without regard to case; bodies nats-server reads with a plain `json.Unmarshal` (DIRECT.GET,
 * CONSUMER.MSG.NEXT, RESET, UNPIN) take any field; `strict: false` takes them all.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { jetstreamManager, AckPolicy, StorageType } from "@nats-io/jetstream";
import { createInbox, headers } from "@nats-io/nats-core";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";

async function start(t: TestContext, jetstream: ServerOptions["jetstream"]): Promise<Server> {
  const server = createServer({ jetstream });
  await server.listen();
  t.after(() => server.close());
  const nc = await server.connect();
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "S", subjects: ["s.>"], storage: StorageType.Memory, allow_direct: true, allow_rollup_hdrs: true });
  const hd = headers();
  hd.set("X-Kept", "yes");
  await nc.request("s.1", "one", { headers: hd, timeout: 2000 });
  await nc.request("s.2", "two", { timeout: 2000 });
  await jsm.consumers.add("S", { durable_name: "D", ack_policy: AckPolicy.Explicit });
  return server;
}

async function ask(server: Server, subject: string, body: unknown): Promise<Record<string, unknown>> {
  return (await server.request(subject, JSON.stringify(body), { timeout: 2000 })).json<Record<string, unknown>>();
}

const unknown = (name: string) => ({ code: 400, err_code: 10025, description: `invalid JSON: json: unknown field "${name}"` });

/** Subject, body, response type, and the field strict mode names. */
const STRICT: Array<[string, Record<string, unknown>, string, string]> = [
  ["$JS.API.STREAM.NAMES", { offset: 0, subjects: "s.>" }, "io.nats.jetstream.api.v1.stream_names_response", "subjects"],
  ["$JS.API.STREAM.LIST", { Offset: 0, filter: "s.>" }, "io.nats.jetstream.api.v1.stream_list_response", "filter"],
  ["$JS.API.STREAM.INFO.S", { deleted_details: true, subject_filter: ">" }, "io.nats.jetstream.api.v1.stream_info_response", "subject_filter"],
  ["$JS.API.STREAM.PURGE.S", { filter: "s.9", sequence: 5 }, "io.nats.jetstream.api.v1.stream_purge_response", "sequence"],
  ["$JS.API.STREAM.MSG.GET.S", { seq: 1, no_hdrs: true }, "io.nats.jetstream.api.v1.stream_msg_get_response", "no_hdrs"],
  ["$JS.API.STREAM.MSG.DELETE.S", { seq: 2, erase: true }, "io.nats.jetstream.api.v1.stream_msg_delete_response", "erase"],
  ["$JS.API.CONSUMER.NAMES.S", { offset: 0, limit: 5 }, "io.nats.jetstream.api.v1.consumer_names_response", "limit"],
  ["$JS.API.CONSUMER.LIST.S", { offset: 0, subject: "s.>" }, "io.nats.jetstream.api.v1.consumer_list_response", "subject"],
  ["$JS.API.CONSUMER.PAUSE.S.D", { pause_until: "2099-01-01T00:00:00Z", reason: "x" }, "io.nats.jetstream.api.v1.consumer_pause_response", "reason"],
];

describe("strict validation of the other API request bodies", () => {
  it("refuses an unknown field in every body nats-server decodes with unmarshalRequest, and nothing happens", async (t) => {
    const server = await start(t, true);
    for (const [subject, body, type, field] of STRICT) {
      const answer = await ask(server, subject, body);
      assert.equal(answer["type"], type, subject);
      assert.deepEqual(answer["error"], unknown(field), subject);
    }
    // Neither the purge nor the delete nor the pause took place.
    const info = await ask(server, "$JS.API.STREAM.INFO.S", {});
    assert.equal((info["state"] as { messages: number }).messages, 2);
    const consumer = (await server.request("$JS.API.CONSUMER.INFO.S.D", "", { timeout: 2000 })).json<Record<string, unknown>>();
    assert.equal((consumer["config"] as Record<string, unknown>)["pause_until"], undefined);
  });

  it("matches field names without regard to case, strict or not", async (t) => {
    const server = await start(t, true);
    const got = await ask(server, "$JS.API.STREAM.MSG.GET.S", { SEQ: 1, No_Hdr: true });
    const message = got["message"] as Record<string, unknown>;
    assert.equal(message["seq"], 1);
    // no_hdr (nats-server's JSON name) leaves the headers out.
    assert.equal(message["hdrs"], undefined);
    const withHeaders = (await ask(server, "$JS.API.STREAM.MSG.GET.S", { seq: 1 }))["message"] as Record<string, unknown>;
    assert.equal(typeof withHeaders["hdrs"], "string");
    const names = await ask(server, "$JS.API.STREAM.NAMES", { Subject: "nothing.here" });
    assert.equal(names["total"], 0);
    const purged = await ask(server, "$JS.API.STREAM.PURGE.S", { FILTER: "s.2" });
    assert.equal(purged["purged"], 1);
    const deleted = await ask(server, "$JS.API.STREAM.MSG.DELETE.S", { Seq: 1 });
    assert.equal(deleted["success"], true);
  });

  it("DIRECT.GET, MSG.NEXT, RESET and UNPIN bodies take unknown fields, as json.Unmarshal does", async (t) => {
    const server = await start(t, true);
    const direct = await server.request("$JS.API.DIRECT.GET.S", JSON.stringify({ seq: 2, extra: 1 }), { timeout: 2000 });
    assert.equal(direct.string(), "two");
    const reset = await ask(server, "$JS.API.CONSUMER.RESET.S.D", { seq: 2, extra: 1 });
    assert.equal(reset["error"], undefined);
    assert.equal(reset["reset_seq"], 2);
    // UNPIN still decodes: a consumer without that group is 10160, not an unknown field.
    const unpin = await ask(server, "$JS.API.CONSUMER.UNPIN.S.D", { group: "g", extra: 1 });
    assert.equal((unpin["error"] as { err_code: number }).err_code, 10160);
    // A pulled message comes under its own subject: read it from a subscription on the inbox.
    const nc = await server.connect();
    t.after(() => nc.close());
    const inbox = createInbox();
    const sub = nc.subscribe(inbox, { max: 1 });
    nc.publish("$JS.API.CONSUMER.MSG.NEXT.S.D", JSON.stringify({ batch: 1, no_wait: true, extra: 1 }), { reply: inbox });
    const timer = setTimeout(() => sub.unsubscribe(), 2000);
    const got: string[] = [];
    for await (const m of sub) got.push(`${m.subject} ${m.string()}`);
    clearTimeout(timer);
    assert.deepEqual(got, ["s.2 two"]);
  });

  it("strict: false takes the unknown fields and ignores them", async (t) => {
    const server = await start(t, { strict: false });
    for (const [subject, body, type] of STRICT) {
      const answer = await ask(server, subject, body);
      assert.equal(answer["type"], type, subject);
      assert.equal(answer["error"], undefined, `${subject} ${JSON.stringify(answer["error"])}`);
    }
  });
});

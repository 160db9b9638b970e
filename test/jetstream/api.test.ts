/**
 * The JetStream API against malformed and hostile requests: every bad body gets nats-server's
 * API error (never an exception, never a dropped connection), unknown subjects get no answer,
 * and the account's `api` counters count it all. Raw sockets for the protocol edges.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startJetStream } from "./stream-helpers.ts";
import { RawClient } from "../helpers/raw-client.ts";

const INVALID_JSON = { code: 400, err_code: 10025, description: "invalid JSON" };
const BAD_REQUEST = { code: 400, err_code: 10003, description: "bad request" };

describe("JetStream API: malformed requests", () => {
  it("answers invalid JSON and wrongly typed fields with 10025", async (t) => {
    const { request } = await startJetStream(t, "in-process");
    for (const body of ["{bad", "", "[1,2]", '"text"', "null", '{"name":"X","max_msgs":"many"}', '{"name":"X","retention":"forever"}', '{"name":"X","subjects":"x"}', '{"name":"X","max_age":1.5}']) {
      const reply = await request("$JS.API.STREAM.CREATE.X", body);
      assert.equal(reply.json["type"], "io.nats.jetstream.api.v1.stream_create_response", body);
      assert.deepEqual(reply.json["error"], INVALID_JSON, body);
    }
    const info = await request("$JS.API.STREAM.INFO.X", "{bad");
    assert.deepEqual(info.json, { type: "io.nats.jetstream.api.v1.stream_info_response", error: INVALID_JSON, total: 0, offset: 0, limit: 0 });
    assert.deepEqual((await request("$JS.API.STREAM.NAMES", "{bad")).json["error"], INVALID_JSON);
    assert.deepEqual((await request("$JS.API.STREAM.LIST", '{"offset":"x"}')).json["error"], INVALID_JSON);
  });

  it("answers what nats-server answers for empty, extra and contradictory bodies", async (t) => {
    const { request, jsm } = await startJetStream(t, "in-process");
    await jsm.streams.add({ name: "S", subjects: ["s"], storage: "memory" as never });
    assert.deepEqual((await request("$JS.API.STREAM.MSG.GET.S", "")).json["error"], BAD_REQUEST);
    assert.deepEqual((await request("$JS.API.STREAM.MSG.GET.S", "{}")).json["error"], BAD_REQUEST);
    assert.deepEqual((await request("$JS.API.STREAM.MSG.GET.S", '{"seq":1,"last_by_subj":"s"}')).json["error"], BAD_REQUEST);
    assert.deepEqual((await request("$JS.API.STREAM.MSG.DELETE.S", "")).json["error"], BAD_REQUEST);
    assert.deepEqual((await request("$JS.API.STREAM.PURGE.S", '{"seq":3,"keep":1}')).json, {
      type: "io.nats.jetstream.api.v1.stream_purge_response",
      error: BAD_REQUEST,
      purged: 0,
    });
    assert.deepEqual((await request("$JS.API.STREAM.DELETE.S", "please")).json["error"], {
      code: 400,
      err_code: 10038,
      description: "expected an empty request payload",
    });
    assert.deepEqual((await request("$JS.API.STREAM.DELETE.NOPE", "{}")).json["error"], { code: 404, err_code: 10059, description: "stream not found" });
    const invalid = await request("$JS.API.STREAM.CREATE.BAD", JSON.stringify({ name: "BAD", max_age: 1000 }));
    assert.deepEqual(invalid.json["error"], { code: 500, err_code: 10052, description: "max age needs to be >= 100ms" });
    const apiOverlap = await request("$JS.API.STREAM.CREATE.API", JSON.stringify({ name: "API", subjects: ["$JS.API.>"] }));
    assert.equal((apiOverlap.json["error"] as { err_code: number }).err_code, 10052);
  });

  it("does not answer unknown API subjects, as nats-server", async (t) => {
    const { nc } = await startJetStream(t, "in-process");
    for (const subject of ["$JS.API.FOO", "$JS.API.STREAM.CREATE", "$JS.API.STREAM.INFO.A.B", "$JS.API.STREAM.MSG.GET"]) {
      await assert.rejects(nc.request(subject, "{}", { timeout: 200 }), /timeout/i, subject);
    }
  });

  it("drops prototype-poisoning keys and survives hostile bodies", async (t) => {
    const { request, jsm } = await startJetStream(t, "in-process");
    const poisoned = await request("$JS.API.STREAM.CREATE.P", '{"name":"P","storage":"memory","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    assert.equal((poisoned.json["config"] as { name: string }).name, "P");
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
    const deep = await request("$JS.API.STREAM.CREATE.D", "[".repeat(200_000));
    assert.deepEqual(deep.json["error"], INVALID_JSON);
    const binary = await request("$JS.API.STREAM.CREATE.B", String.fromCharCode(0xff, 0xfe, 0x00, 0x7b));
    assert.deepEqual(binary.json["error"], INVALID_JSON);
    assert.equal((await jsm.streams.info("P")).config.name, "P");
  });

  it("counts requests and errors in the account info", async (t) => {
    const { request } = await startJetStream(t, "in-process");
    const before = (await request("$JS.API.INFO")).json["api"] as { total: number; errors: number };
    await request("$JS.API.STREAM.INFO.NOPE");
    await request("$JS.API.STREAM.CREATE.X", "{bad");
    await request("$JS.API.STREAM.NAMES");
    const after = (await request("$JS.API.INFO")).json["api"] as { total: number; errors: number };
    assert.equal(after.total - before.total, 4);
    assert.equal(after.errors - before.errors, 2);
  });

  it("keeps a raw client's connection through garbage requests and no-reply publishes", async (t) => {
    const { server } = await startJetStream(t, "tcp");
    const raw = await RawClient.connect(server.port!);
    t.after(() => raw.destroy());
    await raw.waitFor("INFO ");
    raw.send('CONNECT {"verbose":false,"headers":true}\r\nSUB _INBOX.r 1\r\n');
    // No reply subject: nothing to answer, nothing breaks.
    raw.send("PUB $JS.API.STREAM.CREATE.R 5\r\n{bad}\r\n");
    raw.send("HPUB $JS.API.STREAM.NAMES _INBOX.r 12 14\r\nNATS/1.0\r\n\r\n{}\r\n");
    raw.send("PUB $JS.API.STREAM.CREATE.R _INBOX.r 4\r\n\x00\x01\x02\x03\r\nPING\r\n");
    await raw.waitFor("io.nats.jetstream.api.v1.stream_names_response");
    await raw.waitFor('"err_code":10025');
    await raw.waitFor("PONG");
    assert.equal(raw.closed, false);
    assert.doesNotMatch(raw.text(), /-ERR/);
  });
});

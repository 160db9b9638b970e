/**
 * The API level (nats-server 2.14's 4): reported in INFO `api_lvl` and `$JS.API.INFO`
 * `api.level`, and demanded by a request's `Nats-Required-Api-Level` header: a level above it,
 * or a value that is not a number, is refused with `412 10185` in the request's response type.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { headers } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";

test("Nats-Required-Api-Level above 4, or not a number, is refused before the request runs", async (t) => {
  const server = createServer({ jetstream: true });
  await server.listen();
  t.after(() => server.close());
  const nc = await server.connect();
  t.after(() => nc.close());
  const ask = async (subject: string, level: string, body = ""): Promise<Record<string, unknown>> => {
    const h = headers();
    h.set("Nats-Required-Api-Level", level);
    return (await nc.request(subject, body, { headers: h, timeout: 2000 })).json<Record<string, unknown>>();
  };
  const refused = { code: 412, err_code: 10185, description: "JetStream minimum api level required" };
  assert.deepEqual(await ask("$JS.API.STREAM.NAMES", "5"), { type: "io.nats.jetstream.api.v1.stream_names_response", error: refused, total: 0, offset: 0, limit: 0, streams: null });
  assert.deepEqual((await ask("$JS.API.INFO", "x"))["error"], refused);
  assert.deepEqual(await ask("$JS.API.CONSUMER.INFO.S.C", "99"), { type: "io.nats.jetstream.api.v1.consumer_info_response", error: refused });
  // Nothing was created by a refused create.
  assert.deepEqual((await ask("$JS.API.STREAM.CREATE.S", "5", JSON.stringify({ name: "S", subjects: ["s"] })))["error"], refused);
  const info = await ask("$JS.API.INFO", "4");
  assert.equal(info["streams"], 0);
  assert.deepEqual(info["api"], { level: 4, total: info["api"] && (info["api"] as Record<string, number>)["total"], errors: (info["api"] as Record<string, number>)["errors"] });
  assert.equal((nc as unknown as { info: { api_lvl?: number } }).info.api_lvl, 4);
});

test("a direct get or a pull asking a higher level gets the 412 Required Api Level status", async (t) => {
  // stream.go processDirectGetRequest / processDirectGetLastBySubjectRequest and consumer.go
  // processNextMsgRequest (after its push-consumer check) answer with a bare status.
  const server = createServer({ jetstream: true });
  await server.listen();
  t.after(() => server.close());
  const nc = await server.connect();
  t.after(() => nc.close());
  const request = async (subject: string, body: string, level?: string): Promise<string> => {
    const h = headers();
    if (level !== undefined) h.set("Nats-Required-Api-Level", level);
    const m = await nc.request(subject, body, { headers: h, timeout: 2000 });
    return m.headers?.code ? `${m.headers.code} ${m.headers.description}` : m.string();
  };
  const api = (subject: string, body: unknown) => nc.request(subject, JSON.stringify(body), { timeout: 2000 });
  await api("$JS.API.STREAM.CREATE.S", { name: "S", subjects: ["s.>"], storage: "memory", allow_direct: true });
  await nc.request("s.1", "one", { timeout: 2000 });
  await api("$JS.API.CONSUMER.CREATE.S.pull", { stream_name: "S", config: { name: "pull", ack_policy: "none" } });
  await api("$JS.API.CONSUMER.CREATE.S.push", { stream_name: "S", config: { name: "push", ack_policy: "none", deliver_subject: "out" } });
  assert.equal(await request("$JS.API.DIRECT.GET.S", JSON.stringify({ seq: 1 }), "5"), "412 Required Api Level");
  assert.equal(await request("$JS.API.DIRECT.GET.S.s.1", "", "x"), "412 Required Api Level");
  assert.equal(await request("$JS.API.DIRECT.GET.S", JSON.stringify({ seq: 1 }), "4"), "one");
  assert.equal(await request("$JS.API.CONSUMER.MSG.NEXT.S.pull", JSON.stringify({ batch: 1 }), "5"), "412 Required Api Level");
  assert.equal(await request("$JS.API.CONSUMER.MSG.NEXT.S.push", JSON.stringify({ batch: 1 }), "5"), "409 Consumer is push based");
});

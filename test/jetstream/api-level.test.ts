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

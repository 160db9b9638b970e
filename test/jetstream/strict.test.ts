/**
 * nats-server 2.12's strict API validation: stream and consumer requests with a field
 * nats-server does not know are refused with `400 10025 invalid JSON: json: unknown field "x"`,
 * nested objects included, names matched without regard to case (Go's decoder); `strict: false`
 * takes them and ignores the field. What the official client sends back from an info answer
 * (an update) is never refused.
 */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { jetstreamManager, AckPolicy } from "@nats-io/jetstream";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { parseConfig } from "../../src/config/parser.ts";

async function start(t: TestContext, jetstream: ServerOptions["jetstream"]): Promise<Server> {
  const server = createServer({ jetstream });
  await server.listen();
  t.after(() => server.close());
  return server;
}

async function ask(server: Server, subject: string, body: unknown): Promise<Record<string, unknown>> {
  return (await server.request(subject, JSON.stringify(body), { timeout: 2000 })).json<Record<string, unknown>>();
}

const unknown = (name: string) => ({ code: 400, err_code: 10025, description: `invalid JSON: json: unknown field "${name}"` });

test("strict by default: unknown stream and consumer fields are refused, nested ones too", async (t) => {
  const server = await start(t, true);
  assert.deepEqual((await ask(server, "$JS.API.STREAM.CREATE.S", { name: "S", subjects: ["s"], max_agee: 1 }))["error"], unknown("max_agee"));
  assert.deepEqual((await ask(server, "$JS.API.STREAM.CREATE.S", { name: "S", subjects: ["s"], republish: { dest: "r.>", bogus: true } }))["error"], unknown("bogus"));
  assert.deepEqual((await ask(server, "$JS.API.STREAM.CREATE.S", { name: "S", subjects: ["s"], sources: [{ name: "X", external: { api: "a", deliver: "d", extra: 1 } }] }))["error"], unknown("extra"));
  // Go's decoder matches field names without regard to case.
  const created = await ask(server, "$JS.API.STREAM.CREATE.S", { Name: "S", SUBJECTS: ["s"], storage: "memory" });
  assert.equal(created["error"], undefined);
  const consumer = await ask(server, "$JS.API.CONSUMER.CREATE.S.C", { stream_name: "S", config: { name: "C", ack_policy: "explicit", ack_wiat: 1 } });
  assert.deepEqual(consumer["error"], unknown("ack_wiat"));
  assert.deepEqual((await ask(server, "$JS.API.CONSUMER.CREATE.S.C", { stream_name: "S", config: { name: "C" }, flag: 1 }))["error"], unknown("flag"));
  assert.deepEqual((await ask(server, "$JS.API.STREAM.UPDATE.S", { name: "S", subjects: ["s"], storage: "memory", nope: 1 }))["error"], unknown("nope"));

  // What the client sends back from info answers passes: every field we write is nats-server's.
  const nc = await server.connect();
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info("S");
  await jsm.streams.update("S", { ...info.config, subjects: ["s", "t"], metadata: { owner: "me" } });
  await jsm.consumers.add("S", { durable_name: "D", ack_policy: AckPolicy.Explicit, metadata: { a: "b" } });
  const ci = await jsm.consumers.info("S", "D");
  await jsm.consumers.update("S", "D", { ...ci.config, description: "again" });
  assert.equal((await jsm.consumers.info("S", "D")).config.description, "again");
});

test("strict: false takes unknown fields and ignores them (nats-server's jetstream { strict: false })", async (t) => {
  const server = await start(t, { strict: false });
  const created = await ask(server, "$JS.API.STREAM.CREATE.S", { name: "S", subjects: ["s"], storage: "memory", max_agee: 1 });
  assert.equal(created["error"], undefined);
  assert.equal((created["config"] as Record<string, unknown>)["max_agee"], undefined);
  const file = "/conf/js.conf";
  const { options, warnings } = optionsFromConfig(parseConfig("jetstream { strict: false }", { file, env: {} }), { file });
  assert.deepEqual(options.jetstream, { strict: false });
  assert.deepEqual(warnings, []);
});

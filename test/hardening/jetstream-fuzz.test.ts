/**
 * JetStream's API is JSON from any client: fuzz it (fixed seed) with random and hostile bodies
 * on every API subject and on ack subjects. Invariants: nothing reaches the host process, every
 * request that nats-server always answers gets one JSON answer (a response or an API error),
 * no prototype is polluted, and afterwards the service still works for the official client.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createServer, type DirectMsg } from "../../src/index.ts";
import { HostWatch } from "./properties.ts";

const SEED = 20261122;

/** API operations nats-server answers on every request, whatever the body. */
const ALWAYS_ANSWERED = [
  "INFO",
  "STREAM.CREATE.{s}",
  "STREAM.UPDATE.{s}",
  "STREAM.INFO.{s}",
  "STREAM.DELETE.{s}",
  "STREAM.PURGE.{s}",
  "STREAM.NAMES",
  "STREAM.LIST",
  "STREAM.MSG.GET.{s}",
  "STREAM.MSG.DELETE.{s}",
  "CONSUMER.CREATE.{s}",
  "CONSUMER.CREATE.{s}.{c}",
  "CONSUMER.CREATE.{s}.{c}.f.>",
  "CONSUMER.DURABLE.CREATE.{s}.{c}",
  "CONSUMER.INFO.{s}.{c}",
  "CONSUMER.DELETE.{s}.{c}",
  "CONSUMER.NAMES.{s}",
  "CONSUMER.LIST.{s}",
] as const;
/** Operations that may legitimately stay silent (no such consumer, a pull that waits, no direct get). */
const MAYBE_SILENT = ["CONSUMER.MSG.NEXT.{s}.{c}", "DIRECT.GET.{s}", "DIRECT.GET.{s}.f.a"] as const;

const streamNames = fc.constantFrom("F", "G", "W", "nope", "a.b", "*", ">", "x".repeat(300), "ünï", "F F");
const consumerNames = fc.constantFrom("c", "d", "nope", "a.b", "*", "", "y".repeat(300));

/** Values of every JSON type, and the hostile ones: pollution keys, huge and negative numbers. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(-1, 0, 1, -(2 ** 63), 2 ** 64, Number.MAX_SAFE_INTEGER + 2, 1e308, 0.5, "", "-1", [], {}, null, true),
);
const configKeys = fc.constantFrom(
  "name", "subjects", "retention", "storage", "max_msgs", "max_bytes", "max_age", "max_msg_size", "max_msgs_per_subject",
  "discard", "duplicate_window", "num_replicas", "sealed", "deny_delete", "deny_purge", "allow_rollup_hdrs", "allow_direct",
  "first_seq", "durable_name", "ack_policy", "deliver_policy", "opt_start_seq", "opt_start_time", "ack_wait", "max_deliver",
  "backoff", "filter_subject", "filter_subjects", "max_ack_pending", "deliver_subject", "deliver_group", "flow_control",
  "idle_heartbeat", "headers_only", "inactive_threshold", "max_waiting", "batch", "expires", "no_wait", "max_bytes",
  "seq", "last_by_subj", "next_by_subj", "filter", "keep", "offset", "subject", "no_erase", "action", "stream_name",
  "config", "__proto__", "constructor", "prototype",
);
const hostileObject = fc.dictionary(configKeys, fc.oneof(hostileValue, fc.dictionary(configKeys, hostileValue, { maxKeys: 4 })), { maxKeys: 8 });

const body: fc.Arbitrary<string> = fc.oneof(
  hostileObject.map((o) => JSON.stringify(o)),
  hostileObject.map((o) => JSON.stringify({ config: o, stream_name: "F" })),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 64 }),
  fc.constantFrom(
    "",
    "{",
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '{"config":{"__proto__":{"polluted":1},"name":"F"}}',
    '{"name":"F","subjects":["f.>"],"max_msgs":1e400}',
    "null",
    "[]",
    "1",
    "-1",
    "\u0000\u0001",
  ),
);

const apiRequest = fc.record({
  op: fc.constantFrom<string>(...ALWAYS_ANSWERED, ...MAYBE_SILENT),
  stream: streamNames,
  consumer: consumerNames,
  body,
  domain: fc.boolean(),
});

const ackRequest = fc.record({
  tokens: fc.array(fc.oneof(fc.constantFrom("F", "c", "1", "0", "-1", "18446744073709551616", "x"), fc.nat().map(String)), { minLength: 0, maxLength: 9 }),
  body: fc.oneof(fc.constantFrom("", "+ACK", "-NAK", '-NAK {"delay":-1}', '-NAK {"delay":"x"}', "+WPI", "+NXT", '+NXT {"batch":-5}', "+TERM", "+TERM why", "+ACK junk"), fc.string({ maxLength: 32 })),
});

describe("JetStream API fuzz (fixed seed)", () => {
  it("random and hostile requests: one JSON answer each, nothing escapes, service intact", async (t) => {
    const storeDir = await mkdtemp(join(tmpdir(), "nats-embedded-jsfuzz-"));
    const watch = new HostWatch().start();
    t.after(() => watch.stop());
    const server = createServer({ jetstream: { storeDir, maxMemory: 64 * 1024 * 1024, maxStore: 64 * 1024 * 1024, domain: "hub" } });
    const serverErrors: Error[] = [];
    server.on("error", (err) => void serverErrors.push(err));
    // After hooks run in the order they were added: the server closes (and writes its files)
    // before its directory is removed.
    t.after(() => server.close());
    t.after(() => rm(storeDir, { recursive: true, force: true }));

    // Targets that exist, so consumer, message and ack operations reach real objects.
    const nc = await server.connect();
    t.after(() => nc.close());
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "F", subjects: ["f.>"], storage: "memory" as never, allow_direct: true });
    await jsm.streams.add({ name: "W", subjects: ["w.>"], retention: "workqueue" as never, storage: "file" as never });
    await jsm.consumers.add("F", { durable_name: "c", ack_policy: "explicit" as never, ack_wait: 200_000_000 });
    const js = jetstream(nc);
    for (let i = 0; i < 20; i++) await js.publish(`f.${i % 3}`, `m${i}`);

    const answers = new Map<string, DirectMsg[]>();
    const inbox = server.subscribe("fuzz.reply.>", {
      callback: (_err, msg) => {
        const list = answers.get(msg.subject) ?? [];
        list.push(msg);
        answers.set(msg.subject, list);
      },
    });
    t.after(() => inbox.unsubscribe());

    const expected: Array<{ reply: string; subject: string; body: string }> = [];
    let n = 0;
    fc.assert(
      fc.property(apiRequest, ackRequest, (api, ack) => {
        const op = api.op.replace("{s}", api.stream).replace("{c}", api.consumer);
        const subject = `$JS.${api.domain ? "hub." : ""}API.${op}`;
        const reply = `fuzz.reply.${n++}`;
        // Names that are not valid subject tokens make the whole subject invalid: nothing to route.
        let routed = true;
        try {
          server.publish(subject, api.body, { reply });
        } catch {
          routed = false;
        }
        // A name with a dot adds a token, so the subject is not an API subject at all (nats-server
        // does not answer it either); wildcards and spaces make it unpublishable.
        const names = [api.stream, api.consumer];
        const wellFormed = !names.some((name) => /[.\s*>]/.test(name)) && !op.split(".").includes("");
        if (routed && wellFormed && (ALWAYS_ANSWERED as readonly string[]).includes(api.op)) {
          expected.push({ reply, subject, body: api.body });
        }
        try {
          server.publish(["$JS", "ACK", ...ack.tokens].join("."), ack.body);
        } catch {
          // invalid subject (an empty token): refused before routing, as a client's PUB would be
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );

    // Answers are sent synchronously or after a store write; give them a moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const missing = expected.filter((e) => (answers.get(e.reply)?.length ?? 0) === 0);
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} requests got no answer`);
    for (const e of expected) {
      const got = answers.get(e.reply)!;
      assert.equal(got.length, 1, `one answer to ${e.subject}`);
      const answer = got[0]!.json<{ type?: string; error?: { code: number; err_code: number; description: string } }>();
      assert.ok(typeof answer === "object" && answer !== null, `JSON object answer to ${e.subject}`);
      assert.ok(answer.type !== undefined || answer.error !== undefined, `a response type or an API error for ${e.subject} ${e.body}`);
      if (answer.error !== undefined) {
        assert.equal(typeof answer.error.code, "number");
        assert.equal(typeof answer.error.description, "string");
      }
    }
    assert.ok(expected.length > 100, `enough answerable requests were generated (${expected.length})`);

    assert.deepEqual(watch.escaped, []);
    assert.deepEqual(serverErrors, []);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined, "Object.prototype untouched");

    // The service still works for the official client.
    const info = await jsm.getAccountInfo();
    assert.equal(typeof info.streams, "number");
    await jsm.streams.add({ name: "AFTER", subjects: ["after.>"], storage: "memory" as never });
    const ackd = await js.publish("after.1", "ok");
    assert.equal(ackd.stream, "AFTER");
    assert.equal(ackd.seq, 1);
  });
});

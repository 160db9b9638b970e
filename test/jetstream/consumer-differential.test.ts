/**
 * The same consumer API requests sent to Debian's nats-server 2.9.10 (`-js`) and to this
 * broker, raw over TCP, with the replies compared after normalizing what legitimately differs:
 * timestamps, generated names, and the fields nats-server added after 2.9 that we send as the
 * newer releases do (`ts`, `config.name` for the legacy create forms). Skipped when the binary
 * is not installed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connect, createInbox } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { tempDir } from "./stream-helpers.ts";

type Exchange = [subject: string, body: unknown];

const EXCHANGES: Exchange[] = [
  ["$JS.API.CONSUMER.CREATE.S.dur", { stream_name: "S", config: { durable_name: "dur", ack_policy: "explicit" } }],
  ["$JS.API.CONSUMER.CREATE.S.eph", { stream_name: "S", config: { name: "eph", ack_policy: "none", deliver_subject: "dd" } }],
  ["$JS.API.CONSUMER.CREATE.S", { stream_name: "S", config: { ack_policy: "all" } }],
  ["$JS.API.CONSUMER.DURABLE.CREATE.S.old", { stream_name: "S", config: { durable_name: "old", ack_policy: "explicit", deliver_subject: "x.y", idle_heartbeat: 1e9, flow_control: true } }],
  ["$JS.API.CONSUMER.CREATE.S.flt.s.1", { stream_name: "S", config: { name: "flt", filter_subject: "s.1", deliver_policy: "last", ack_policy: "explicit" } }],
  ["$JS.API.CONSUMER.NAMES.S", ""],
  ["$JS.API.CONSUMER.LIST.S", { offset: 0 }],
  ["$JS.API.CONSUMER.INFO.S.nope", ""],
  ["$JS.API.CONSUMER.INFO.NOPE.dur", ""],
  ["$JS.API.CONSUMER.DELETE.S.old", ""],
  ["$JS.API.CONSUMER.CREATE.S.dur", { stream_name: "S", config: { durable_name: "dur", ack_policy: "explicit", deliver_policy: "new" } }],
  ["$JS.API.CONSUMER.CREATE.S.x", "{bad"],
  ["$JS.API.CONSUMER.CREATE.S.x", { stream_name: "S", config: { ack_policy: "bogus" } }],
  ["$JS.API.CONSUMER.CREATE.S.x", { stream_name: "T", config: {} }],
  ["$JS.API.CONSUMER.CREATE.S.x", { stream_name: "S", config: { durable_name: "y" } }],
  ["$JS.API.CONSUMER.CREATE.S.x", { stream_name: "S", config: { deliver_subject: "s.loop" } }],
  ["$JS.API.CONSUMER.CREATE.S.x", { stream_name: "S", config: { idle_heartbeat: 1e9 } }],
  ["$JS.API.CONSUMER.CREATE.S.x", { stream_name: "S", config: { deliver_policy: "by_start_sequence" } }],
  ["$JS.API.CONSUMER.CREATE.S.x", { stream_name: "S", config: { deliver_policy: "last_per_subject" } }],
  ["$JS.API.CONSUMER.CREATE.S.x", { stream_name: "S", config: { deliver_subject: "d.x", flow_control: true } }],
  ["$JS.API.CONSUMER.CREATE.S.x", { stream_name: "S", config: { ack_policy: "explicit", backoff: [1e9, 2e9], max_deliver: 1 } }],
  ["$JS.API.CONSUMER.CREATE.S.x", { stream_name: "S", config: { name: "x", filter_subject: "other.x" } }],
  ["$JS.API.CONSUMER.CREATE.S.wide", { stream_name: "S", config: { name: "wide", filter_subject: ">", ack_policy: "none" } }],
  ["$JS.API.CONSUMER.CREATE.S.x", { stream_name: "S", config: { name: "x", ack_policy: "none", deliver_subject: "x", max_ack_pending: -1 } }],
  ["$JS.API.CONSUMER.CREATE.W.a", { stream_name: "W", config: { name: "a", ack_policy: "explicit" } }],
  ["$JS.API.CONSUMER.CREATE.W.b", { stream_name: "W", config: { name: "b", ack_policy: "explicit", filter_subject: "w.x" } }],
  ["$JS.API.CONSUMER.CREATE.W.c", { stream_name: "W", config: { name: "c", ack_policy: "all" } }],
  ["$JS.API.CONSUMER.CREATE.W.d", { stream_name: "W", config: { name: "d", ack_policy: "explicit", deliver_policy: "new" } }],
  ["$JS.API.CONSUMER.MSG.NEXT.S.eph", { batch: 1, no_wait: true }],
];

async function run(url: string): Promise<string[]> {
  const nc = await connect({ servers: url, reconnect: false });
  try {
    const send = async (subject: string, body: unknown, timeout = 2000): Promise<string> => {
      const m = await nc.request(subject, typeof body === "string" ? body : JSON.stringify(body), { timeout });
      return m.headers !== undefined ? `status ${m.headers.code} ${m.headers.description}` : m.string();
    };
    await send("$JS.API.STREAM.CREATE.S", { name: "S", subjects: ["s.>"], storage: "memory" });
    await send("$JS.API.STREAM.CREATE.W", { name: "W", subjects: ["w.>"], storage: "memory", retention: "workqueue" });
    await nc.request("s.1", "x", { timeout: 2000 });
    await nc.request("s.2", "y", { timeout: 2000 });
    const out: string[] = [];
    for (const [subject, body] of EXCHANGES) out.push(await send(subject, body));
    // Subjects nats-server 2.9.10 does not serve get no answer at all. (CONSUMER.PAUSE, which
    // 2.9.10 leaves unanswered, is served here as from 2.11: consumer-pause.test.ts.)
    for (const subject of ["$JS.API.CONSUMER.FOO", "$JS.API.CONSUMER.INFO.S", "$JS.API.CONSUMER.NAMES.S.x"]) {
      out.push(await send(subject, "", 300).catch((err: unknown) => (err instanceof Error ? err.name : String(err))));
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** Drops what may differ: times, generated names, fields newer than 2.9. */
function normalize(text: string): unknown {
  if (!text.startsWith("{")) return text;
  const json = JSON.parse(text) as Record<string, unknown>;
  const scrub = (info: Record<string, unknown>): Record<string, unknown> => {
    const copy: Record<string, unknown> = { ...info, created: "T" };
    delete copy["ts"];
    if (typeof copy["name"] === "string" && /^[0-9A-Za-z]{8}$/.test(copy["name"] as string) && copy["name"] !== "eph") copy["name"] = "GENERATED";
    const config = { ...(copy["config"] as Record<string, unknown> | undefined) };
    delete config["name"];
    // nats-server 2.11's version keys (`_nats.*`, version-metadata.test.ts) are not in 2.9.10.
    const metadata = Object.fromEntries(Object.entries((config["metadata"] ?? {}) as Record<string, string>).filter(([k]) => !k.startsWith("_nats.")));
    if (Object.keys(metadata).length > 0) config["metadata"] = metadata;
    else delete config["metadata"];
    if (copy["config"] !== undefined) copy["config"] = config;
    return copy;
  };
  if (Array.isArray(json["consumers"])) {
    const consumers = (json["consumers"] as unknown[]).map((c) =>
      typeof c === "string" ? (/^[0-9A-Za-z]{8}$/.test(c) && c !== "eph" && c !== "flt" ? "GENERATED" : c) : scrub(c as Record<string, unknown>),
    );
    // Generated names sort anywhere: compare the pages as sets.
    const key = (c: unknown): string => (typeof c === "string" ? c : String((c as Record<string, unknown>)["name"]));
    json["consumers"] = consumers.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    return json;
  }
  return json["error"] === undefined && json["config"] !== undefined ? scrub(json) : json;
}

describe("consumer API against nats-server 2.9.10", { skip: !hasNatsServer() && "nats-server is not installed" }, () => {
  it("answers the same requests the same way", async (t) => {
    const ns = await startNatsServer(["-js", "-sd", tempDir(t, "ns-js-")]);
    t.after(() => ns.stop());
    const reference = await run(`127.0.0.1:${ns.port}`);
    const server = createServer({ port: 0, jetstream: { storeDir: tempDir(t, "ne-js-") } });
    await server.listen();
    t.after(() => server.close());
    const ours = await run(server.url!);
    assert.equal(ours.length, reference.length);
    for (let i = 0; i < reference.length; i++) {
      assert.deepEqual(normalize(ours[i]!), normalize(reference[i]!), `${EXCHANGES[i]?.[0] ?? "unserved subject"} ${JSON.stringify(EXCHANGES[i]?.[1] ?? "")}`);
    }
  });
});

/** Pull requests sent raw to an inbox; what comes back, as subjects and status lines. */
async function pulls(url: string): Promise<string[]> {
  const nc = await connect({ servers: url, reconnect: false });
  try {
    const request = (subject: string, body: unknown) => nc.request(subject, JSON.stringify(body), { timeout: 2000 });
    await request("$JS.API.STREAM.CREATE.S", { name: "S", subjects: ["s.>"], storage: "memory" });
    for (let i = 1; i <= 3; i++) await nc.request(`s.${i}`, "x".repeat(50 * i), { timeout: 2000 });
    await request("$JS.API.CONSUMER.CREATE.S.c", { stream_name: "S", config: { durable_name: "c", ack_policy: "explicit" } });
    await request("$JS.API.CONSUMER.CREATE.S.n", { stream_name: "S", config: { durable_name: "n", ack_policy: "none" } });
    const out: string[] = [];
    const pull = async (consumer: string, body: unknown, waitMs = 400): Promise<void> => {
      const inbox = createInbox();
      const got: string[] = [];
      const sub = nc.subscribe(inbox, {
        callback: (_e, m) => {
          const h = m.headers;
          got.push(h !== undefined && h.code > 0 ? `${h.code} ${h.description} ${h.keys().map((k) => `${k}=${h.get(k)}`).join(",")}` : `${m.subject} ${m.reply?.split(".").slice(0, 7).join(".")}`);
        },
      });
      await nc.flush();
      nc.publish(`$JS.API.CONSUMER.MSG.NEXT.S.${consumer}`, typeof body === "string" ? body : JSON.stringify(body), { reply: inbox });
      await sleep(waitMs);
      sub.unsubscribe();
      out.push(`${JSON.stringify(body)} -> ${got.join(" | ")}`);
    };
    await pull("n", { batch: 5, no_wait: true });
    await pull("n", { batch: 2, no_wait: true });
    await pull("c", { batch: 1, max_bytes: 60, expires: 300e6 });
    await pull("c", { batch: 5, max_bytes: 120, expires: 300e6 }, 500);
    await pull("c", { batch: 2, expires: 200e6, no_wait: true }, 500);
    await pull("c", "2");
    // Heartbeats at 400 and 800 ms, the timeout at 1 s: wide enough apart that a loaded machine
    // (either server) does not change how many come.
    await pull("c", { batch: 2, expires: 1e9, idle_heartbeat: 400e6 }, 1300);
    await pull("c", { batch: 2, expires: 100e6, idle_heartbeat: 60e6 });
    await pull("c", { batch: 1, expires: "x" });
    return out;
  } finally {
    await nc.close();
  }
}

describe("pull requests against nats-server 2.9.10", { skip: !hasNatsServer() && "nats-server is not installed" }, () => {
  it("deliver, time out, refuse and heartbeat the same way", async (t) => {
    const ns = await startNatsServer(["-js", "-sd", tempDir(t, "ns-js-")]);
    t.after(() => ns.stop());
    const reference = await pulls(`127.0.0.1:${ns.port}`);
    const server = createServer({ port: 0, jetstream: { storeDir: tempDir(t, "ne-js-") } });
    await server.listen();
    t.after(() => server.close());
    assert.deepEqual(await pulls(server.url!), reference);
  });
});

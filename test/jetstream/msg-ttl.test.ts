/**
 * Per-message TTL (nats-server 2.11): a stream with `allow_msg_ttl` honours the `Nats-TTL`
 * header (seconds, a Go duration of at least 1 s, or "never"); refusals as stream.go
 * processJetStreamMsg (`10166` without `allow_msg_ttl`, `10165` for a TTL it cannot read);
 * `allow_msg_ttl` cannot be switched off; a file stream's TTLs survive a restart; and however
 * many messages carry a TTL, a store keeps one expiry timer.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { headers } from "@nats-io/nats-core";
import { StorageType } from "@nats-io/jetstream";
import { startJetStream, tempDir, type JsHarness } from "./stream-helpers.ts";
import { MemoryStore } from "../../src/jetstream/store/memory-store.ts";
import { FileStore } from "../../src/jetstream/store/file-store.ts";
import type { StreamStore } from "../../src/jetstream/store/stream-store.ts";
import { parseMsgTtl } from "../../src/jetstream/store/msg-ttl.ts";
import fc from "fast-check";
import { gc, settledHeap } from "../hardening/gc.ts";

/** Publishes with a `Nats-TTL` header and returns the raw PubAck JSON. */
async function publishTtl(h: JsHarness, subject: string, ttl: string, data = "x"): Promise<Record<string, unknown>> {
  const hd = headers();
  hd.set("Nats-TTL", ttl);
  return (await h.nc.request(subject, data, { headers: hd, timeout: 2000 })).json<Record<string, unknown>>();
}

/** Waits until `check` holds, or fails after `ms`. */
async function eventually(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`not within ${ms} ms: ${what}`);
}

async function messages(h: JsHarness, stream: string): Promise<number> {
  return (await h.jsm.streams.info(stream)).state.messages;
}

describe("Nats-TTL values, as stream.go parseMessageTTL", () => {
  it("reads seconds, Go durations and never; refuses the rest", () => {
    assert.equal(parseMsgTtl("1"), 1);
    assert.equal(parseMsgTtl("10s"), 10);
    assert.equal(parseMsgTtl("1m"), 60);
    assert.equal(parseMsgTtl("1h30m"), 5400);
    assert.equal(parseMsgTtl("1.5s"), 1);
    assert.equal(parseMsgTtl("never"), -1);
    assert.equal(parseMsgTtl("NEVER"), -1);
    // "0" is a Go duration under a second; a digit string wider than int64 wraps as Go's does.
    for (const bad of ["0", "500ms", "-1", "-5s", "abc", "5x", "1e3", " ", "18446744073709551615", "9999999999999999999h"]) {
      assert.equal(parseMsgTtl(bad), "invalid", bad);
    }
    assert.equal(parseMsgTtl("99999999999999999999"), Number.MAX_SAFE_INTEGER);
  });

  it("never throws, whatever the header holds", () => {
    const durationish = fc.stringMatching(/^[-+]?[0-9.]{0,25}(ns|us|µs|ms|s|m|h|x|)([0-9.]{0,5}(s|m|h))?$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), durationish), (value) => {
        const ttl = parseMsgTtl(value);
        assert.ok(ttl === "invalid" || (Number.isSafeInteger(ttl) && ttl >= -1 && ttl !== 0), `${JSON.stringify(value)} -> ${ttl}`);
      }),
      { seed: 19, numRuns: 5000 },
    );
  });
});

for (const storage of [StorageType.Memory, StorageType.File]) {
  describe(`per-message TTL (${storage})`, () => {
    it("refuses a TTL without allow_msg_ttl (10166) and an unreadable one (10165)", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "OFF", subjects: ["off.>"], storage });
      assert.deepEqual(await publishTtl(h, "off.a", "5"), { error: { code: 400, err_code: 10166, description: "per-message TTL is disabled" }, stream: "OFF", seq: 0 });
      assert.deepEqual(await publishTtl(h, "off.a", "never"), { error: { code: 400, err_code: 10166, description: "per-message TTL is disabled" }, stream: "OFF", seq: 0 });
      // Unreadable is not "disabled": nats-server ignores the parse error at that check.
      assert.deepEqual(await publishTtl(h, "off.a", "abc"), { error: { code: 400, err_code: 10165, description: "invalid per-message TTL" }, stream: "OFF", seq: 0 });

      await h.jsm.streams.add({ name: "ON", subjects: ["on.>"], storage, allow_msg_ttl: true });
      for (const bad of ["0", "500ms", "-1", "-10s", "soon", "18446744073709551615", "1__proto__", "1constructor"]) {
        assert.deepEqual(await publishTtl(h, "on.a", bad), { error: { code: 400, err_code: 10165, description: "invalid per-message TTL" }, stream: "ON", seq: 0 }, bad);
      }
      let seq = 0;
      for (const good of ["1h", "3600", "never", "99999999999999999999"]) {
        assert.deepEqual(await publishTtl(h, "on.a", good), { stream: "ON", seq: ++seq }, good);
      }
      assert.equal((await h.jsm.streams.info("ON")).config.allow_msg_ttl, true);
      assert.equal(await messages(h, "ON"), 4);
    });

    it("expires a message after its TTL, leaving the others", async (t) => {
      const h = await startJetStream(t, "in-process");
      await h.jsm.streams.add({ name: "T", subjects: ["t.>"], storage, allow_msg_ttl: true });
      assert.equal((await publishTtl(h, "t.short", "1s"))["seq"], 1);
      assert.equal((await publishTtl(h, "t.long", "1h"))["seq"], 2);
      await h.js.publish("t.plain", "p");
      assert.equal(await messages(h, "T"), 3);
      const started = Date.now();
      await eventually(async () => (await messages(h, "T")) === 2, 4000, "t.short expires");
      assert.ok(Date.now() - started >= 500, "not before its TTL");
      const first = await h.jsm.streams.getMessage("T", { seq: 2 });
      assert.equal(first?.subject, "t.long");
      assert.equal(await h.jsm.streams.getMessage("T", { seq: 1 }).catch(() => null), null);
    });

    it("lets a 'never' message outlive max_age, but not a long TTL", async (t) => {
      const h = await startJetStream(t, "in-process");
      await h.jsm.streams.add({ name: "A", subjects: ["a.>"], storage, allow_msg_ttl: true, max_age: 1_000_000_000 });
      await publishTtl(h, "a.never", "never");
      await publishTtl(h, "a.long", "1h");
      await h.js.publish("a.plain", "p");
      await eventually(async () => (await messages(h, "A")) === 1, 4000, "max_age removes all but the never message");
      assert.equal((await h.jsm.streams.getMessage("A", { seq: 1 }))?.subject, "a.never");
      // The timer keeps working past the message it skips.
      await h.js.publish("a.later", "p");
      await eventually(async () => (await messages(h, "A")) === 1, 4000, "a message after the never one ages out");
    });

    it("switches allow_msg_ttl on by update, never off", async (t) => {
      const h = await startJetStream(t, "in-process");
      await h.jsm.streams.add({ name: "U", subjects: ["u.>"], storage });
      const on = await h.jsm.streams.update("U", { allow_msg_ttl: true });
      assert.equal(on.config.allow_msg_ttl, true);
      assert.equal((await publishTtl(h, "u.a", "1s"))["seq"], 1);
      const off = await h.request("$JS.API.STREAM.UPDATE.U", JSON.stringify({ ...on.config, allow_msg_ttl: false }));
      assert.deepEqual(off.json["error"], { code: 500, err_code: 10052, description: "message TTL status can not be disabled" });
      await eventually(async () => (await messages(h, "U")) === 0, 4000, "the TTL applies after the update");
    });
  });
}

describe("per-message TTL across a restart (file)", () => {
  for (const scan of [false, true]) {
    it(`keeps the stored TTLs (${scan ? "segments scanned" : "index checkpoint"})`, async (t: TestContext) => {
      const storeDir = tempDir(t);
      const first = await startJetStream(t, "in-process", { storeDir });
      await first.jsm.streams.add({ name: "R", subjects: ["r.>"], storage: StorageType.File, allow_msg_ttl: true });
      await publishTtl(first, "r.short", "2s");
      await publishTtl(first, "r.long", "1h");
      await publishTtl(first, "r.never", "never");
      await first.nc.close();
      await first.server.close();
      if (scan) rmSync(join(storeDir, "jetstream", "R", "msgs", "index.ckp"), { force: true });

      const second = await startJetStream(t, "in-process", { storeDir });
      assert.equal(await messages(second, "R"), 3);
      await eventually(async () => (await messages(second, "R")) === 2, 5000, "r.short expires after the restart");
      assert.deepEqual(
        Object.keys((await second.jsm.streams.info("R", { subjects_filter: ">" })).state.subjects ?? {}).sort(),
        ["r.long", "r.never"],
      );
    });
  }

  it("removes at open what expired while the server was down", async (t) => {
    const storeDir = tempDir(t);
    const first = await startJetStream(t, "in-process", { storeDir });
    await first.jsm.streams.add({ name: "D", subjects: ["d.>"], storage: StorageType.File, allow_msg_ttl: true });
    await publishTtl(first, "d.a", "1s");
    await first.js.publish("d.b", "b");
    await first.nc.close();
    await first.server.close();
    await sleep(1200);
    const second = await startJetStream(t, "in-process", { storeDir });
    await eventually(async () => (await messages(second, "D")) === 1, 2000, "d.a is gone");
  });
});

/**
 * Counts the timers a store has pending by watching `setTimeout`/`clearTimeout` while it runs:
 * the store keeps its timer unref'd, so process.getActiveResourcesInfo() would not list it.
 */
function watchTimers(t: TestContext): { readonly active: number; readonly peak: number } {
  const real = { set: globalThis.setTimeout, clear: globalThis.clearTimeout };
  const live = new Set<unknown>();
  let peak = 0;
  const wrappedSet = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = real.set(
      (...a: unknown[]) => {
        live.delete(timer);
        fn(...a);
      },
      ms,
      ...args,
    );
    live.add(timer);
    peak = Math.max(peak, live.size);
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = wrappedSet;
  globalThis.clearTimeout = ((timer: Parameters<typeof clearTimeout>[0]) => {
    live.delete(timer);
    real.clear(timer);
  }) as typeof clearTimeout;
  t.after(() => {
    globalThis.setTimeout = real.set;
    globalThis.clearTimeout = real.clear;
  });
  return {
    get active() {
      return live.size;
    },
    get peak() {
      return peak;
    },
  };
}

describe("TTL expiry is one timer per store", () => {
  const limits = { maxMsgs: -1, maxBytes: -1, maxAgeNs: 0, maxMsgsPerSubject: -1, allowMsgTtl: true };
  const kinds: Array<[string, number, (t: TestContext) => StreamStore]> = [
    ["memory", 100_000, () => new MemoryStore(limits)],
    ["file", 30_000, (t) => new FileStore(join(tempDir(t), "S"), limits, { syncPolicy: "never" })],
  ];
  for (const [name, count, open] of kinds) {
    it(`${count.toLocaleString("en")} messages with TTLs (${name}): one timer, all expire`, async (t) => {
      const store = open(t);
      t.after(() => store.destroy());
      const timers = watchTimers(t);
      const data = Buffer.from("payload");
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      for (let i = 0; i < count; i++) {
        // TTLs of 1 and 2 s, interleaved, plus one that lives on: the timer must keep the earliest.
        const ttl = i === count - 1 ? "1h" : i % 2 === 0 ? "2" : "1s";
        store.store(`s.${i % 1000}`, Buffer.from(`NATS/1.0\r\nNats-TTL: ${ttl}\r\n\r\n`), data);
      }
      gc();
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
      t.diagnostic(`${name}: ${count} TTL'd messages, heap +${(heapGrowth / 1e6).toFixed(1)} MB, timers pending ${timers.active}, peak ${timers.peak}`);
      assert.equal(store.state().messages, count);
      assert.ok(timers.active <= 1, `pending timers: ${timers.active}`);
      assert.ok(timers.peak <= 1, `peak timers: ${timers.peak}`);
      await eventually(() => store.state().messages <= count / 2 + 1, 4000, "the 1 s half expires");
      await eventually(() => store.state().messages === 1, 4000, "the 2 s half expires");
      assert.equal(store.state().firstSeq, count);
      assert.ok(timers.peak <= 1, `peak timers: ${timers.peak}`);
      // The hour-long one is still scheduled, on the same single timer.
      assert.equal(timers.active, 1);
    });
  }

  it("forgets the TTL of a message removed otherwise (max_msgs), so nothing piles up", async (t) => {
    const store = new MemoryStore({ maxMsgs: 10, maxBytes: -1, maxAgeNs: 0, maxMsgsPerSubject: -1, allowMsgTtl: true });
    t.after(() => store.destroy());
    for (let i = 0; i < 50_000; i++) store.store("k", Buffer.from("NATS/1.0\r\nNats-TTL: 1h\r\n\r\n"), Buffer.from("v"));
    assert.equal(store.state().messages, 10);
    const heapBefore = await settledHeap();
    for (let i = 0; i < 50_000; i++) store.store("k", Buffer.from("NATS/1.0\r\nNats-TTL: 1h\r\n\r\n"), Buffer.from("v"));
    const growth = (await settledHeap()) - heapBefore;
    t.diagnostic(`50,000 more TTL'd messages through a 10-message stream: heap ${growth >= 0 ? "+" : ""}${(growth / 1e6).toFixed(2)} MB after GC`);
    // The heap's dead slots are dropped in rebuilds: what stays is 10 live TTLs and at most ~1k slots.
    assert.ok(growth < 2e6, `heap grew ${growth} bytes`);
  });
});

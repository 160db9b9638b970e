/**
 * Scheduled messages (nats-server 2.12, `allow_msg_schedules`): a `Nats-Schedule` message is kept
 * as its subject's last message and, when due, copied to `Nats-Schedule-Target` with
 * `Nats-Scheduler` and `Nats-Schedule-Next` ("purge" for `@at`, which removes the schedule; the
 * next time for `@every`). Refusals and config rules as stream.go; restart-safe on the file store.
 * Through @nats-io/jetstream's `schedule` / `cancelSchedule` publish options and raw headers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { headers } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { createServer } from "../../src/index.ts";
import { startJetStream, tempDir, type JsHarness } from "./stream-helpers.ts";

const refused = (stream: string, err_code: number, description: string): string =>
  JSON.stringify({ error: { code: 400, err_code, description }, stream, seq: 0 });

async function raw(h: JsHarness, subject: string, hdrs: Record<string, string>, data = ""): Promise<string> {
  const hd = headers();
  for (const [k, v] of Object.entries(hdrs)) hd.set(k, v);
  return (await h.nc.request(subject, data, { headers: hd, timeout: 2000 })).string();
}

async function count(jsm: JetStreamManager, stream: string, subject: string): Promise<number> {
  return (await jsm.streams.info(stream, { subjects_filter: subject })).state.subjects?.[subject] ?? 0;
}

/** Polls until `check` holds, for at most `ms`. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

for (const storage of [StorageType.Memory, StorageType.File]) {
  describe(`scheduled messages (${storage})`, () => {
    it("@at fires once on the target, then the schedule is removed", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "S", subjects: ["s.>"], storage, allow_msg_schedules: true, allow_direct: true });
      const info = await h.jsm.streams.info("S");
      assert.equal(info.config.allow_msg_schedules, true);
      assert.equal(info.config.allow_rollup_hdrs, true);
      const at = new Date(Date.now() + 1000);
      const ack = await h.js.publish("s.sched.a", "hello", { schedule: { specification: at, target: "s.out" } });
      assert.equal(ack.seq, 1);
      const stored = await h.jsm.streams.getMessage("S", { seq: 1 });
      assert.equal(stored?.header.get("Nats-Rollup"), "sub");
      assert.ok(await until(async () => (await count(h.jsm, "S", "s.out")) === 1, 4000));
      const copy = await h.jsm.streams.getMessage("S", { last_by_subj: "s.out" });
      assert.equal(copy?.string(), "hello");
      assert.equal(copy?.header.get("Nats-Scheduler"), "s.sched.a");
      assert.equal(copy?.header.get("Nats-Schedule-Next"), "purge");
      assert.equal(copy?.header.get("Nats-Schedule-Target"), "");
      assert.ok(await until(async () => (await count(h.jsm, "S", "s.sched.a")) === 0, 2000));
      await sleep(600);
      assert.equal(await count(h.jsm, "S", "s.out"), 1);
    });

    it("@every repeats, with a TTL and a source; cancelSchedule stops it", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "S", subjects: ["s.>"], storage, allow_msg_schedules: true, allow_msg_ttl: true });
      await h.js.publish("s.src", "from-source");
      await h.js.publish("s.sched.e", "own", { schedule: { specification: { every: "1s" }, target: "s.tick", source: "s.src", ttl: "5m" } });
      assert.ok(await until(async () => (await count(h.jsm, "S", "s.tick")) >= 2, 5000));
      const copy = await h.jsm.streams.getMessage("S", { last_by_subj: "s.tick" });
      assert.equal(copy?.string(), "from-source");
      assert.equal(copy?.header.get("Nats-TTL"), "5m");
      assert.match(copy?.header.get("Nats-Schedule-Next") ?? "", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      await h.js.publish("s.cancel", "", { cancelSchedule: { scheduleSubject: "s.sched.e" } });
      assert.equal(await count(h.jsm, "S", "s.sched.e"), 0);
      const after = await count(h.jsm, "S", "s.tick");
      await sleep(1600);
      assert.equal(await count(h.jsm, "S", "s.tick"), after);
    });

    it("cron patterns, with a time zone, and the predefined ones", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "S", subjects: ["s.>"], storage, allow_msg_schedules: true });
      await h.js.publish("s.sched.c", "tick", { schedule: { specification: { cron: "* * * * * *" }, target: "s.cron", timezone: "Europe/Paris" } });
      assert.ok(await until(async () => (await count(h.jsm, "S", "s.cron")) >= 2, 4000));
      const copy = await h.jsm.streams.getMessage("S", { last_by_subj: "s.cron" });
      assert.equal(copy?.header.get("Nats-Scheduler"), "s.sched.c");
      assert.match(copy?.header.get("Nats-Schedule-Next") ?? "", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      // Accepted, and not due for a while.
      const hourly = await h.js.publish("s.sched.h", "x", { schedule: { specification: { predefined: "@hourly" }, target: "s.hourly" } });
      assert.ok(hourly.seq > 0);
      const weekdays = await h.js.publish("s.sched.w", "x", { schedule: { specification: { cron: "0 30 9 * * mon-fri" }, target: "s.w" } });
      assert.ok(weekdays.seq > 0);
      assert.equal(await raw(h, "s.a", { "Nats-Schedule": "61 * * * * *", "Nats-Schedule-Target": "s.b" }), refused("S", 10189, "message schedules pattern is invalid"));
      assert.equal(await raw(h, "s.a", { "Nats-Schedule": "* * * * *", "Nats-Schedule-Target": "s.b" }), refused("S", 10189, "message schedules pattern is invalid"));
      // @at and @every take no time zone.
      assert.equal(
        await raw(h, "s.a", { "Nats-Schedule": "@every 5s", "Nats-Schedule-Target": "s.b", "Nats-Schedule-Time-Zone": "Europe/Paris" }),
        refused("S", 10189, "message schedules pattern is invalid"),
      );
    });

    it("refuses as nats-server", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "S", subjects: ["s.>"], storage, allow_msg_schedules: true });
      await h.jsm.streams.add({ name: "P", subjects: ["p.>"], storage });
      const at = `@at ${new Date(Date.now() + 60_000).toISOString()}`;
      assert.equal(await raw(h, "p.a", { "Nats-Schedule": at, "Nats-Schedule-Target": "p.b" }), refused("P", 10188, "message schedules is disabled"));
      assert.equal(await raw(h, "p.a", { "Nats-Schedule": "@at never" }), refused("P", 10188, "message schedules is disabled"));
      assert.equal(await raw(h, "s.a", { "Nats-Schedule": "@at never", "Nats-Schedule-Target": "s.b" }), refused("S", 10189, "message schedules pattern is invalid"));
      assert.equal(await raw(h, "s.a", { "Nats-Schedule": "@every 500ms", "Nats-Schedule-Target": "s.b" }), refused("S", 10189, "message schedules pattern is invalid"));
      assert.equal(await raw(h, "s.a", { "Nats-Schedule": at }), refused("S", 10190, "message schedules target is invalid"));
      assert.equal(await raw(h, "s.a", { "Nats-Schedule": at, "Nats-Schedule-Target": "s.a" }), refused("S", 10190, "message schedules target is invalid"));
      assert.equal(await raw(h, "s.a", { "Nats-Schedule": at, "Nats-Schedule-Target": "elsewhere" }), refused("S", 10190, "message schedules target is invalid"));
      assert.equal(await raw(h, "s.a", { "Nats-Schedule": at, "Nats-Schedule-Target": "s.b", "Nats-Schedule-TTL": "soon" }), refused("S", 10191, "message schedules invalid per-message TTL"));
      assert.equal(await raw(h, "s.a", { "Nats-Schedule": at, "Nats-Schedule-Target": "s.b", "Nats-Schedule-Rollup": "all" }), refused("S", 10192, "message schedules invalid rollup"));
      assert.equal(await raw(h, "s.a", { "Nats-Schedule": at, "Nats-Schedule-Target": "s.b", "Nats-Schedule-Source": "s.b" }), refused("S", 10203, "message schedules source is invalid"));
      assert.equal(await raw(h, "s.a", { "Nats-Scheduler": "s.x" }), refused("S", 10212, "message schedules invalid scheduler"));
      assert.equal(await raw(h, "s.a", { "Nats-Schedule-Next": "tomorrow", "Nats-Scheduler": "s.x" }), refused("S", 10212, "message schedules invalid scheduler"));
      assert.equal(await raw(h, "s.a", { "Nats-Schedule": at, "Nats-Schedule-Target": "s.b", "Nats-Schedule-Time-Zone": "Mars/Olympus" }), refused("S", 10223, "message schedules time zone is invalid"));
      // A TTL for the copies needs TTLs on the stream.
      assert.equal(
        await raw(h, "s.a", { "Nats-Schedule": at, "Nats-Schedule-Target": "s.b", "Nats-Schedule-TTL": "5m" }),
        JSON.stringify({ error: { code: 400, err_code: 10166, description: "per-message TTL is disabled" }, stream: "S", seq: 0 }),
      );
      // Cancelling a subject that holds no schedule.
      await h.js.publish("s.plain", "x");
      assert.equal(await raw(h, "s.a", { "Nats-Schedule-Next": "purge", "Nats-Scheduler": "s.plain" }), refused("S", 10212, "message schedules invalid scheduler"));
      assert.equal((await h.jsm.streams.info("S")).state.messages, 1);
    });

    it("config rules: no mirrors, sources, counters, discard new, or turning it off", async (t) => {
      const h = await startJetStream(t, "tcp");
      await h.jsm.streams.add({ name: "S", subjects: ["s.>"], storage, allow_msg_schedules: true });
      await assert.rejects(h.jsm.streams.add({ name: "M", storage, mirror: { name: "S" }, allow_msg_schedules: true }), /stream mirrors can not also schedule messages/);
      await assert.rejects(h.jsm.streams.add({ name: "R", storage, sources: [{ name: "S" }], allow_msg_schedules: true }), /stream source can not also schedule messages/);
      await assert.rejects(h.jsm.streams.add({ name: "C", subjects: ["c.>"], storage, allow_msg_counter: true, allow_msg_schedules: true }), /counter stream cannot use message schedules/);
      await assert.rejects(h.jsm.streams.add({ name: "D", subjects: ["d.>"], storage, discard: "new" as never, allow_msg_schedules: true }), /message scheduling cannot use discard new/);
      await assert.rejects(h.jsm.streams.update("S", { allow_msg_schedules: false }), /message schedules can not be disabled/);
    });
  });
}

describe("scheduled messages across a restart (file)", () => {
  it("a schedule due while the broker was down fires after it starts again", async (t) => {
    const storeDir = tempDir(t);
    const first = createServer({ port: 0, jetstream: { storeDir } });
    await first.listen();
    let nc = await connect({ servers: first.url!, reconnect: false });
    let jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "S", subjects: ["s.>"], storage: StorageType.File, allow_msg_schedules: true });
    await jetstream(nc).publish("s.sched", "later", { schedule: { specification: new Date(Date.now() + 800), target: "s.out" } });
    await nc.close();
    await first.close();
    await sleep(1000);
    const second = createServer({ port: 0, jetstream: { storeDir } });
    await second.listen();
    nc = await connect({ servers: second.url!, reconnect: false });
    t.after(async () => {
      await nc.close().catch(() => undefined);
      await second.close();
    });
    jsm = await jetstreamManager(nc);
    assert.ok(await until(async () => (await count(jsm, "S", "s.out")) === 1, 3000));
    assert.equal(await count(jsm, "S", "s.sched"), 0);
  });
});

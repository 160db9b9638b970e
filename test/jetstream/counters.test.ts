/**
 * Counter streams (nats-server 2.12, `allow_msg_counter`): `Nats-Incr` publishes with no
 * payload become `{"val":"<total>"}` messages, the PubAck carries `"val"`, totals are arbitrary
 * precision, a sourced counter is folded in through `Nats-Counter-Sources`; refusals and config
 * rules as stream.go processJetStreamMsg and checkStreamCfg.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { headers, type MsgHdrs } from "@nats-io/nats-core";
import { StorageType } from "@nats-io/jetstream";
import { startJetStream, TRANSPORTS, type JsHarness } from "./stream-helpers.ts";

async function incr(h: JsHarness, subject: string, by: string, data = "", extra: Record<string, string> = {}): Promise<string> {
  const hd: MsgHdrs = headers();
  if (by !== "") hd.set("Nats-Incr", by);
  for (const [k, v] of Object.entries(extra)) hd.set(k, v);
  return (await h.nc.request(subject, data, { headers: hd, timeout: 2000 })).string();
}

const refused = (stream: string, code: number, description: string): string =>
  JSON.stringify({ error: { code: 400, err_code: code, description }, stream, seq: 0 });

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`counter streams (${transport}, ${storage})`, () => {
      it("adds increments per subject and says the total in the PubAck", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "C", subjects: ["c.>"], storage, allow_msg_counter: true, allow_direct: true });
        assert.equal(await incr(h, "c.a", "1"), '{"stream":"C", "seq":1,"val":"1"}');
        assert.equal(await incr(h, "c.a", "41"), '{"stream":"C", "seq":2,"val":"42"}');
        assert.equal(await incr(h, "c.b", "-5"), '{"stream":"C", "seq":3,"val":"-5"}');
        assert.equal(await incr(h, "c.a", "+0"), '{"stream":"C", "seq":4,"val":"42"}');
        // Beyond 64 bits.
        assert.equal(await incr(h, "c.big", "18446744073709551615"), '{"stream":"C", "seq":5,"val":"18446744073709551615"}');
        assert.equal(await incr(h, "c.big", "18446744073709551615"), '{"stream":"C", "seq":6,"val":"36893488147419103230"}');
        const last = await h.jsm.streams.getMessage("C", { last_by_subj: "c.a" });
        assert.equal(last?.string(), '{"val":"42"}');
        assert.equal(last?.header.get("Nats-Incr"), "+0");
        assert.equal((await h.jsm.streams.info("C")).config.allow_msg_counter, true);
      });

      it("refuses as nats-server", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "C", subjects: ["c.>"], storage, allow_msg_counter: true, allow_rollup_hdrs: true });
        await h.jsm.streams.add({ name: "P", subjects: ["p.>"], storage });
        assert.equal(await incr(h, "p.a", "1"), refused("P", 10168, "message counters is disabled"));
        assert.equal(await incr(h, "p.a", "x1"), refused("P", 10171, "message counter increment is invalid"));
        assert.equal(await incr(h, "c.a", "1.5"), refused("C", 10171, "message counter increment is invalid"));
        assert.equal(await incr(h, "c.a", "1", "payload"), refused("C", 10170, "message counter has payload"));
        assert.equal(await incr(h, "c.a", "1", "", { "Nats-Rollup": "sub" }), refused("C", 10171, "message counter increment is invalid"));
        assert.equal(await incr(h, "c.a", "1", "", { "Nats-Expected-Last-Sequence": "0" }), refused("C", 10171, "message counter increment is invalid"));
        assert.equal(await incr(h, "c.a", "", "plain"), refused("C", 10169, "message counter increment is missing"));
        assert.equal((await h.nc.request("c.a", "plain", { timeout: 2000 })).string(), refused("C", 10169, "message counter increment is missing"));
        // Nothing refused was stored.
        assert.equal((await h.jsm.streams.info("C")).state.messages, 0);
      });

      it("config rules: no discard new, TTLs, other retention, mirrors, or changing it", async (t) => {
        const h = await startJetStream(t, transport);
        const create = async (body: Record<string, unknown>) => (await h.request(`$JS.API.STREAM.CREATE.${String(body["name"])}`, JSON.stringify({ storage, ...body }))).json["error"];
        const invalid = (description: string) => ({ code: 500, err_code: 10052, description });
        assert.deepEqual(await create({ name: "X", allow_msg_counter: true, discard: "new" }), invalid("counter stream cannot use discard new"));
        assert.deepEqual(await create({ name: "X", allow_msg_counter: true, allow_msg_ttl: true }), invalid("counter stream cannot use message TTLs"));
        assert.deepEqual(await create({ name: "X", allow_msg_counter: true, retention: "interest" }), invalid("counter stream can only use limits retention"));
        assert.deepEqual(await create({ name: "M", allow_msg_counter: true, mirror: { name: "X" } }), { code: 400, err_code: 10173, description: "stream mirrors can not also calculate counters" });
        const made = await h.jsm.streams.add({ name: "X", subjects: ["x"], storage, allow_msg_counter: true });
        const update = await h.request("$JS.API.STREAM.UPDATE.X", JSON.stringify({ ...made.config, allow_msg_counter: false }));
        assert.deepEqual(update.json["error"], invalid("stream configuration update can not change message counter setting"));
        await h.jsm.streams.add({ name: "Y", subjects: ["y"], storage });
        const becomes = await h.request("$JS.API.STREAM.UPDATE.Y", JSON.stringify({ ...(await h.jsm.streams.info("Y")).config, allow_msg_counter: true }));
        assert.deepEqual(becomes.json["error"], invalid("stream configuration update can not change message counter setting"));
      });
    });
  }
}

describe("a counter sourced into another counter stream", () => {
  it("folds in each origin's total once, through Nats-Counter-Sources", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "EU", subjects: ["eu.>"], storage: StorageType.Memory, allow_msg_counter: true });
    await h.jsm.streams.add({ name: "US", subjects: ["us.>"], storage: StorageType.Memory, allow_msg_counter: true });
    await h.jsm.streams.add({
      name: "ALL",
      storage: StorageType.Memory,
      allow_msg_counter: true,
      sources: [
        { name: "EU", subject_transforms: [{ src: "eu.>", dest: "all.>" }] },
        { name: "US", subject_transforms: [{ src: "us.>", dest: "all.>" }] },
      ],
    });
    await incr(h, "eu.hits", "3");
    await incr(h, "eu.hits", "4");
    await incr(h, "us.hits", "10");
    const deadline = Date.now() + 10_000;
    let total = "";
    while (Date.now() < deadline) {
      const last = await h.jsm.streams.getMessage("ALL", { last_by_subj: "all.hits" }).catch(() => null);
      total = last?.string() ?? "";
      if (total === '{"val":"17"}') break;
      await sleep(100);
    }
    assert.equal(total, '{"val":"17"}');
    const last = await h.jsm.streams.getMessage("ALL", { last_by_subj: "all.hits" });
    assert.equal(last?.header.get("Nats-Counter-Sources"), '{"EU":{"eu.hits":"7"},"US":{"us.hits":"10"}}');
    // The increment stored is the difference from what that origin said before: 7 - 3 or 10 - 0,
    // whichever source came last.
    assert.ok(["4", "10"].includes(last?.header.get("Nats-Incr") ?? ""), last?.header.get("Nats-Incr"));
  });
});

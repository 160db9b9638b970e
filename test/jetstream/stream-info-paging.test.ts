/**
 * STREAM.INFO with `subjects_filter` lists at most 100,000 subjects per answer
 * (`JSMaxSubjectDetails`), with `offset`, `limit` and `total`, sorted, as nats-server's
 * `jsStreamInfoRequest`; the answer may be larger than max_payload (nats-server's internal client
 * is not bound by it), and the official client pages through to the whole list (nats.js test
 * `jsm - paginated subjects`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StorageType } from "@nats-io/jetstream";
import { startJetStream, type Transport } from "./stream-helpers.ts";

const COMBINATIONS: Array<[Transport, StorageType]> = [
  ["in-process", StorageType.Memory],
  ["tcp", StorageType.File],
];
const SUBJECTS = 100_001;

for (const [transport, storage] of COMBINATIONS) {
  describe(`STREAM.INFO subject paging (${transport}, ${storage})`, () => {
    it("pages 100,001 subjects as nats-server and the client collects them all", async (t) => {
      const h = await startJetStream(t, transport);
      await h.jsm.streams.add({ name: "a", subjects: ["a.*"], storage });
      for (let i = 1; i <= SUBJECTS; i++) h.nc.publish(`a.${i}`);
      await h.nc.flush();
      assert.equal((await h.jsm.streams.info("a")).state.messages, SUBJECTS);

      const first = await h.request("$JS.API.STREAM.INFO.a", JSON.stringify({ subjects_filter: ">" }));
      assert.ok(first.text.length > 1024 * 1024, "the first page is larger than max_payload");
      assert.equal(first.json["total"], SUBJECTS);
      assert.equal(first.json["offset"], 0);
      assert.equal(first.json["limit"], 100_000);
      const page1 = Object.keys((first.json["state"] as { subjects: Record<string, number> }).subjects);
      assert.equal(page1.length, 100_000);
      // Sorted as strings: a.1, a.10, a.100, …; the last one is left for the next page.
      assert.equal(page1[0], "a.1");
      assert.equal(page1.includes("a.99999"), false);

      const second = await h.request("$JS.API.STREAM.INFO.a", JSON.stringify({ subjects_filter: ">", offset: 100_000 }));
      assert.equal(second.json["offset"], 100_000);
      assert.equal(second.json["total"], SUBJECTS);
      assert.deepEqual((second.json["state"] as { subjects: Record<string, number> }).subjects, { "a.99999": 1 });

      // Past the end: the paging fields, no subjects.
      const past = await h.request("$JS.API.STREAM.INFO.a", JSON.stringify({ subjects_filter: ">", offset: 500_000 }));
      assert.equal(past.json["total"], SUBJECTS);
      assert.equal((past.json["state"] as Record<string, unknown>)["subjects"], undefined);

      const si = await h.jsm.streams.info("a", { subjects_filter: ">" });
      const names = Object.keys(si.state.subjects ?? {});
      assert.equal(names.length, SUBJECTS);
      assert.equal(si.state.subjects?.["a.12345"], 1);
    });

    it("a filter matching a few subjects answers them in one page", async (t) => {
      const h = await startJetStream(t, transport);
      await h.jsm.streams.add({ name: "b", subjects: ["b.>"], storage });
      for (const s of ["b.x.1", "b.x.2", "b.y.1", "b.x.1"]) await h.js.publish(s);
      const r = await h.request("$JS.API.STREAM.INFO.b", JSON.stringify({ subjects_filter: "b.x.*" }));
      assert.deepEqual((r.json["state"] as { subjects: Record<string, number> }).subjects, { "b.x.1": 2, "b.x.2": 1 });
      assert.deepEqual([r.json["total"], r.json["offset"], r.json["limit"]], [2, 0, 100_000]);
      const none = await h.request("$JS.API.STREAM.INFO.b", JSON.stringify({ subjects_filter: "c.>" }));
      assert.deepEqual([none.json["total"], none.json["offset"], none.json["limit"]], [0, 0, 0]);
      const bad = await h.request("$JS.API.STREAM.INFO.b", JSON.stringify({ subjects_filter: 1 }));
      assert.equal((bad.json["error"] as { err_code: number }).err_code, 10025);
    });
  });
}

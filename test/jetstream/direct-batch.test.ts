/**
 * Batched and multi-last direct gets (nats-server 2.11, stream.go `getDirectRequest` and
 * `getDirectMulti`): `batch` (from `seq`, `start_time` or with `next_by_subj`), `max_bytes`,
 * `multi_last` with `up_to_seq`/`up_to_time`; each message carries `Nats-Num-Pending` and
 * `Nats-Last-Sequence`, and the answer ends with `204 EOB` (plus `Nats-UpTo-Sequence` for a
 * multi-last). Checked on the wire and through nats.js `jsm.direct.getBatch()` and
 * `getLastMessagesFor()`.
 *
 * nats.js opens those two calls only to servers of 2.11.0 or later; the broker reports 2.14.0.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createInbox, type NatsConnection } from "@nats-io/nats-core";
import { StorageType, type StoredMsg } from "@nats-io/jetstream";
import { startJetStream, TRANSPORTS, type JsHarness } from "./stream-helpers.ts";

interface Reply {
  status: number;
  description: string;
  headers: Record<string, string>;
  data: string;
}

/** Sends one direct get and collects every answer until a status message (or a lone message). */
async function directRaw(nc: NatsConnection, subject: string, body: unknown): Promise<Reply[]> {
  const inbox = createInbox();
  const replies: Reply[] = [];
  const sub = nc.subscribe(inbox, { timeout: 3000 });
  const done = (async () => {
    for await (const m of sub) {
      const h: Record<string, string> = {};
      for (const [k, v] of m.headers ?? []) h[k] = v[0] ?? "";
      const r = { status: m.headers?.code ?? 0, description: m.headers?.description ?? "", headers: h, data: m.string() };
      replies.push(r);
      if (r.status !== 0 || h["Nats-Num-Pending"] === undefined) break;
    }
  })();
  nc.publish(subject, typeof body === "string" ? body : JSON.stringify(body), { reply: inbox });
  await done;
  sub.unsubscribe();
  return replies;
}

/** nats.js gates batch gets on the version the server reports: it must say 2.11 or later. */
function as211(nc: NatsConnection): void {
  const [major, minor] = (nc.info?.version ?? "0.0").split(".").map(Number);
  assert.ok(major! > 2 || (major === 2 && minor! >= 11), `the server reports ${nc.info?.version}`);
}

async function drain(iter: AsyncIterable<StoredMsg>): Promise<Array<{ seq: number; subject: string; data: string; pending: string | undefined; last: string | undefined }>> {
  const out = [];
  for await (const m of iter) {
    out.push({ seq: m.seq, subject: m.subject, data: m.string(), pending: m.header.get("Nats-Num-Pending"), last: m.header.get("Nats-Last-Sequence") });
  }
  return out;
}

async function fill(h: JsHarness, storage: StorageType): Promise<void> {
  await h.jsm.streams.add({ name: "D", subjects: ["d.>"], storage, allow_direct: true });
  // 1 d.a.1, 2 d.b.1, 3 d.a.2, 4 d.c.1, 5 d.b.2, 6 d.a.3
  for (const [subject, data] of [["d.a", "a1"], ["d.b", "b1"], ["d.a", "a2"], ["d.c", "c1"], ["d.b", "b2"], ["d.a", "a3"]]) {
    await h.js.publish(subject!, data!);
  }
}

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`direct get batches (${transport}, ${storage})`, () => {
      it("a batch from a sequence: pending counts, last sequences and the EOB", async (t) => {
        const h = await startJetStream(t, transport);
        await fill(h, storage);
        const r = await directRaw(h.nc, "$JS.API.DIRECT.GET.D", { seq: 2, batch: 3 });
        assert.deepEqual(
          r.map((m) => [m.status, m.headers["Nats-Sequence"], m.headers["Nats-Subject"], m.headers["Nats-Num-Pending"], m.headers["Nats-Last-Sequence"], m.data]),
          [
            [0, "2", "d.b", "4", "0", "b1"],
            [0, "3", "d.a", "3", "2", "a2"],
            [0, "4", "d.c", "2", "3", "c1"],
            [204, undefined, undefined, "2", "4", ""],
          ],
        );
        assert.equal(r[3]!.description, "EOB");
        assert.equal(r[0]!.headers["Nats-Stream"], "D");
        // Past the end: a batch that found something ends with its EOB.
        const tail = await directRaw(h.nc, "$JS.API.DIRECT.GET.D", { seq: 5, batch: 10 });
        assert.deepEqual(tail.map((m) => [m.status, m.headers["Nats-Sequence"] ?? m.headers["Nats-Last-Sequence"]]), [[0, "5"], [0, "6"], [204, "6"]]);
        // Nothing at all: not found, no EOB.
        assert.deepEqual((await directRaw(h.nc, "$JS.API.DIRECT.GET.D", { seq: 7, batch: 2 })).map((m) => [m.status, m.description]), [[404, "Message Not Found"]]);
      });

      it("next_by_subj with a wildcard, max_bytes, and through nats.js getBatch()", async (t) => {
        const h = await startJetStream(t, transport);
        await fill(h, storage);
        const r = await directRaw(h.nc, "$JS.API.DIRECT.GET.D", { next_by_subj: "d.a", batch: 10 });
        assert.deepEqual(r.map((m) => [m.status, m.headers["Nats-Sequence"], m.headers["Nats-Num-Pending"]]), [[0, "1", "2"], [0, "3", "1"], [0, "6", "0"], [204, undefined, "0"]]);
        // max_bytes stops once reached (subject + headers + payload: 3 + 0 + 2 = 5 bytes a message).
        const capped = await directRaw(h.nc, "$JS.API.DIRECT.GET.D", { seq: 1, batch: 10, max_bytes: 10 });
        assert.deepEqual(capped.map((m) => [m.status, m.headers["Nats-Sequence"] ?? "EOB", m.headers["Nats-Num-Pending"]]), [[0, "1", "5"], [0, "2", "4"], [204, "EOB", "4"]]);

        as211(h.nc);
        const batch = await drain(await h.jsm.direct.getBatch("D", { seq: 0, next_by_subj: "d.>", batch: 4 }));
        assert.deepEqual(batch.map((m) => [m.seq, m.subject, m.data, m.pending, m.last]), [
          [1, "d.a", "a1", "5", "0"],
          [2, "d.b", "b1", "4", "1"],
          [3, "d.a", "a2", "3", "2"],
          [4, "d.c", "c1", "2", "3"],
        ]);
        const byTime = await drain(await h.jsm.direct.getBatch("D", { start_time: new Date(Date.now() - 60_000), batch: 2 }));
        assert.deepEqual(byTime.map((m) => m.seq), [1, 2]);
      });

      it("multi_last: the newest per subject, up_to_seq, up_to_time, and nats.js getLastMessagesFor()", async (t) => {
        const h = await startJetStream(t, transport);
        await fill(h, storage);
        const r = await directRaw(h.nc, "$JS.API.DIRECT.GET.D", { multi_last: ["d.a", "d.b"] });
        assert.deepEqual(
          r.map((m) => [m.status, m.headers["Nats-Sequence"], m.headers["Nats-Num-Pending"], m.headers["Nats-Last-Sequence"], m.headers["Nats-UpTo-Sequence"]]),
          [
            [0, "5", "1", "0", undefined],
            [0, "6", "0", "5", undefined],
            [204, undefined, "0", "6", "6"],
          ],
        );
        // As of sequence 4: d.a was at 3, d.b at 2, d.c at 4; wildcards and repeats are fine.
        const asOf = await directRaw(h.nc, "$JS.API.DIRECT.GET.D", { multi_last: ["d.*", "d.a"], up_to_seq: 4 });
        assert.deepEqual(asOf.map((m) => m.headers["Nats-Sequence"] ?? `EOB up to ${m.headers["Nats-UpTo-Sequence"]}`), ["2", "3", "4", "EOB up to 4"]);
        // `batch` caps a multi-last too, and `seq` skips older ones.
        const capped = await directRaw(h.nc, "$JS.API.DIRECT.GET.D", { multi_last: [">"], batch: 1, seq: 5 });
        assert.deepEqual(capped.map((m) => [m.status, m.headers["Nats-Sequence"], m.headers["Nats-Num-Pending"]]), [[0, "5", "1"], [204, undefined, "1"]]);
        assert.deepEqual((await directRaw(h.nc, "$JS.API.DIRECT.GET.D", { multi_last: ["x.>"] })).map((m) => [m.status, m.description]), [[404, "No Results"]]);
        const early = await directRaw(h.nc, "$JS.API.DIRECT.GET.D", { multi_last: [">"], up_to_time: "2000-01-01T00:00:00Z" });
        assert.deepEqual(early.map((m) => [m.status, m.description]), [[404, "No Results"]]);

        as211(h.nc);
        const last = await drain(await h.jsm.direct.getLastMessagesFor("D", { multi_last: ["d.>"] }));
        assert.deepEqual(last.map((m) => [m.seq, m.subject, m.data]), [[4, "d.c", "c1"], [5, "d.b", "b2"], [6, "d.a", "a3"]]);
        const future = await drain(await h.jsm.direct.getLastMessagesFor("D", { multi_last: ["d.a"], up_to_time: new Date(Date.now() + 60_000) }));
        assert.deepEqual(future.map((m) => m.seq), [6]);
      });
    });
  }
}

describe("direct get refusals (nats-server 2.11's)", () => {
  it("conflicting and malformed requests, too many results", async (t) => {
    const h = await startJetStream(t, "in-process");
    await h.jsm.streams.add({ name: "R", subjects: ["r.>"], storage: StorageType.Memory, allow_direct: true });
    for (let i = 0; i < 1100; i++) h.nc.publish(`r.${i}`, "x");
    await h.nc.flush();
    const ask = async (body: unknown, subject = "$JS.API.DIRECT.GET.R") => (await directRaw(h.nc, subject, body)).map((m) => `${m.status} ${m.description}`);
    assert.deepEqual(await ask({ last_by_subj: "r.1", batch: 2 }), ["408 Bad Request"]);
    assert.deepEqual(await ask({ last_by_subj: "r.1", multi_last: ["r.1"] }), ["408 Bad Request"]);
    assert.deepEqual(await ask({ next_by_subj: "r.1", multi_last: ["r.1"] }), ["408 Bad Request"]);
    assert.deepEqual(await ask({ multi_last: ["r.1"], up_to_seq: 3, up_to_time: "2030-01-01T00:00:00Z" }), ["408 Bad Request"]);
    assert.deepEqual(await ask({ multi_last: "r.1" }), ["408 Malformed Request"]);
    assert.deepEqual(await ask({ up_to_seq: -1, multi_last: ["r.1"] }), ["408 Malformed Request"]);
    assert.deepEqual(await ask({ multi_last: ["r.1"], up_to_time: "yesterday" }), ["408 Malformed Request"]);
    assert.deepEqual(await ask({ batch: 5 }), ["408 Empty Request"]);
    assert.deepEqual(await ask({ multi_last: ["r.>"] }), ["413 Too Many Results"]);
    // The last-by-subject form takes no batch or multi fields.
    assert.deepEqual(await ask({ batch: 2 }, "$JS.API.DIRECT.GET.R.r.1"), ["408 Bad Request"]);
    assert.deepEqual(await ask({ up_to_seq: 2 }, "$JS.API.DIRECT.GET.R.r.1"), ["408 Bad Request"]);
    // A multi-last within the limit is served; a filter that is no subject matches nothing.
    const some = await directRaw(h.nc, "$JS.API.DIRECT.GET.R", { multi_last: ["r.1", "r..", "r.2"] });
    assert.deepEqual(some.map((m) => m.headers["Nats-Subject"] ?? m.status), ["r.1", "r.2", 204]);
  });
});

/**
 * Streams through the official client (`@nats-io/jetstream`), in-process and over TCP:
 * create/update/info/delete/purge, names/list, message get/delete, direct get, and the
 * publish path (PubAck, dedup, every expected-* header).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { headers } from "@nats-io/nats-core";
import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { startJetStream, TRANSPORTS } from "./stream-helpers.ts";

for (const transport of TRANSPORTS) {
  describe(`streams (${transport})`, () => {
    it("creates a stream with nats-server's defaults and reports it", async (t) => {
      const { jsm } = await startJetStream(t, transport);
      const si = await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.Memory });
      assert.equal(si.config.name, "ORDERS");
      assert.deepEqual(si.config.subjects, ["orders.>"]);
      assert.equal(si.config.retention, "limits");
      assert.equal(si.config.max_msgs, -1);
      assert.equal(si.config.max_bytes, -1);
      assert.equal(si.config.max_age, 0);
      assert.equal(si.config.max_msgs_per_subject, -1);
      assert.equal(si.config.max_msg_size, -1);
      assert.equal(si.config.discard, "old");
      assert.equal(si.config.num_replicas, 1);
      assert.equal(si.config.duplicate_window, 120_000_000_000);
      assert.match(si.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
      assert.equal(si.state.messages, 0);
      assert.equal(si.state.first_ts, "0001-01-01T00:00:00Z");
      const info = await jsm.streams.info("ORDERS");
      assert.equal(info.created, si.created);
      // The subject defaults to the stream's name; the default storage is file.
      const plain = await jsm.streams.add({ name: "PLAIN" });
      assert.deepEqual(plain.config.subjects, ["PLAIN"]);
      assert.equal(plain.config.storage, "file");
    });

    it("publishes with acks, stores a plain publish, and reports state", async (t) => {
      const { jsm, js, nc } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "S", subjects: ["s.*"], storage: StorageType.Memory });
      const ack = await js.publish("s.a", "one");
      assert.equal(ack.stream, "S");
      assert.equal(ack.seq, 1);
      assert.equal(ack.duplicate, false);
      nc.publish("s.b", "no ack wanted");
      await nc.flush();
      const second = await js.publish("s.a", "three");
      assert.equal(second.seq, 3);
      const info = await jsm.streams.info("S");
      assert.equal(info.state.messages, 3);
      assert.equal(info.state.first_seq, 1);
      assert.equal(info.state.last_seq, 3);
      assert.equal(info.state.num_subjects, 2);
      const msg = await jsm.streams.getMessage("S", { seq: 2 });
      assert.equal(msg?.string(), "no ack wanted");
      assert.equal(msg?.subject, "s.b");
    });

    it("never answers publishes to a no_ack stream, but stores them", async (t) => {
      const { jsm, nc } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "NOACK", subjects: ["noack"], storage: StorageType.Memory, no_ack: true });
      await assert.rejects(nc.request("noack", "x", { timeout: 300 }), /timeout/i);
      assert.equal((await jsm.streams.info("NOACK")).state.messages, 1);
    });

    it("deduplicates on Nats-Msg-Id within the window", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "D", subjects: ["d"], storage: StorageType.Memory, duplicate_window: 1_000_000_000 });
      const first = await js.publish("d", "x", { msgID: "id-1" });
      const again = await js.publish("d", "x", { msgID: "id-1" });
      assert.equal(again.seq, first.seq);
      assert.equal(again.duplicate, true);
      const other = await js.publish("d", "y", { msgID: "id-2" });
      assert.equal(other.seq, 2);
      assert.equal((await jsm.streams.info("D")).state.messages, 2);
    });

    it("checks every expected-* header", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "E", subjects: ["e.*"], storage: StorageType.Memory });
      await js.publish("e.a", "1", { msgID: "m1" });
      await js.publish("e.b", "2", { msgID: "m2" });

      const wrongSeq = await js.publish("e.a", "x", { expect: { lastSequence: 1 } }).catch((e: unknown) => e);
      assert.ok(wrongSeq instanceof JetStreamApiError);
      assert.equal(wrongSeq.code, 10071);
      assert.equal(wrongSeq.message, "wrong last sequence: 2");
      assert.equal((await js.publish("e.a", "3", { expect: { lastSequence: 2 } })).seq, 3);

      const wrongSubj = await js.publish("e.b", "x", { expect: { lastSubjectSequence: 1 } }).catch((e: unknown) => e);
      assert.ok(wrongSubj instanceof JetStreamApiError);
      assert.equal(wrongSubj.code, 10071);
      assert.equal(wrongSubj.message, "wrong last sequence: 2");
      assert.equal((await js.publish("e.b", "4", { expect: { lastSubjectSequence: 2 } })).seq, 4);
      assert.equal((await js.publish("e.new", "5", { expect: { lastSubjectSequence: 0 } })).seq, 5);

      const wrongStream = await js.publish("e.a", "x", { expect: { streamName: "OTHER" } }).catch((e: unknown) => e);
      assert.ok(wrongStream instanceof JetStreamApiError);
      assert.equal(wrongStream.code, 10060);
      assert.equal((await js.publish("e.a", "6", { expect: { streamName: "E" } })).seq, 6);

      await js.publish("e.a", "7", { msgID: "m7" });
      const wrongId = await js.publish("e.a", "x", { expect: { lastMsgID: "m1" } }).catch((e: unknown) => e);
      assert.ok(wrongId instanceof JetStreamApiError);
      assert.equal(wrongId.code, 10070);
      assert.equal(wrongId.message, "wrong last msg ID: m7");
      assert.equal((await js.publish("e.a", "8", { expect: { lastMsgID: "m7" } })).seq, 8);
    });

    it("updates limits and subjects, and refuses changes nats-server refuses", async (t) => {
      const { jsm, js, nc, request } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "U", subjects: ["u.1"], storage: StorageType.Memory });
      for (let i = 0; i < 5; i++) await js.publish("u.1", `${i}`);
      const updated = await jsm.streams.update("U", { subjects: ["u.1", "u.2"], max_msgs: 2 });
      assert.equal(updated.config.max_msgs, 2);
      assert.equal(updated.state.messages, 2);
      assert.equal((await js.publish("u.2", "new subject")).seq, 6);
      const storage = await request("$JS.API.STREAM.UPDATE.U", JSON.stringify({ name: "U", subjects: ["u.1", "u.2"], storage: "file" }));
      assert.deepEqual(storage.json["error"], { code: 500, err_code: 10052, description: "stream configuration update can not change storage type" });
      await assert.rejects(jsm.streams.update("NOPE", { subjects: ["x"] }), /stream not found/);
      // The old subject set is no longer captured after an update drops it.
      await jsm.streams.update("U", { subjects: ["u.2"] });
      await assert.rejects(nc.request("u.1", "x", { timeout: 1000 }), /no responders/i);
    });

    it("rejects overlapping subjects, name mismatches and invalid configs", async (t) => {
      const { jsm, request } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "A", subjects: ["a.>"], storage: StorageType.Memory });
      const overlap = await jsm.streams.add({ name: "B", subjects: ["a.b"], storage: StorageType.Memory }).catch((e: unknown) => e);
      assert.ok(overlap instanceof JetStreamApiError);
      assert.equal(overlap.code, 10065);
      const mismatch = await request("$JS.API.STREAM.CREATE.X", JSON.stringify({ name: "Y" }));
      assert.deepEqual(mismatch.json["error"], { code: 400, err_code: 10056, description: "stream name in subject does not match request" });
      const dup = await request("$JS.API.STREAM.CREATE.X", JSON.stringify({ name: "X", subjects: ["x.*", "x.a"] }));
      assert.deepEqual(dup.json["error"], { code: 500, err_code: 10052, description: 'subject "x.*" overlaps with "x.a"' });
      const exists = await jsm.streams.add({ name: "A", subjects: ["a.>"], storage: StorageType.Memory, max_msgs: 5 }).catch((e: unknown) => e);
      assert.ok(exists instanceof JetStreamApiError);
      assert.equal(exists.code, 10058);
      // The same config again is fine.
      assert.equal((await jsm.streams.add({ name: "A", subjects: ["a.>"], storage: StorageType.Memory })).config.name, "A");
    });

    it("purges all, by subject, up to a sequence and keeping the newest", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "P", subjects: ["p.*"], storage: StorageType.Memory });
      for (let i = 1; i <= 10; i++) await js.publish(i % 2 === 0 ? "p.even" : "p.odd", `${i}`);
      assert.equal((await jsm.streams.purge("P", { filter: "p.even" })).purged, 5);
      assert.equal((await jsm.streams.purge("P", { filter: "p.odd", keep: 2 })).purged, 3);
      assert.equal((await jsm.streams.info("P")).state.messages, 2);
      for (let i = 11; i <= 14; i++) await js.publish("p.x", `${i}`);
      assert.equal((await jsm.streams.purge("P", { seq: 12 })).purged, 3);
      assert.equal((await jsm.streams.info("P")).state.first_seq, 12);
      const all = await jsm.streams.purge("P");
      assert.equal(all.purged, 3);
      const state = (await jsm.streams.info("P")).state;
      assert.equal(state.messages, 0);
      assert.equal(state.first_seq, 15);
      assert.equal(state.last_seq, 14);
      assert.equal((await js.publish("p.x", "after")).seq, 15);
    });

    it("deletes a stream and reports not found after", async (t) => {
      const { jsm, nc } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "GONE", subjects: ["gone"], storage: StorageType.Memory });
      assert.equal(await jsm.streams.delete("GONE"), true);
      const err = await jsm.streams.info("GONE").catch((e: unknown) => e);
      assert.ok(err instanceof JetStreamApiError);
      assert.equal(err.code, 10059);
      // Its subject is no longer captured.
      await assert.rejects(nc.request("gone", "x", { timeout: 1000 }), /no responders/i);
    });

    it("lists names and infos with a subject filter and paging", async (t) => {
      const { jsm, request } = await startJetStream(t, transport);
      for (const name of ["C", "A", "B"]) await jsm.streams.add({ name, subjects: [`${name.toLowerCase()}.>`], storage: StorageType.Memory });
      const names: string[] = [];
      for await (const name of jsm.streams.names()) names.push(name);
      assert.deepEqual(names, ["A", "B", "C"]);
      const filtered: string[] = [];
      for await (const name of jsm.streams.names("b.x")) filtered.push(name);
      assert.deepEqual(filtered, ["B"]);
      const infos: string[] = [];
      for await (const si of jsm.streams.list()) infos.push(si.config.name);
      assert.deepEqual(infos, ["A", "B", "C"]);
      const paged = await request("$JS.API.STREAM.NAMES", JSON.stringify({ offset: 2 }));
      assert.deepEqual(paged.json, { type: "io.nats.jetstream.api.v1.stream_names_response", total: 3, offset: 2, limit: 1024, streams: ["C"] });
    });

    it("gets messages by sequence, last and next by subject, and deletes them", async (t) => {
      const { jsm, js, request } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "M", subjects: ["m.*"], storage: StorageType.Memory });
      const h = headers();
      h.set("x-key", "v");
      await js.publish("m.a", "1", { headers: h });
      await js.publish("m.b", "2");
      await js.publish("m.a", "3");
      assert.equal((await jsm.streams.getMessage("M", { last_by_subj: "m.a" }))?.seq, 3);
      const next = await request("$JS.API.STREAM.MSG.GET.M", JSON.stringify({ next_by_subj: "m.b", seq: 1 }));
      assert.equal((next.json["message"] as { seq: number }).seq, 2);
      const first = await jsm.streams.getMessage("M", { seq: 1 });
      assert.equal(first?.header.get("x-key"), "v");
      assert.equal(await jsm.streams.deleteMessage("M", 2), true);
      assert.equal(await jsm.streams.deleteMessage("M", 3, false), true);
      const missing = await request("$JS.API.STREAM.MSG.DELETE.M", JSON.stringify({ seq: 2 }));
      assert.deepEqual(missing.json["error"], { code: 400, err_code: 10043, description: "sequence 2 not found" });
      const notFound = await request("$JS.API.STREAM.MSG.GET.M", JSON.stringify({ seq: 2 }));
      assert.deepEqual(notFound.json["error"], { code: 404, err_code: 10037, description: "no message found" });
      const details = await request("$JS.API.STREAM.INFO.M", JSON.stringify({ deleted_details: true, subjects_filter: ">" }));
      const state = (details.json as { state: { num_deleted: number; deleted: number[]; subjects: Record<string, number> } }).state;
      // The last sequence stays 3 after its message goes, so 2 and 3 count as deleted (as nats-server).
      assert.equal(state.num_deleted, 2);
      assert.deepEqual(state.deleted, [2, 3]);
      assert.deepEqual(state.subjects, { "m.a": 1 });
    });

    it("answers direct gets only with allow_direct, with nats-server's headers", async (t) => {
      const { jsm, js, request, nc } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "DG", subjects: ["dg.>"], storage: StorageType.Memory, allow_direct: true });
      await jsm.streams.add({ name: "NODG", subjects: ["nodg"], storage: StorageType.Memory });
      await js.publish("dg.k1", "v1");
      const h = headers();
      h.set("app", "yes");
      await js.publish("dg.k1", "v2", { headers: h });
      const last = await nc.request("$JS.API.DIRECT.GET.DG.dg.k1", "", { timeout: 2000 });
      assert.equal(last.string(), "v2");
      assert.equal(last.headers?.get("Nats-Stream"), "DG");
      assert.equal(last.headers?.get("Nats-Subject"), "dg.k1");
      assert.equal(last.headers?.get("Nats-Sequence"), "2");
      assert.match(last.headers?.get("Nats-Time-Stamp") ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.equal(last.headers?.get("app"), "yes");
      const bySeq = await jsm.direct.getMessage("DG", { seq: 1 });
      assert.equal(bySeq?.string(), "v1");
      const missing = await request("$JS.API.DIRECT.GET.DG.dg.none");
      assert.equal(missing.status, 404);
      assert.equal((await request("$JS.API.DIRECT.GET.DG")).status, 408);
      assert.equal((await request("$JS.API.DIRECT.GET.DG", "{bad")).status, 408);
      // Without allow_direct nobody takes it: no responders, as from nats-server 2.11 on.
      await assert.rejects(nc.request("$JS.API.DIRECT.GET.NODG", JSON.stringify({ seq: 1 }), { timeout: 2000 }), /no responders/i);
    });

    it("serves the official KV client's put and get", async (t) => {
      const { nc } = await startJetStream(t, transport);
      const { Kvm } = await import("@nats-io/kv");
      const kvm = new Kvm(nc);
      const kv = await kvm.create("cfg", { storage: StorageType.Memory, history: 2 });
      assert.equal(await kv.put("a.b", "1"), 1);
      assert.equal(await kv.put("a.b", "2"), 2);
      assert.equal(await kv.create("c", "3"), 3);
      await assert.rejects(kv.create("c", "again"), /wrong last sequence/);
      assert.equal((await kv.get("a.b"))?.string(), "2");
      assert.equal(await kv.update("a.b", "4", 2), 4);
      await kv.delete("c");
      assert.equal((await kv.get("c"))?.operation, "DEL");
      const status = await kv.status();
      assert.equal(status.values, 4, "history 2: a.b keeps revisions 2 and 4, c keeps 3 and its delete marker");
    });

    it("serves the official object store client: chunks, rollup meta, delete", async (t) => {
      const { nc } = await startJetStream(t, transport);
      const { Objm } = await import("@nats-io/obj");
      const os = await new Objm(nc).create("files", { storage: StorageType.Memory });
      const data = new Uint8Array(300_000).map((_, i) => i % 251);
      const info = await os.putBlob({ name: "blob.bin" }, data);
      assert.equal(info.chunks, 3);
      const back = await os.getBlob("blob.bin");
      assert.deepEqual(back, data);
      assert.deepEqual((await os.list()).map((e) => e.name), ["blob.bin"]);
      await os.delete("blob.bin");
      assert.equal((await os.info("blob.bin"))?.deleted, true);
    });

    it("keeps nothing under interest retention with no consumers, yet assigns sequences", async (t) => {
      const { jsm, js } = await startJetStream(t, transport);
      await jsm.streams.add({ name: "I", subjects: ["i"], storage: StorageType.Memory, retention: RetentionPolicy.Interest });
      assert.equal((await js.publish("i", "1")).seq, 1);
      assert.equal((await js.publish("i", "2")).seq, 2);
      const state = (await jsm.streams.info("I")).state;
      assert.equal(state.messages, 0);
      assert.equal(state.last_seq, 2);
      assert.equal(state.first_seq, 3);
      await jsm.streams.add({ name: "W", subjects: ["w"], storage: StorageType.Memory, retention: RetentionPolicy.Workqueue });
      await js.publish("w", "kept for the first consumer");
      assert.equal((await jsm.streams.info("W")).state.messages, 1);
    });

    it("starts at first_seq and answers on the domain's API prefix", async (t) => {
      const { jsm, js, nc, request } = await startJetStream(t, transport, { domain: "hub" });
      await jsm.streams.add({ name: "F", subjects: ["f"], storage: StorageType.Memory, first_seq: 100 });
      const ack = await js.publish("f", "x");
      assert.equal(ack.seq, 100);
      assert.equal(ack.domain, "hub");
      const viaDomain = await request("$JS.hub.API.STREAM.INFO.F");
      assert.equal((viaDomain.json["state"] as { last_seq: number }).last_seq, 100);
      assert.equal(nc.info?.jetstream, true);
      assert.equal((nc.info as { domain?: string } | undefined)?.domain, "hub");
      assert.equal(DiscardPolicy.New, "new");
    });
  });
}

/**
 * A counter's new total must fit the server's `max_payload` (stream.go processJetStreamMsg):
 * the stored message, `{"val":"<total>"}` and its headers, longer than `max_payload` is
 * refused `400 10054 message size exceeds maximum allowed` and nothing is stored. The publish
 * itself fits: only what it would become is too large. The stream's `max_msg_size` is checked
 * against the stored message too.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { headers } from "@nats-io/nats-core";
import { StorageType } from "@nats-io/jetstream";
import { startJetStream, TRANSPORTS, type JsHarness } from "./stream-helpers.ts";

const MAX_PAYLOAD = 1024;

async function incr(h: JsHarness, subject: string, by: string): Promise<string> {
  const hd = headers();
  hd.set("Nats-Incr", by);
  return (await h.nc.request(subject, "", { headers: hd, timeout: 2000 })).string();
}

const tooLarge = (stream: string): string =>
  JSON.stringify({ error: { code: 400, err_code: 10054, description: "message size exceeds maximum allowed" }, stream, seq: 0 });

for (const transport of TRANSPORTS) {
  for (const storage of [StorageType.Memory, StorageType.File]) {
    describe(`counter totals and max_payload (${transport}, ${storage})`, () => {
      it("a total whose message would pass max_payload is refused, one that fits exactly is stored", async (t) => {
        const h = await startJetStream(t, transport, {}, { maxPayload: MAX_PAYLOAD });
        await h.jsm.streams.add({ name: "C", subjects: ["c.>"], storage, allow_msg_counter: true });
        // Stored: "NATS/1.0\r\nNats-Incr: <incr>\r\n\r\n" (25 + incr) and {"val":"<total>"} (10 + total).
        const fits = "+" + "9".repeat(494); // 25 + 495 + 10 + 494 = 1024
        assert.equal(await incr(h, "c.fits", fits), `{"stream":"C", "seq":1,"val":"${"9".repeat(494)}"}`);
        const over = "9".repeat(495); // 25 + 495 + 10 + 495 = 1025, the publish itself 520
        assert.equal(await incr(h, "c.over", over), tooLarge("C"));
        // Nothing of the refused increment was stored.
        assert.equal((await h.jsm.streams.info("C")).state.messages, 1);
        assert.equal(await h.jsm.streams.getMessage("C", { last_by_subj: "c.over" }).catch(() => null), null);
        // The subject goes on from its total.
        assert.equal(await incr(h, "c.fits", "1"), `{"stream":"C", "seq":2,"val":"1${"0".repeat(494)}"}`);
      });

      it("max_msg_size is checked against the stored total, not the increment sent", async (t) => {
        const h = await startJetStream(t, transport);
        await h.jsm.streams.add({ name: "M", subjects: ["m.>"], storage, allow_msg_counter: true, max_msg_size: 100 });
        // Sent: 25 + 40 = 65 bytes; stored: 65 + 10 + 40 = 115.
        assert.equal(await incr(h, "m.a", "1".repeat(40)), tooLarge("M"));
        // Sent 25 + 30, stored 55 + 40 = 95.
        assert.equal(await incr(h, "m.a", "1".repeat(30)), `{"stream":"M", "seq":1,"val":"${"1".repeat(30)}"}`);
        assert.equal((await h.jsm.streams.info("M")).state.messages, 1);
      });
    });
  }
}

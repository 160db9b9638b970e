/**
 * In-process payloads travel as the caller passed them (a string, a Buffer, any Uint8Array):
 * each must reach every kind of subscriber with the same bytes, count the same in limits and
 * statistics, and be refused with nats.js's error when it is neither.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { createServer, InvalidArgumentError, MaxPayloadError, type DirectMsg } from "../../src/index.ts";
import { startJetStream } from "../jetstream/stream-helpers.ts";

const TEXT = "naïve café ✓";
const TEXT_BYTES = Buffer.from(TEXT, "utf8");

describe("in-process payloads", () => {
  it("a JSON string comes back from msg.json()", () => {
    const server = createServer();
    let value: unknown;
    server.subscribe("j", { callback: (_e, m) => (value = m.json()) });
    server.publish("j", JSON.stringify({ id: 7, status: "créé" }));
    assert.deepEqual(value, { id: 7, status: "créé" });
    void server.close();
  });

  it("a string reaches an in-process subscriber as text and as its UTF-8 bytes", () => {
    const server = createServer();
    const got: DirectMsg[] = [];
    server.subscribe("t", { callback: (_e, m) => void got.push(m) });
    assert.equal(server.publish("t", TEXT), true);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.string(), TEXT);
    assert.deepEqual(Buffer.from(got[0]!.data), TEXT_BYTES);
    void server.close();
  });

  it("a Uint8Array that is not a Buffer is delivered as it is, not copied", () => {
    const server = createServer();
    const payload = new TextEncoder().encode("bytes");
    assert.equal(Buffer.isBuffer(payload), false);
    let seen: Uint8Array | undefined;
    let text = "";
    server.subscribe("u", { callback: (_e, m) => { seen = m.data; text = m.string(); } });
    server.publish("u", payload);
    assert.equal(seen, payload);
    assert.equal(text, "bytes");
    void server.close();
  });

  it("a string and a Uint8Array reach a network client byte for byte, and a wildcard tap too", async (t) => {
    const server = createServer({ port: 0 });
    await server.listen();
    t.after(() => server.close());
    const nc = await connect({ servers: server.url!, reconnect: false });
    t.after(() => nc.close());
    const sub = nc.subscribe("p.>", { max: 3 });
    await nc.flush();
    const tap = server.tap("p.>");
    const view = new Uint8Array(new TextEncoder().encode("xxbytesxx").buffer, 2, 5);
    server.publish("p.text", TEXT);
    server.publish("p.view", view);
    server.publish("p.big", "é".repeat(3000)); // 6,000 bytes: over the outbound copy threshold
    const got: string[] = [];
    for await (const m of sub) got.push(`${m.subject}=${m.data.length}:${m.string().slice(0, 12)}`);
    assert.deepEqual(got, [`p.text=${TEXT_BYTES.length}:${TEXT}`, "p.view=5:bytes", `p.big=6000:${"é".repeat(12)}`]);
    assert.deepEqual(tap.messages.map((m) => m.string().slice(0, 12)), [TEXT, "bytes", "é".repeat(12)]);
  });

  it("max_payload and the statistics count a string's UTF-8 bytes, not its characters", () => {
    const server = createServer({ maxPayload: 10, maxPending: 1024 });
    server.subscribe("m", { callback: () => {} });
    // 8 characters, 16 bytes.
    assert.throws(() => server.publish("m", "éééééééé"), MaxPayloadError);
    server.publish("m", "éééé"); // 8 bytes
    assert.equal(server.varz().in_bytes, 8);
    assert.equal(server.varz().in_msgs, 1);
    void server.close();
  });

  it("refuses a payload that is neither a string nor a Uint8Array", () => {
    const server = createServer();
    assert.throws(() => server.publish("x", 42 as unknown as string), InvalidArgumentError);
    assert.throws(() => server.publish("x", { a: 1 } as unknown as string), InvalidArgumentError);
    void server.close();
  });

  it("a JetStream stream stores a string and a Uint8Array published in-process as their bytes", async (t) => {
    const { server, jsm } = await startJetStream(t, "in-process");
    await jsm.streams.add({ name: "S", subjects: ["s.>"] });
    const view = new Uint8Array(new TextEncoder().encode("xxbytesxx").buffer, 2, 5);
    server.publish("s.text", TEXT);
    server.publish("s.view", view);
    const text = await jsm.streams.getMessage("S", { seq: 1 });
    const bytes = await jsm.streams.getMessage("S", { seq: 2 });
    assert.deepEqual(Buffer.from(text!.data), TEXT_BYTES);
    assert.equal(Buffer.from(bytes!.data).toString(), "bytes");
  });
});

/**
 * The leaf node port is as exposed as the client port: a peer that dials it can send anything.
 * Fixed-seed scripts of leaf ops (CONNECT, LS+/LS-, LMSG/HMSG with lying sizes, PING/PONG,
 * noise) from raw sockets. Invariants: nothing reaches the host, a local client still gets
 * its PONG and its messages, and once the peers hang up the server holds no subscription of
 * theirs.
 */
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import { connect } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { HostWatch } from "./properties.ts";

const SEED = 20261122;

const subject = fc.oneof(
  fc.constantFrom("a", "a.b", "a.*", "a.>", ">", "*", "$LDS.x", "_INBOX.x", "a..b", ".a", "a.", "", "a b"),
  fc.stringMatching(/^[a-z*>.$]{1,12}$/),
);
const size = fc.oneof(fc.nat({ max: 64 }), fc.constantFrom(-1, 2 ** 31, 2 ** 53 + 1, 1024 * 1024 + 1), fc.string({ maxLength: 4 }).map((s) => s as unknown as number));

const op: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("PING\r\n", "PONG\r\n", "+OK\r\n", "-ERR 'x'\r\n", "INFO {}\r\n", "INFO {\r\n", "SUB a 1\r\n", "PUB a 1\r\nx\r\n", "\r\n", "LS+\r\n", "LMSG\r\n"),
  fc.tuple(subject, fc.option(fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.integer({ min: -2, max: 1_000_000 })))).map(([s, q]) => (q === null ? `LS+ ${s}\r\n` : `LS+ ${s} ${q[0]} ${q[1]}\r\n`)),
  fc.tuple(subject, fc.option(fc.stringMatching(/^[a-z]{1,6}$/))).map(([s, q]) => (q === null ? `LS- ${s}\r\n` : `LS- ${s} ${q}\r\n`)),
  fc.tuple(subject, fc.option(subject), size, fc.nat({ max: 40 })).map(([s, reply, n, real]) => `LMSG ${s}${reply === null ? "" : ` ${reply}`} ${String(n)}\r\n${"x".repeat(real)}\r\n`),
  fc.tuple(subject, fc.constantFrom("+ r.x q1 q2", "| q1", "| ", "+ r"), fc.nat({ max: 8 })).map(([s, qs, n]) => `LMSG ${s} ${qs} ${n}\r\n${"y".repeat(n)}\r\n`),
  fc.tuple(subject, size, size).map(([s, h, n]) => `HMSG ${s} ${String(h)} ${String(n)}\r\nNATS/1.0\r\n\r\nzz\r\n`),
  fc.uint8Array({ maxLength: 48 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
);
const script = fc.record({
  connect: fc.constantFrom(
    'CONNECT {"server_id":"FUZZ","name":"fuzz","headers":true}\r\n',
    'CONNECT {"server_id":"FUZZ","headers":true,"__proto__":{"polluted":1}}\r\n',
    'CONNECT {"lang":"node"}\r\n',
    "CONNECT {\r\n",
    "",
  ),
  ops: fc.array(op, { maxLength: 12 }),
  split: fc.nat({ max: 7 }),
});

function run(port: number, bytes: string, split: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect(port, "127.0.0.1");
    socket.on("error", () => {});
    socket.on("data", () => {});
    socket.once("connect", () => {
      // Some scripts arrive in pieces, so ops split across reads are fuzzed too.
      const at = split === 0 ? bytes.length : Math.floor(bytes.length / (split + 1));
      socket.write(Buffer.from(bytes.slice(0, at), "latin1"));
      setImmediate(() => {
        if (!socket.destroyed) socket.end(Buffer.from(bytes.slice(at), "latin1"));
      });
    });
    socket.once("close", () => resolve());
    setTimeout(() => socket.destroy(), 500).unref();
  });
}

describe("leaf node port fuzz (fixed seed)", () => {
  it("random leaf scripts: nothing escapes, local traffic unaffected, no subscription left", async (t) => {
    const watch = new HostWatch().start();
    t.after(() => watch.stop());
    const server = createServer({ port: 0, maxPayload: 1024, leafnodes: { port: 0, host: "127.0.0.1" } });
    const errors: Error[] = [];
    server.on("error", (err) => void errors.push(err));
    let accepted = 0;
    server.on("leafnode:connect", () => void accepted++);
    await server.listen();
    t.after(() => server.close());
    const before = server.numSubscriptions;

    const scripts = fc.sample(script, { seed: SEED, numRuns: 300 });
    for (let i = 0; i < scripts.length; i += 25) {
      await Promise.all(scripts.slice(i, i + 25).map((s) => run(server.leafNodePort!, s.connect + s.ops.join(""), s.split)));
    }

    assert.ok(accepted > 50, `the fuzz reached established leaf links (${accepted})`);
    // Peers gone: give the server a moment to notice every close.
    const deadline = Date.now() + 5_000;
    while (server.numSubscriptions !== before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.numSubscriptions, before, "no subscription from a leaf peer is left");
    assert.deepEqual(watch.escaped, []);
    assert.deepEqual(errors, []);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined, "Object.prototype untouched");

    const nc = await connect({ servers: `127.0.0.1:${server.port}`, reconnect: false });
    t.after(() => nc.close());
    const sub = nc.subscribe("after.fuzz", { max: 1 });
    nc.publish("after.fuzz", "still here");
    for await (const m of sub) assert.equal(m.string(), "still here");
    await nc.flush();
  });
});

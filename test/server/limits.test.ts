/**
 * Bad input and limits over raw sockets: the exact `-ERR` text nats-server sends, and whether
 * the connection is closed afterwards.
 */
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { CloseReason, type ServerOptions } from "../../src/index.ts";
import { eventually, startBroker } from "../helpers/broker.ts";
import { RawClient } from "../helpers/raw-client.ts";

async function raw(t: TestContext, port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  t.after(() => c.destroy());
  await c.waitFor("\r\n");
  return c;
}

const QUIET = 'CONNECT {"verbose":false,"pedantic":false}\r\n';

interface Case {
  name: string;
  options?: ServerOptions;
  send: string;
  expect: string;
  closes: boolean;
}

const cases: Case[] = [
  { name: "unknown op", send: "FOO\r\n", expect: "-ERR 'Unknown Protocol Operation'\r\n", closes: true },
  { name: "bad byte after payload", send: `${QUIET}PUB a 1\r\nxy\r\n`, expect: "-ERR 'Unknown Protocol Operation'\r\n", closes: true },
  {
    name: "control line too long",
    options: { maxControlLine: 64 },
    send: `${QUIET}SUB ${"x".repeat(80)} 1\r\n`,
    expect: "-ERR 'maximum control line exceeded'\r\n",
    closes: true,
  },
  {
    name: "payload over max_payload (checked on the control line)",
    options: { maxPayload: 100 },
    send: `${QUIET}PUB a 101\r\n`,
    expect: "-ERR 'Maximum Payload Violation'\r\n",
    closes: true,
  },
  {
    name: "HPUB total over max_payload",
    options: { maxPayload: 100 },
    send: 'CONNECT {"verbose":false,"headers":true}\r\nHPUB a 12 101\r\n',
    expect: "-ERR 'Maximum Payload Violation'\r\n",
    closes: true,
  },
  { name: "SUB to an invalid subject", send: `${QUIET}SUB a..b 1\r\nPING\r\n`, expect: "-ERR 'Invalid Subject'\r\nPONG\r\n", closes: false },
  { name: "SUB with > not last", send: `${QUIET}SUB a.>.b 1\r\nPING\r\n`, expect: "-ERR 'Invalid Subject'\r\nPONG\r\n", closes: false },
  {
    name: "subscriptions over max_subscriptions",
    options: { maxSubscriptions: 2 },
    send: `${QUIET}SUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPING\r\n`,
    expect: "-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n",
    closes: false,
  },
  {
    name: "pedantic publish to a wildcard subject (still routed)",
    send: 'CONNECT {"verbose":false,"pedantic":true}\r\nSUB foo.* 1\r\nPUB foo.* 2\r\nhi\r\nPING\r\n',
    expect: "-ERR 'Invalid Publish Subject'\r\nMSG foo.* 1 2\r\nhi\r\nPONG\r\n",
    closes: false,
  },
  { name: "protocol 2", send: 'CONNECT {"protocol":2}\r\n', expect: "-ERR 'invalid client protocol'\r\n", closes: true },
  {
    name: "no_responders without headers",
    send: 'CONNECT {"no_responders":true}\r\n',
    expect: "-ERR 'no responders requires headers support'\r\n",
    closes: true,
  },
  { name: "account in CONNECT", send: 'CONNECT {"account":"A"}\r\n', expect: "-ERR 'Authorization Violation'\r\n", closes: true },
  { name: "client -ERR", send: "-ERR 'boom'\r\n", expect: "", closes: true },
];

const silentCloses: [string, string][] = [
  ["PUB without size", `${QUIET}PUB foo\r\n`],
  ["PUB negative size", `${QUIET}PUB foo -1\r\n`],
  ["PUB non-numeric size", `${QUIET}PUB foo bar baz\r\n`],
  ["PUB size beyond 2^53", `${QUIET}PUB foo 99999999999999999999\r\n`],
  ["SUB without sid", `${QUIET}SUB foo\r\n`],
  ["UNSUB without sid", `${QUIET}UNSUB \r\n`],
  ["HPUB without headers negotiated", `${QUIET}HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n`],
  ["HPUB header larger than total", 'CONNECT {"verbose":false,"headers":true}\r\nHPUB foo 5 2\r\n'],
  ["CONNECT with bad JSON", "CONNECT {bad json\r\n"],
  ["CONNECT with a wrongly typed field", 'CONNECT {"verbose":"yes"}\r\n'],
  ["CONNECT with an array", "CONNECT []\r\n"],
];

describe("limits and bad input", () => {
  for (const c of cases) {
    it(`${c.name}: ${c.closes ? "-ERR and close" : "-ERR, stays open"}`, async (t) => {
      const server = await startBroker(t, c.options);
      const client = await raw(t, server.port);
      const start = client.received().length;
      client.send(c.send);
      if (c.closes) {
        await client.waitClosed();
        assert.equal(client.received().subarray(start).toString("latin1"), c.expect);
      } else {
        await client.waitFor(c.expect, 2000, start);
        assert.equal(client.received().subarray(start).toString("latin1"), c.expect);
        assert.equal(client.closed, false);
      }
    });
  }

  for (const [name, input] of silentCloses) {
    it(`${name}: closed without -ERR, as nats-server`, async (t) => {
      const server = await startBroker(t);
      const client = await raw(t, server.port);
      const start = client.received().length;
      client.send(input);
      await client.waitClosed();
      assert.equal(client.received().subarray(start).toString("latin1"), "");
    });
  }

  it("a CONNECT of 1 MB is refused by the control-line limit without buffering it", async (t) => {
    const server = await startBroker(t);
    const client = await raw(t, server.port);
    const start = client.received().length;
    client.send(`CONNECT {"name":"${"x".repeat(1024 * 1024)}"}\r\n`);
    await client.waitClosed();
    assert.equal(client.received().subarray(start).toString(), "-ERR 'maximum control line exceeded'\r\n");
  });

  it("CONNECT JSON with __proto__ and constructor keys is harmless", async (t) => {
    const server = await startBroker(t);
    const client = await raw(t, server.port);
    client.send('CONNECT {"verbose":false,"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}\r\nPING\r\n');
    await client.waitFor("PONG\r\n");
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("sends INFO and then 'maximum connections exceeded' past max_connections", async (t) => {
    const server = await startBroker(t, { maxConnections: 2 });
    await raw(t, server.port);
    await raw(t, server.port);
    const third = await RawClient.connect(server.port);
    t.after(() => third.destroy());
    await third.waitClosed();
    assert.match(third.text(), /^INFO \{.*\} \r\n-ERR 'maximum connections exceeded'\r\n$/);
    assert.equal(server.numClients, 2);
  });

  it("closes a client that stops answering PINGs with 'Stale Connection'", async (t) => {
    const server = await startBroker(t, { pingInterval: 100, pingMax: 2 });
    const client = await raw(t, server.port);
    await client.waitClosed(5000);
    assert.match(client.text(), /PING\r\nPING\r\n-ERR 'Stale Connection'\r\n$/);
  });

  it("keeps a client that answers PINGs", async (t) => {
    const server = await startBroker(t, { pingInterval: 50, pingMax: 1 });
    const client = await raw(t, server.port);
    client.send(QUIET);
    let pongs = 0;
    const deadline = Date.now() + 600;
    let seen = 0;
    while (Date.now() < deadline) {
      const text = client.text();
      const pings = text.split("PING\r\n").length - 1;
      for (; seen < pings; seen++) {
        client.send("PONG\r\n");
        pongs++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(pongs >= 2, `expected pings to answer, got ${pongs}`);
    assert.equal(client.closed, false);
  });
});

describe("slow consumers", () => {
  /** A subscriber that stops reading: its socket is paused so the kernel buffers fill. */
  async function stalledSubscriber(t: TestContext, port: number, subject: string): Promise<Socket> {
    const socket = netConnect(port, "127.0.0.1");
    t.after(() => socket.destroy());
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
    socket.write(`${QUIET}SUB ${subject} 1\r\nPING\r\n`);
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
    socket.pause();
    return socket;
  }

  it("cuts a subscriber over max_pending while another keeps receiving everything", async (t) => {
    const server = await startBroker(t, { maxPending: 256 * 1024, maxPayload: 64 * 1024 });
    const events: string[] = [];
    server.on("slow-consumer", (_c, reason) => events.push(reason));
    // A paused socket does not see its own close, so watch the server's side of it.
    const closes: string[] = [];
    server.on("client:close", (_c, reason) => closes.push(reason));
    await stalledSubscriber(t, server.port, "firehose");
    const fast = await raw(t, server.port);
    fast.send(`${QUIET}SUB firehose 1\r\nPING\r\n`);
    await fast.waitFor("PONG\r\n");
    const publisher = await raw(t, server.port);
    publisher.send(QUIET);
    const payload = "x".repeat(16 * 1024);
    const n = 1500; // ~24 MB: well past kernel socket buffers plus max_pending
    for (let i = 0; i < n; i += 50) {
      publisher.send(`PUB firehose ${payload.length}\r\n${payload}\r\n`.repeat(50));
      await new Promise((r) => setImmediate(r));
    }
    publisher.send("PING\r\n");
    await publisher.waitFor("PONG\r\n", 10_000);
    await eventually(() => server.stats.outMsgs >= n, "the fast subscriber to get every message", 10_000);
    await eventually(() => closes.length > 0, "the stalled subscriber to be cut", 10_000);
    assert.deepEqual(closes, [CloseReason.SlowConsumerPendingBytes]);
    assert.deepEqual(events, [CloseReason.SlowConsumerPendingBytes]);
    assert.equal(server.stats.slowConsumers, 1);
    await eventually(() => (fast.text().match(/MSG firehose 1 16384\r\n/g) ?? []).length === n, "all messages at the fast subscriber", 10_000);
    assert.equal(publisher.closed, false);
    assert.equal(fast.closed, false);
  });

  it("cuts a subscriber whose writes stay blocked past write_deadline", async (t) => {
    const server = await startBroker(t, { writeDeadline: 300 });
    const reasons: string[] = [];
    server.on("slow-consumer", (_c, reason) => reasons.push(reason));
    await stalledSubscriber(t, server.port, "big");
    const publisher = await raw(t, server.port);
    publisher.send(QUIET);
    const payload = "y".repeat(64 * 1024);
    for (let i = 0; i < 200; i += 20) {
      publisher.send(`PUB big ${payload.length}\r\n${payload}\r\n`.repeat(20));
      await new Promise((r) => setImmediate(r));
    }
    await eventually(() => reasons.length > 0, "the blocked subscriber to be cut", 10_000);
    assert.deepEqual(reasons, [CloseReason.SlowConsumerWriteDeadline]);
  });
});

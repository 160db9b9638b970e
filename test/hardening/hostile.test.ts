/**
 * Hostile clients over TCP with raw sockets. Each case asserts nats-server's reaction; where
 * Debian's nats-server is installed (test/helpers/nats-server-process.ts) the same bytes are
 * also sent to it and the two reactions compared.
 *
 * "Control line length" is counted as nats-server's parser.go counts it: the bytes of the
 * argument after the op and its separating blanks, without the trailing CR and LF
 * (`overMaxControlLineLimit(arg)` with `len(arg) > max_control_line`). So with the default
 * 4096, `SUB <4096 bytes>\r\n` (4102 bytes on the wire) is accepted and 4097 is refused.
 */
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { after, before, describe, it, type TestContext } from "node:test";
import { eventually, startBroker } from "../helpers/broker.ts";
import { RawClient } from "../helpers/raw-client.ts";
import { settledHeap } from "./gc.ts";
import { hasNatsServer, startNatsServer, type NatsServerProcess } from "../helpers/nats-server-process.ts";

const QUIET = 'CONNECT {"verbose":false,"pedantic":false}\r\n';
const MAX_CONTROL_LINE_ERR = "-ERR 'maximum control line exceeded'\r\n";
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  /** Everything received after INFO. */
  reply: string;
  closed: boolean;
}

/**
 * Sends `parts` (separate writes, a few ms apart) then `PING`, and waits for `PONG` or a close
 * (or `waitMs` when neither comes).
 */
async function probe(port: number, parts: (string | Buffer)[], waitMs = 2000): Promise<Outcome> {
  const c = await RawClient.connect(port);
  try {
    const start = await c.waitFor(/^INFO [^\r\n]*\r\n/);
    for (const part of parts) {
      c.send(part);
      await delay(5);
    }
    c.send("PING\r\n");
    await Promise.race([c.waitFor("PONG\r\n", waitMs, start).catch(() => {}), c.waitClosed(waitMs).catch(() => {})]);
    await c.closesWithin(30);
    return { reply: c.text().slice(start), closed: c.closed };
  } finally {
    c.destroy();
  }
}

let reference: NatsServerProcess | undefined;
before(async () => {
  if (hasNatsServer()) reference = await startNatsServer();
});
after(async () => {
  await reference?.stop();
});

/** Runs the probe on our broker, and on nats-server when available; asserts they agree. */
async function probeBoth(t: TestContext, parts: (string | Buffer)[], waitMs = 2000): Promise<Outcome> {
  const server = await startBroker(t);
  const ours = await probe(server.port, parts, waitMs);
  if (reference !== undefined) {
    const theirs = await probe(reference.port, parts, waitMs);
    assert.deepEqual(ours, theirs, "nats-embedded and nats-server react differently");
  }
  await eventually(() => server.numClients === 0 || !ours.closed, "the closed client to be freed");
  return ours;
}

describe("hostile: control line at the limit (argument bytes, as parser.go counts)", () => {
  const lines: [string, (n: number) => string][] = [
    ["SUB", (n) => `SUB ${"s".repeat(n - 2)} 1\r\n`],
    ["PUB", (n) => `PUB ${"p".repeat(n - 2)} 0\r\n\r\n`],
    ["CONNECT", (n) => {
      const json = '{"verbose":false,"name":""}';
      return `CONNECT {"verbose":false,"name":"${"n".repeat(n - json.length)}"}\r\n`;
    }],
  ];
  for (const [op, make] of lines) {
    for (const n of [4095, 4096, 4097]) {
      const refused = n > 4096;
      it(`${op} with a ${n}-byte argument: ${refused ? "-ERR 'maximum control line exceeded' and close" : "accepted"}`, async (t) => {
        const line = make(n);
        const arg = line.slice(line.indexOf(" ") + 1, line.indexOf("\r\n"));
        assert.equal(arg.length, n);
        const parts = op === "CONNECT" ? [line] : [QUIET, line];
        const out = await probeBoth(t, parts);
        if (refused) assert.deepEqual(out, { reply: MAX_CONTROL_LINE_ERR, closed: true });
        else assert.deepEqual(out, { reply: "PONG\r\n", closed: false });
      });
    }
  }

  for (const n of [4096, 4097]) {
    it(`SUB with a ${n}-byte argument split over two writes reacts the same`, async (t) => {
      const line = `SUB ${"s".repeat(n - 2)} 1\r\n`;
      const out = await probeBoth(t, [QUIET, line.slice(0, 2000), line.slice(2000)]);
      assert.deepEqual(out, n > 4096 ? { reply: MAX_CONTROL_LINE_ERR, closed: true } : { reply: "PONG\r\n", closed: false });
    });
  }
});

describe("hostile: payload sizes that lie", () => {
  it("short (size 5, 11 bytes sent): -ERR 'Unknown Protocol Operation' and close", async (t) => {
    const out = await probeBoth(t, [QUIET, "PUB foo 5\r\nhello world\r\n"]);
    assert.deepEqual(out, { reply: "-ERR 'Unknown Protocol Operation'\r\n", closed: true });
  });

  it("long (size 50, 5 bytes sent): the server waits for the rest, PING is payload", async (t) => {
    const out = await probeBoth(t, [QUIET, "PUB foo 50\r\nhello\r\n"], 300);
    assert.deepEqual(out, { reply: "", closed: false });
  });

  it("long, then completed: the message is delivered with the announced length", async (t) => {
    const server = await startBroker(t);
    const sub = await RawClient.connect(server.port);
    t.after(() => sub.destroy());
    sub.send(`${QUIET}SUB foo 1\r\nPING\r\n`);
    await sub.waitFor("PONG\r\n");
    const pub = await RawClient.connect(server.port);
    t.after(() => pub.destroy());
    pub.send(`${QUIET}PUB foo 20\r\nhello\r\n`);
    await delay(50);
    pub.send("PING\r\n"); // 6 bytes of payload: 13 so far
    await delay(50);
    pub.send("1234567\r\nPING\r\n");
    await pub.waitFor("PONG\r\n");
    await sub.waitFor("MSG foo 1 20\r\nhello\r\nPING\r\n1234567\r\n");
  });

  const silent: [string, string][] = [
    ["negative", "PUB foo -5\r\n"],
    ["not a number", "PUB foo five\r\n"],
    ["hexadecimal", "PUB foo 0x10\r\n"],
    ["exponent", "PUB foo 1e3\r\n"],
    ["beyond 2^53", "PUB foo 9007199254740993\r\n"],
    ["20 digits", "PUB foo 99999999999999999999\r\n"],
    ["HPUB header longer than total", 'CONNECT {"verbose":false,"headers":true}\r\nHPUB foo 10 5\r\n'],
    ["HPUB negative header size", 'CONNECT {"verbose":false,"headers":true}\r\nHPUB foo -1 5\r\n'],
  ];
  for (const [name, input] of silent) {
    it(`${name}: closed without -ERR`, async (t) => {
      const out = await probeBoth(t, input.startsWith("CONNECT") ? [input] : [QUIET, input]);
      assert.deepEqual(out, { reply: "", closed: true });
    });
  }

  it("10 digits (over nats-server's 9): closed without -ERR; 9 digits over max_payload: -ERR", async (t) => {
    assert.deepEqual(await probeBoth(t, [QUIET, "PUB foo 1000000000\r\n"]), { reply: "", closed: true });
    assert.deepEqual(await probeBoth(t, [QUIET, "PUB foo 999999999\r\n"]), { reply: "-ERR 'Maximum Payload Violation'\r\n", closed: true });
  });
});

describe("hostile: oversized input", () => {
  it("a CONNECT of 1 MB is refused quickly, as nats-server", async (t) => {
    const started = Date.now();
    const parts = [`CONNECT {"name":"${"x".repeat(1024 * 1024)}"}\r\n`];
    const server = await startBroker(t);
    const out = await probe(server.port, parts);
    assert.deepEqual(out, { reply: MAX_CONTROL_LINE_ERR, closed: true });
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    if (reference !== undefined) {
      // A server that closes with most of the megabyte unread makes the kernel reset the
      // connection, and the reset can overtake its -ERR: under load nats-server's reply comes
      // back empty about one time in ten. Either way it sends that -ERR and closes.
      const theirs = await probe(reference.port, parts);
      assert.equal(theirs.closed, true);
      assert.ok(theirs.reply === MAX_CONTROL_LINE_ERR || theirs.reply === "", `nats-server replied ${JSON.stringify(theirs.reply)}`);
    }
  });

  it("CONNECT JSON with __proto__ and constructor keys: accepted, nothing polluted", async (t) => {
    const out = await probeBoth(t, ['CONNECT {"verbose":false,"__proto__":{"polluted":1,"verbose":true},"constructor":{"prototype":{"polluted":1}}}\r\nSUB a 1\r\n']);
    // verbose stays false (no +OK for SUB): the __proto__ key did not turn it back on.
    assert.deepEqual(out, { reply: "PONG\r\n", closed: false });
    assert.equal((Object.prototype as Record<string, unknown>)["polluted"], undefined);
  });

  for (const [name, subject] of [
    ["literal", Array(1000).fill("a").join(".")],
    ["all-wildcard", Array(999).fill("*").join(".") + ".>"],
  ] as const) {
    it(`a ${name} subject of 1,000 tokens: SUB accepted, PUB routed, and fast`, async (t) => {
      const literal = Array(1000).fill("a").join(".");
      const started = Date.now();
      const out = await probeBoth(t, [QUIET, `SUB ${subject} 1\r\nPUB ${literal} 2\r\nhi\r\n`]);
      assert.deepEqual(out, { reply: `MSG ${literal} 1 2\r\nhi\r\nPONG\r\n`, closed: false });
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    });
  }

  it("a million SUBs from one client stop at max_subscriptions, memory stays bounded", async (t) => {
    const server = await startBroker(t, { maxSubscriptions: 1000 });
    const heapBefore = await settledHeap();
    const socket: Socket = netConnect(server.port, "127.0.0.1");
    t.after(() => socket.destroy());
    let received = 0;
    let tail = "";
    const done = new Promise<void>((resolve) => {
      socket.on("data", (chunk: Buffer) => {
        received += chunk.length;
        tail = (tail + chunk.toString("latin1")).slice(-6);
        if (tail === "PONG\r\n") resolve();
      });
    });
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(QUIET);
    const TOTAL = 1_000_000;
    const BATCH = 20_000;
    const started = Date.now();
    for (let i = 0; i < TOTAL; i += BATCH) {
      let text = "";
      for (let j = i; j < i + BATCH; j++) text += `SUB s.${j} ${j}\r\n`;
      if (!socket.write(text)) await new Promise<void>((resolve) => socket.once("drain", () => resolve()));
    }
    socket.write("PING\r\n");
    await done;
    const elapsed = Date.now() - started;
    assert.equal(server.numSubscriptions, 1000);
    const infoLength = received - (TOTAL - 1000) * "-ERR 'maximum subscriptions exceeded'\r\n".length - "PONG\r\n".length;
    assert.ok(infoLength > 100 && infoLength < 1000, `unexpected byte count ${received}`);
    const growth = (await settledHeap()) - heapBefore;
    t.diagnostic(`1,000,000 SUBs in ${elapsed} ms, ${received} bytes of -ERR back, heap growth ${(growth / 1048576).toFixed(1)} MB`);
    assert.ok(growth < 32 * 1024 * 1024, `heap grew by ${(growth / 1048576).toFixed(1)} MB`);
    assert.ok(elapsed < 20_000, `took ${elapsed} ms`);
    socket.destroy();
    await eventually(() => server.numClients === 0 && server.numSubscriptions === 0, "the client and its subscriptions freed");
  });
});

describe("hostile: stalls and half-open sockets", () => {
  it("half a control line then silence: cut by the ping/pong limit", async (t) => {
    const server = await startBroker(t, { pingInterval: 100, pingMax: 2 });
    const c = await RawClient.connect(server.port);
    t.after(() => c.destroy());
    await c.waitFor("\r\n");
    c.send(`${QUIET}SUB foo`);
    await c.waitClosed(5000);
    assert.match(c.text(), /PING\r\nPING\r\n-ERR 'Stale Connection'\r\n$/);
    await eventually(() => server.numClients === 0, "the stalled client freed");
  });

  it("half a CONNECT then silence with auth on: cut by the auth timeout", async (t) => {
    const server = await startBroker(t, { authorization: { token: "s3cret", timeout: 300 } });
    const c = await RawClient.connect(server.port);
    t.after(() => c.destroy());
    await c.waitFor("\r\n");
    const start = c.received().length;
    c.send('CONNECT {"auth_tok');
    await c.waitClosed(3000);
    assert.equal(c.text().slice(start), "-ERR 'Authentication Timeout'\r\n");
    await eventually(() => server.numClients === 0, "the stalled client freed");
  });

  it("a client that ends its writing side is answered, closed and freed", async (t) => {
    const server = await startBroker(t);
    const c = await RawClient.connect(server.port);
    t.after(() => c.destroy());
    const start = await c.waitFor(/^INFO [^\r\n]*\r\n/);
    c.send(`${QUIET}SUB foo 1\r\nPING\r\n`);
    c.end();
    await c.waitClosed(3000);
    await eventually(() => server.numClients === 0 && server.numSubscriptions === 0, "the half-open client freed");
    const ours = c.text().slice(start);
    if (reference !== undefined) {
      const r = await RawClient.connect(reference.port);
      const rs = await r.waitFor(/^INFO [^\r\n]*\r\n/);
      r.send(`${QUIET}SUB foo 1\r\nPING\r\n`);
      r.end();
      await r.waitClosed(3000);
      assert.equal(ours, r.text().slice(rs));
      r.destroy();
    }
  });

  it("a client half-open in the middle of a payload is freed too", async (t) => {
    const server = await startBroker(t);
    const c = await RawClient.connect(server.port);
    t.after(() => c.destroy());
    await c.waitFor("\r\n");
    c.send(`${QUIET}SUB foo 1\r\nPUB foo 100000\r\n${"x".repeat(50_000)}`);
    c.end();
    await c.waitClosed(3000);
    await eventually(() => server.numClients === 0 && server.numSubscriptions === 0, "the half-open client freed");
  });
});

describe("hostile: connection storms", () => {
  it("10,000 connections opened and dropped (batches of 500): all freed, memory back", async (t) => {
    const server = await startBroker(t);
    let peak = 0;
    const batch = async (label: string): Promise<void> => {
      const sockets = await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          new Promise<Socket>((resolve, reject) => {
            const s = netConnect(server.port, "127.0.0.1");
            s.on("error", () => {});
            s.once("connect", () => {
              if (i % 2 === 0) s.write(`${QUIET}SUB storm.${i} ${i}\r\n`);
              resolve(s);
            });
            s.once("error", reject);
          }),
        ),
      );
      await eventually(() => server.numClients === 500, `${label} accepted (have ${server.numClients})`, 10_000);
      peak = Math.max(peak, server.numClients);
      for (const s of sockets) s.destroy();
      await eventually(() => server.numClients === 0, `${label} freed (have ${server.numClients})`, 10_000);
    };
    const heap = settledHeap;
    const h0 = await heap();
    const started = Date.now();
    for (let b = 0; b < 20; b++) await batch(`batch ${b}`);
    const elapsed = Date.now() - started;
    const h1 = await heap();
    // A second 10,000: V8 and libuv grow once to a high-water mark; a leak would keep growing.
    for (let b = 0; b < 20; b++) await batch(`second round, batch ${b}`);
    const h2 = await heap();
    assert.equal(peak, 500);
    assert.equal(server.numSubscriptions, 0);
    const mb = (n: number): string => (n / 1048576).toFixed(1);
    t.diagnostic(`10,000 connections in ${elapsed} ms; heap +${mb(h1 - h0)} MB after 10,000, +${mb(h2 - h1)} MB more after 20,000`);
    // The first round sets the high-water mark: 24-32 MB measured on Node 20 and 22, before this
    // session's changes and after, and with the closed-connection ring cut to 100 records too.
    // The leak check is the second round's bound below.
    assert.ok(h1 - h0 < 48 * 1024 * 1024, `heap grew by ${mb(h1 - h0)} MB over the first 10,000`);
    assert.ok(h2 - h1 < 8 * 1024 * 1024, `heap kept growing: +${mb(h2 - h1)} MB over the second 10,000`);
    // The server is still there for a fresh client.
    const c = await RawClient.connect(server.port);
    t.after(() => c.destroy());
    c.send("PING\r\n");
    await c.waitFor("PONG\r\n");
  });
});

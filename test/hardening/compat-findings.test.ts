/**
 * Differences from nats-server 2.9.10 found by scripts/differential-fuzz.ts (seed 6), kept as
 * regression tests. Each `expected` is what Debian's nats-server 2.9.10 replied to the same
 * bytes; each one failed before the fix it documents.
 *
 * Root causes, in nats-server's source:
 * - client.go `splitArg` (used by SUB and UNSUB) splits fields on ' ', '\t', '\r' and '\n';
 *   PUB/HPUB use their own split on ' ' and '\t' only. Ours splits every op on ' ' and '\t'.
 * - parser.go sets `c.drop = 1` at any '\r' inside a control line and never resets it before
 *   the '\n': the argument is `buf[c.as : i-c.drop]`, so a line with a stray CR and a bare LF
 *   loses its last byte.
 * - server/sublist.go `IsValidLiteralSubject` does not look at whitespace: pedantic accepts
 *   `PUB fo\ro`.
 * - 2.9.10 accepts `SUB \f.a 0` (+OK): its SUB path checks only empty tokens and tokens after
 *   `>`; ours refuses any whitespace with `-ERR 'Invalid Subject'` (src/subjects/subject.ts).
 * - client.go formats permission errors with `%q`: control bytes in the subject or queue come
 *   out escaped (`"\x00.a"`), ours writes them raw.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startBroker } from "../helpers/broker.ts";
import { RawClient } from "../helpers/raw-client.ts";

const QUIET = 'CONNECT {"verbose":false}\r\n';

async function probe(port: number, input: string): Promise<{ reply: string; closed: boolean }> {
  const c = await RawClient.connect(port);
  try {
    const start = await c.waitFor(/^INFO [^\r\n]*\r\n/);
    c.send(input);
    c.send("PING\r\n");
    await Promise.race([c.waitFor("PONG\r\n", 1000, start).catch(() => {}), c.waitClosed(1000).catch(() => {})]);
    await c.closesWithin(30);
    return { reply: c.text().slice(start), closed: c.closed };
  } finally {
    c.destroy();
  }
}

const cases: { name: string; input: string; expected: { reply: string; closed: boolean } }[] = [
  {
    name: "SUB fields separated by a CR (splitArg): a subscription with sid 1",
    input: `${QUIET}SUB foo\r1\r\nPUB foo 1\r\nx\r\n`,
    expected: { reply: "MSG foo 1 1\r\nx\r\nPONG\r\n", closed: false },
  },
  {
    name: "SUB foo 1\\rx: queue '1', sid 'x' (ours: sid '1\\rx', and a raw CR inside the MSG line)",
    input: `${QUIET}SUB foo 1\rx\r\nPUB foo 1\r\nx\r\n`,
    expected: { reply: "MSG foo x 1\r\nx\r\nPONG\r\n", closed: false },
  },
  {
    name: "stray CR and a bare LF: the argument loses its last byte (c.drop)",
    input: `${QUIET}SUB foo 1\rxy\nPUB foo 1\r\nx\r\n`,
    expected: { reply: "MSG foo x 1\r\nx\r\nPONG\r\n", closed: false },
  },
  {
    name: "UNSUB 1\\r2: unsubscribes sid 1 after 2 messages",
    input: `${QUIET}SUB foo 1\r\nUNSUB 1\r2\r\n${"PUB foo 1\r\nx\r\n".repeat(3)}`,
    expected: { reply: "MSG foo 1 1\r\nx\r\nMSG foo 1 1\r\nx\r\nPONG\r\n", closed: false },
  },
  {
    name: "UNSUB 14\\r\\0CONNECT {}: three fields, closed without -ERR (fuzz seed 6)",
    input: "UNSUB 14\r\u0000CONNECT {}\r\n",
    expected: { reply: "", closed: true },
  },
  {
    name: "pedantic PUB to a subject containing a CR: no 'Invalid Publish Subject'",
    input: `${QUIET}SUB foo 1\r\nPUB fo\ro 1\r\nx\r\n`,
    expected: { reply: "PONG\r\n", closed: false },
  },
  {
    name: "a permissions error quotes the subject as Go's %q does (\\x00 for a NUL byte)",
    input: "SUB \u0000.a _sys_ 0\r\n",
    expected: { reply: `-ERR 'Permissions Violation for Subscription to "\\x00.a" using queue "_sys_"'\r\nPONG\r\n`, closed: false },
  },
  {
    name: "SUB to a subject with a form feed (the one blank field splitting keeps): accepted",
    input: "SUB \f.a 0\r\n",
    expected: { reply: "+OK\r\nPONG\r\n", closed: false },
  },
];

describe("compatibility findings from the differential fuzz", () => {
  for (const c of cases) {
    it(c.name, async (t) => {
      const server = await startBroker(t);
      assert.deepEqual(await probe(server.port, c.input), c.expected);
    });
  }
});

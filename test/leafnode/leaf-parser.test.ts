/**
 * The leaf protocol parser, fed each sample whole and one byte at a time (the same ops must
 * come out), and a raw socket on our leaf port for the protocol edges a peer can hit.
 */
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { describe, it } from "node:test";
import { createServer } from "../../src/index.ts";
import { LeafParseError, LeafParser } from "../../src/protocol/leaf-parser.ts";
import { recorder } from "../helpers/leaf-recorder.ts";
import { jsAckDeliverIndex } from "../../src/leafnode/route-inbound.ts";
import { eventually } from "./helpers.ts";

const SAMPLE = [
  `INFO {"server_id":"N1","leafnode_urls":["127.0.0.1:7422"]} \r\n`,
  "PING\r\nPONG\r\n+OK\r\n",
  "LS+ foo.*\r\nLS+ work grp 3\r\nLS- foo.*\r\nLS- work grp\r\n",
  "LMSG a.b 5\r\nhello\r\n",
  "LMSG a.b _INBOX.1 2\r\nhi\r\n",
  "LMSG a.b + _INBOX.2 q1 q2 3\r\nabc\r\n",
  "LMSG a.b | q1 0\r\n\r\n",
  "HMSG h.x 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
  "HMSG h.x | q 12 12\r\nNATS/1.0\r\n\r\n\r\n",
  "-ERR 'Loop detected for leafnode account=\"$G\"'\r\n",
  `LMSG many + r ${Array.from({ length: 20 }, (_, i) => `q${i}`).join(" ")} 1\r\nx\r\n`,
  "lmsg lower.case 1\r\ny\r\n",
].join("");

const EXPECTED = [
  'INFO {"server_id":"N1","leafnode_urls":["127.0.0.1:7422"]}',
  "PING",
  "PONG",
  "+OK",
  "LS+ foo.* - 1",
  "LS+ work grp 3",
  "LS- foo.* -",
  "LS- work grp",
  "MSG a.b r= q=- h=-1 hello",
  "MSG a.b r=_INBOX.1 q=- h=-1 hi",
  "MSG a.b r=_INBOX.2 q=q1,q2 h=-1 abc",
  "MSG a.b r= q=q1 h=-1 ",
  "MSG h.x r= q=- h=12 NATS/1.0\r\n\r\nhi",
  "MSG h.x r= q=q h=12 NATS/1.0\r\n\r\n",
  '-ERR Loop detected for leafnode account="$G"',
  `MSG many r=r q=${Array.from({ length: 20 }, (_, i) => `q${i}`).join(",")} h=-1 x`,
  "MSG lower.case r= q=- h=-1 y",
];

describe("leaf protocol parser", () => {
  it("parses every op the same whole and one byte at a time", () => {
    const whole = recorder();
    assert.equal(new LeafParser(whole.handler, { maxControlLine: 4096, maxPayload: 1024 }).parse(Buffer.from(SAMPLE, "latin1")), LeafParseError.None);
    assert.deepEqual(whole.ops, EXPECTED);
    const bytewise = recorder();
    const parser = new LeafParser(bytewise.handler, { maxControlLine: 4096, maxPayload: 1024 });
    const bytes = Buffer.from(SAMPLE, "latin1");
    for (let i = 0; i < bytes.length; i++) assert.equal(parser.parse(bytes.subarray(i, i + 1)), LeafParseError.None);
    assert.deepEqual(bytewise.ops, EXPECTED);
  });

  it("refuses unknown ops, bad arguments, long lines and big payloads", () => {
    const parse = (text: string, limits = { maxControlLine: 64, maxPayload: 8 }): number =>
      new LeafParser(recorder().handler, limits).parse(Buffer.from(text, "latin1"));
    assert.equal(parse("PUB foo 1\r\nx\r\n"), LeafParseError.UnknownOperation);
    assert.equal(parse("LMSG a.b\r\n"), LeafParseError.BadArguments);
    assert.equal(parse("LMSG a.b x y 1\r\nx\r\n"), LeafParseError.BadArguments);
    assert.equal(parse("LMSG a.b 2\r\nabcd\r\n"), LeafParseError.BadArguments);
    assert.equal(parse("LS+ a b\r\n"), LeafParseError.BadArguments);
    assert.equal(parse("LMSG a.b 9\r\n"), LeafParseError.PayloadTooLarge);
    assert.equal(parse(`LS+ ${"a".repeat(100)}`), LeafParseError.ControlLineTooLong);
  });

  it("finds the subject JetStream folds into an ack reply", () => {
    assert.equal(jsAckDeliverIndex("$JS.ACK.S.C.1.1.1.123.0@orders.1"), 23);
    assert.equal(jsAckDeliverIndex("$JS.ACK.S@x.C.1.1.1.123.0@orders.1"), 25);
    assert.equal(jsAckDeliverIndex("_INBOX.x@y"), -1);
  });
});

describe("our leaf port, spoken to over a raw socket", () => {
  async function rawSession(port: number, send: string, until: (text: string) => boolean): Promise<string> {
    const socket = netConnect({ host: "127.0.0.1", port });
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    socket.on("error", () => undefined);
    await eventually(() => text.includes("\r\n"), "the INFO");
    socket.write(send);
    try {
      await eventually(() => until(text), "the answer");
    } finally {
      socket.destroy();
    }
    return text;
  }

  it("greets like a nats-server hub and tells a client it dialed the leaf port", async (t) => {
    const server = createServer({ leafnodes: { port: 0 } });
    t.after(() => server.close());
    await server.listen();
    const text = await rawSession(server.leafNodePort!, `CONNECT {"lang":"node","verbose":false}\r\n`, (s) => s.includes("-ERR"));
    const info = JSON.parse(/^INFO (.*) \r\n/.exec(text)![1]!) as Record<string, unknown>;
    assert.ok((info["client_id"] as number) > 0);
    assert.ok(Array.isArray(info["leafnode_urls"]));
    assert.equal(typeof info["nonce"], "string");
    assert.match(text, /-ERR 'attempted to connect to leaf node port'\r\n/);
  });

  it("answers a spoke's CONNECT with connect_info and its interest, and PING with PONG", async (t) => {
    const server = createServer({ leafnodes: { port: 0 } });
    t.after(() => server.close());
    await server.listen();
    server.subscribe("hub.interest");
    server.subscribe("hub.q", { queue: "grp" });
    server.subscribe("hub.q", { queue: "grp" });
    const text = await rawSession(server.leafNodePort!, `CONNECT {"server_id":"RAW","name":"raw","headers":true}\r\nPING\r\n`, (s) => s.includes("PONG"));
    assert.match(text, /"connect_info":true/);
    assert.match(text, /LS\+ hub\.interest\r\n/);
    assert.match(text, /LS\+ hub\.q grp 2\r\n/);
    assert.match(text, /LS\+ \$LDS\.\w+\r\n/);
  });

  it("pings an established peer and cuts it as stale when it stops answering", async (t) => {
    const server = createServer({ pingInterval: 100, pingMax: 1, leafnodes: { port: 0 } });
    t.after(() => server.close());
    await server.listen();
    const reasons: string[] = [];
    server.on("leafnode:close", (_l, reason) => reasons.push(reason));
    const text = await rawSession(server.leafNodePort!, `CONNECT {"server_id":"RAW"}\r\n`, (s) => s.includes("Stale Connection"));
    assert.match(text, /PING\r\n/);
    assert.match(text, /-ERR 'Stale Connection'\r\n/);
    await eventually(() => reasons.length === 1, "the close event");
    assert.equal(reasons[0], "Stale Connection");
  });

  it("refuses ops before CONNECT and a wrong password", async (t) => {
    const server = createServer({ leafnodes: { port: 0, authorization: { user: "a", password: "b" } } });
    t.after(() => server.close());
    await server.listen();
    const early = await rawSession(server.leafNodePort!, "LS+ foo\r\n", (s) => s.includes("-ERR"));
    assert.match(early, /-ERR 'Authorization Violation'/);
    const wrong = await rawSession(server.leafNodePort!, `CONNECT {"user":"a","pass":"x"}\r\n`, (s) => s.includes("-ERR"));
    assert.match(wrong, /-ERR 'Authorization Violation'/);
    assert.equal(server.leafNodes.length, 0);
  });
});

describe("leaf tracing", () => {
  it("traces leaf ops in and out as nats-server does, secrets redacted", async (t) => {
    const lines: string[] = [];
    const logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: (m: string) => void lines.push(m) };
    const hub = createServer({ leafnodes: { port: 0, authorization: { user: "u", password: "secret-pw" } } });
    t.after(() => hub.close());
    await hub.listen();
    const spoke = createServer({ trace: true, logger, leafnodes: { remotes: [{ urls: [`nats-leaf://u:secret-pw@127.0.0.1:${hub.leafNodePort}`] }] } });
    t.after(() => spoke.close());
    await spoke.listen();
    hub.subscribe("traced.x");
    await eventually(() => spoke.publish("traced.x", "hi"), "the hub's interest");
    spoke.subscribe("down");
    await eventually(() => hub.publish("down", "d"), "the spoke's interest");
    await eventually(() => lines.some((l) => l.includes("<<- [LMSG down 1]")), "the traced message in");
    assert.ok(lines.some((l) => /lid:\d+ - ->> \[CONNECT .*"pass":"\[REDACTED\]"/.test(l)), "CONNECT traced, password redacted");
    assert.ok(!lines.some((l) => l.includes("secret-pw")));
    assert.ok(lines.some((l) => l.includes("<<- [LS+ traced.x]")));
    assert.ok(lines.some((l) => l.includes("->> [LMSG traced.x 2]")));
    assert.ok(lines.some((l) => l.includes("->> [LS+ down]")));
  });
});


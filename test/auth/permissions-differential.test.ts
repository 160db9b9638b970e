/**
 * Permissions compared byte for byte with Debian's nats-server under the same configuration:
 * the same raw scripts, the same `-ERR` lines, the same deliveries.
 */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { createServer, type ServerOptions } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { normalizeTranscript } from "../helpers/normalize.ts";
import { runSession, type SessionResult, type Step } from "../helpers/raw-client.ts";

const CRLF = "\r\n";

/** The same users, once as nats-server configuration text and once as our options. */
const CONFIG = `
authorization {
  users = [
    { user: "a", password: "a", permissions: {
        publish: { allow: ["foo.>", "pub.only"], deny: ["foo.secret"] }
        subscribe: { allow: ["foo.>", "q.* workers", "bar"], deny: ["foo.hidden", "foo.*.deny"] }
    } }
    { user: "c", password: "c", permissions: {
        publish: { deny: ["never"] }
        subscribe: ["svc", "svc.>"]
        allow_responses: { max: 2 }
    } }
    { user: "d", password: "d", permissions: { subscribe: ["svc"], allow_responses: true } }
    { user: "b", password: "b" }
  ]
}
`;

const OPTIONS: ServerOptions = {
  authorization: {
    users: [
      {
        user: "a",
        password: "a",
        permissions: {
          publish: { allow: ["foo.>", "pub.only"], deny: ["foo.secret"] },
          subscribe: { allow: ["foo.>", "q.* workers", "bar"], deny: ["foo.hidden", "foo.*.deny"] },
        },
      },
      { user: "c", password: "c", permissions: { publish: { deny: ["never"] }, subscribe: ["svc", "svc.>"], allowResponses: { max: 2 } } },
      { user: "d", password: "d", permissions: { subscribe: ["svc"], allowResponses: true } },
      { user: "b", password: "b" },
    ],
  },
};

const login = (user: string): string => `CONNECT {"user":"${user}","pass":"${user}","verbose":true,"pedantic":false}${CRLF}`;
const pub = (subject: string, payload: string, reply = ""): string =>
  `PUB ${subject}${reply === "" ? "" : ` ${reply}`} ${Buffer.byteLength(payload)}${CRLF}${payload}${CRLF}`;
const sync = (conn: number): Step[] => [
  { send: `PING${CRLF}`, conn },
  { waitFor: `PONG${CRLF}`, conn },
];

interface Script {
  name: string;
  steps: Step[];
}

const scripts: Script[] = [
  {
    name: "publish allow and deny",
    steps: [
      { send: login("a") },
      { send: pub("foo.x", "ok") },
      { send: pub("foo.secret", "denied by deny") },
      { send: pub("pub.only", "ok") },
      { send: pub("elsewhere", "not in allow") },
      ...sync(0),
    ],
  },
  {
    name: "subscribe allow, deny, and queue-scoped allows",
    steps: [
      { send: login("a") },
      { send: `SUB foo.> 1${CRLF}` },
      { send: `SUB bar 2${CRLF}` },
      { send: `SUB baz 3${CRLF}` },
      { send: `SUB q.a workers 4${CRLF}` },
      { send: `SUB q.a others 5${CRLF}` },
      { send: `SUB q.a 6${CRLF}` },
      { send: `SUB foo.hidden 7${CRLF}` },
      { send: `SUB foo.* 8${CRLF}` },
      { send: `SUB > 9${CRLF}` },
      ...sync(0),
    ],
  },
  {
    name: "a wildcard subscription overlapping a denied subject is filtered at delivery",
    steps: [
      { send: login("a"), conn: 0 },
      { send: `SUB foo.> 1${CRLF}`, conn: 0 },
      ...sync(0),
      { send: login("b"), conn: 1 },
      { send: pub("foo.visible", "1"), conn: 1 },
      { send: pub("foo.hidden", "2"), conn: 1 },
      { send: pub("foo.x.deny", "3"), conn: 1 },
      { send: pub("foo.x.allow", "4"), conn: 1 },
      ...sync(1),
      ...sync(0),
    ],
  },
  {
    name: "allow_responses: the replies of received requests, up to max",
    steps: [
      { send: login("c"), conn: 0 },
      { send: `SUB svc 1${CRLF}`, conn: 0 },
      ...sync(0),
      { send: login("b"), conn: 1 },
      { send: `SUB inbox.* 1${CRLF}`, conn: 1 },
      { send: pub("svc", "req", "inbox.1"), conn: 1 },
      ...sync(1),
      { waitFor: "MSG svc 1 inbox.1 3", conn: 0 },
      { send: pub("inbox.1", "first"), conn: 0 },
      { send: pub("inbox.1", "second"), conn: 0 },
      { send: pub("inbox.1", "third"), conn: 0 },
      { send: pub("inbox.2", "never asked"), conn: 0 },
      { send: pub("anything", "publish allow is off"), conn: 0 },
      ...sync(0),
      ...sync(1),
    ],
  },
  {
    name: "allow_responses: true allows one reply",
    steps: [
      { send: login("d"), conn: 0 },
      { send: `SUB svc 1${CRLF}`, conn: 0 },
      ...sync(0),
      { send: login("b"), conn: 1 },
      { send: `SUB inbox.* 1${CRLF}`, conn: 1 },
      { send: pub("svc", "req", "inbox.9"), conn: 1 },
      ...sync(1),
      { waitFor: "MSG svc 1 inbox.9 3", conn: 0 },
      { send: pub("inbox.9", "one"), conn: 0 },
      { send: pub("inbox.9", "two"), conn: 0 },
      ...sync(0),
      ...sync(1),
    ],
  },
  {
    name: "bad password and unknown user",
    steps: [
      { send: `CONNECT {"user":"a","pass":"wrong"}${CRLF}`, conn: 0 },
      { waitClosed: true, conn: 0 },
      { send: `CONNECT {"user":"zed","pass":"a"}${CRLF}`, conn: 1 },
      { waitClosed: true, conn: 1 },
      { send: `CONNECT {}${CRLF}`, conn: 2 },
      { waitClosed: true, conn: 2 },
    ],
  },
];

function render(result: SessionResult): string {
  return result.transcripts
    .map((text, i) => `--- connection ${i} (closed: ${result.closed[i] === true}) ---\n${normalizeTranscript(text)}`)
    .join("\n");
}

test("permissions: raw scripts against nats-server and nats-embedded", { timeout: 60_000 }, async (t: TestContext) => {
  if (!hasNatsServer()) {
    assert.notEqual(process.env["CI"], "true", "nats-server is not installed: .ci/run must apt-get install it");
    t.skip("nats-server binary not installed (apt-get install -y nats-server)");
    return;
  }
  for (const script of scripts) {
    await t.test(script.name, { timeout: 15_000 }, async () => {
      const reference = await startNatsServer([], { config: CONFIG });
      let expected: SessionResult;
      try {
        expected = await runSession(reference.port, script.steps);
      } finally {
        await reference.stop();
      }
      const ours = createServer({ host: "127.0.0.1", port: 0, ...OPTIONS });
      await ours.listen();
      let actual: SessionResult;
      try {
        actual = await runSession(ours.port!, script.steps);
      } finally {
        await ours.close();
      }
      assert.equal(render(actual), render(expected));
      // The script must have exercised something: at least one -ERR or MSG on some connection.
      assert.match(render(expected), /-ERR|MSG/);
    });
  }
});

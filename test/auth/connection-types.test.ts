/**
 * `allowed_connection_types` for users in the config file and in `createServer()`: a user
 * restricted to some kinds of connection gets `Authorization Violation` over the others, as
 * nats-server answers. STANDARD is TCP, WEBSOCKET the WebSocket port, IN_PROCESS the
 * in-process client of `server.connect()`.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { wsconnect } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import WebSocket from "ws";
import { createServer, parseConfig, type Server } from "../../src/index.ts";
import { optionsFromConfig } from "../../src/config/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";

const CONFIG = `authorization {
  users: [
    { user: tcp, password: p, allowed_connection_types: ["STANDARD"] }
    { user: ws, password: p, allowed_connection_types: ["WEBSOCKET"] }
    { user: inproc, password: p, allowed_connection_types: ["IN_PROCESS"] }
    { user: any, password: p }
  ]
}
`;

async function outcome(attempt: Promise<{ close(): Promise<void> }>): Promise<string> {
  try {
    await (await attempt).close();
    return "ok";
  } catch (err) {
    return /authorization violation/i.test(String(err)) ? "Authorization Violation" : String(err);
  }
}

async function ours(t: TestContext): Promise<{ server: Server; tcp: string; ws: string }> {
  const { options } = optionsFromConfig(parseConfig(CONFIG));
  const server = createServer({ ...options, port: 0, host: "127.0.0.1", websocket: { port: 0, noTls: true } });
  t.after(() => server.close());
  await server.listen();
  return { server, tcp: `nats://127.0.0.1:${server.ports.nats!.port}`, ws: `ws://127.0.0.1:${server.ports.websocket!.port}` };
}

const tcp = (url: string, user: string) => outcome(connect({ servers: url, user, pass: "p", reconnect: false }));
const ws = (url: string, user: string) =>
  outcome(wsconnect({ servers: url, user, pass: "p", reconnect: false, wsFactory: (u: string) => Promise.resolve({ socket: new WebSocket(u) as never, encrypted: false }) }));

describe("allowed_connection_types", { timeout: 30_000 }, () => {
  it("each user comes in over its own kinds of connection only", async (t) => {
    const { server, tcp: tcpUrl, ws: wsUrl } = await ours(t);
    const got: Record<string, string[]> = {};
    for (const user of ["tcp", "ws", "inproc", "any"]) {
      got[user] = [await tcp(tcpUrl, user), await ws(wsUrl, user), await outcome(server.connect({ user, pass: "p" }))];
    }
    const V = "Authorization Violation";
    assert.deepEqual(got, {
      tcp: ["ok", V, V],
      ws: [V, "ok", V],
      inproc: [V, V, "ok"],
      any: ["ok", "ok", "ok"],
    });
  });

  it("over TCP, answers as nats-server 2.9.10 does", { skip: !hasNatsServer() && "nats-server not installed" }, async (t) => {
    // IN_PROCESS came with nats-server 2.10: 2.9.10 refuses the file that names it.
    const reference = await startNatsServer([], { config: CONFIG.replace(/.*inproc.*\n/, "") });
    t.after(() => reference.stop());
    const { tcp: tcpUrl } = await ours(t);
    for (const user of ["tcp", "ws", "any"]) {
      assert.equal(await tcp(tcpUrl, user), await tcp(`nats://127.0.0.1:${reference.port}`, user), user);
    }
  });

  it("createServer() refuses a type nats-server does not know", () => {
    assert.throws(() => createServer({ authorization: { users: [{ user: "a", password: "p", allowedConnectionTypes: ["CARRIER_PIGEON"] }] } }), /invalid connection types \["CARRIER_PIGEON"\]/);
  });
});

/**
 * A host app that serves NATS clients over a Unix domain socket: every accepted socket is
 * handed to `server.handle(socket, { transport: "unix" })`, so those clients get the same
 * protocol, parser, limits and routing as TCP clients, on the same bus as the app's in-process
 * subscribers and the official client connected with `server.connect()`.
 *
 *   npm run example:unix-socket        (or: npx tsx examples/unix-socket-server.ts)
 *
 * Which clients can use the socket: the official Node client (nats.js / @nats-io/transport-node)
 * dials TCP only and cannot be pointed at a Unix socket, so the client here is a plain
 * `net.connect(path)` speaking the text protocol, which is what any process on the host (a
 * script, `socat`, a sidecar) can do. nats.go can dial one through its custom dialer
 * (`nats.SetCustomDialer`). In-process code needs no socket at all: `server.connect()`.
 *
 * In your project, import from "nats-embedded" instead of "../src/index.ts".
 */
import { once } from "node:events";
import { rmSync } from "node:fs";
import { createConnection, createServer as createNetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "../src/index.ts";

const socketPath = join(tmpdir(), `nats-embedded-example-${process.pid}.sock`);

// The broker, with no TCP port: the Unix socket is its only way in from outside.
const server = createServer();
server.on("client:connect", (c) => console.log(`[host] client ${c.cid} connected over ${c.transport}`));
server.on("client:close", (c, reason) => console.log(`[host] client ${c.cid} closed: ${reason}`));

// An in-process service on the same bus.
server.subscribe("time.now", { callback: (_err, msg) => msg.respond(new Date(0).toISOString()) });

// The host app owns the listener; nats-embedded only serves what it is handed.
const listener = createNetServer((socket) => server.handle(socket, { transport: "unix" }));
listener.listen(socketPath);
await once(listener, "listening");
console.log(`[host] NATS on unix:${socketPath}`);

/** A minimal protocol client over the socket: writes lines, collects what the server sends. */
class LineClient {
  readonly #socket: Socket;
  #received = "";
  #waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];

  constructor(path: string) {
    this.#socket = createConnection(path);
    this.#socket.setEncoding("utf8");
    this.#socket.on("data", (chunk: string) => {
      this.#received += chunk;
      for (const w of [...this.#waiters]) {
        const m = w.pattern.exec(this.#received);
        if (m === null) continue;
        this.#waiters = this.#waiters.filter((x) => x !== w);
        this.#received = this.#received.slice(m.index + m[0].length);
        w.resolve(m);
      }
    });
  }

  send(text: string): void {
    process.stdout.write(`  > ${text.replace(/\r\n/g, "\\r\\n ")}\n`);
    this.#socket.write(text);
  }

  /** Resolves with the first match of `pattern` in what the server sent (consumed up to it). */
  expect(pattern: RegExp): Promise<RegExpExecArray> {
    const m = pattern.exec(this.#received);
    if (m !== null) {
      this.#received = this.#received.slice(m.index + m[0].length);
      return Promise.resolve(m);
    }
    return new Promise((resolve) => this.#waiters.push({ pattern, resolve }));
  }

  async close(): Promise<void> {
    this.#socket.end();
    await once(this.#socket, "close");
  }
}

const client = new LineClient(socketPath);
const info = await client.expect(/^INFO (.*)\r\n/);
console.log(`  < INFO server_id=${(JSON.parse(info[1]!) as { server_id: string }).server_id.slice(0, 12)}…`);

// CONNECT, a subscription, and a PING whose PONG says the server has processed both.
client.send('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"name":"unix-client"}\r\n');
client.send("SUB events.> 1\r\nSUB _INBOX.unix.* 2\r\nPING\r\n");
await client.expect(/PONG\r\n/);
console.log("  < PONG");

// 1. A request from the socket client, answered by the in-process service.
client.send("PUB time.now _INBOX.unix.1 0\r\n\r\n");
const reply = await client.expect(/MSG _INBOX\.unix\.1 2 (\d+)\r\n(.*)\r\n/);
console.log(`  < MSG _INBOX.unix.1: ${reply[2]}`);

// 2. The official client, connected in-process, publishes; the socket client receives it.
const nc = await server.connect({ name: "in-process" });
nc.publish("events.deployed", "v1.2.3");
const event = await client.expect(/MSG (events\.\S+) 1 (\d+)\r\n(.*)\r\n/);
console.log(`  < MSG ${event[1]}: ${event[3]}`);

// 3. The socket client publishes; an in-process subscriber receives it.
const audit = server.subscribe("audit.>");
client.send("PUB audit.login 5\r\nalice\r\n");
for await (const msg of audit) {
  console.log(`[host] in-process subscriber got ${msg.subject}: ${msg.string()}`);
  break; // leaving the loop unsubscribes
}

await client.close();
await nc.close();
await server.close();
listener.close();
rmSync(socketPath, { force: true });

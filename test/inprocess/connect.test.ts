/**
 * The official client over an in-memory pipe (`server.connect()`), the pipe itself
 * (`server.inProcessConn()`), the test helper and the tap.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { connect, headers } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { startTestServer } from "../../src/testing.ts";
import { eventually } from "../helpers/broker.ts";

describe("server.connect(): the official client in-process", () => {
  it("does pub/sub, request, headers and drain with no socket", async () => {
    const server = createServer();
    const nc = await server.connect({ name: "in-process" });
    assert.equal(server.port, undefined, "no port was opened");
    assert.equal(nc.info?.server_id, server.id);
    const sub = nc.subscribe("svc.*", {
      callback: (_e, m) => void m.respond(`${m.subject}:${m.string()}:${m.headers?.get("h") ?? ""}`),
    });
    const h = headers();
    h.set("h", "v");
    const reply = await nc.request("svc.x", "data", { headers: h, timeout: 2000 });
    assert.equal(reply.string(), "svc.x:data:v");
    await assert.rejects(nc.request("nobody", "", { timeout: 2000 }), /no responders/i);
    assert.equal(sub.getReceived(), 1);
    await nc.drain();
    await eventually(() => server.numClients === 0, "the drained client to leave");
    await server.close();
  });

  it("keeps in-process and TCP clients working whichever is created first", async () => {
    const server = createServer({ port: 0 });
    await server.listen();
    const tcpFirst = await connect({ servers: server.url!, reconnect: false });
    const inproc1 = await server.connect();
    const tcpSecond = await connect({ servers: server.url!, reconnect: false });
    const inproc2 = await server.connect();
    // And started together, in both orders.
    const [inproc3, tcpThird] = await Promise.all([server.connect(), connect({ servers: server.url!, reconnect: false })]);
    const [tcpFourth, inproc4] = await Promise.all([connect({ servers: server.url!, reconnect: false }), server.connect()]);
    const all = [tcpFirst, inproc1, tcpSecond, inproc2, inproc3, tcpThird, tcpFourth, inproc4];
    assert.equal(server.numClients, all.length);
    const counts = all.map(() => 0);
    all.forEach((nc, i) => nc.subscribe("everyone", { callback: () => void counts[i]!++ }));
    await Promise.all(all.map((nc) => nc.flush()));
    for (const nc of all) nc.publish("everyone");
    await Promise.all(all.map((nc) => nc.flush()));
    await eventually(() => counts.every((c) => c === all.length), `every client to get every message: ${counts.join(",")}`);
    await Promise.all(all.map((nc) => nc.close()));
    await server.close();
  });

  it("ends in-process clients when the server closes, and refuses new ones", async () => {
    const server = createServer();
    const nc = await server.connect();
    const closed = nc.closed();
    await server.close();
    await closed;
    assert.equal(nc.isClosed(), true);
    await assert.rejects(server.connect(), /closed/);
  });
});

describe("server.inProcessConn(): a raw pipe with the same limits as TCP", () => {
  it("speaks the protocol and enforces max_payload", async () => {
    const server = createServer({ maxPayload: 8 });
    const pipe = server.inProcessConn();
    let text = "";
    pipe.on("data", (b: Buffer) => (text += b.toString("latin1")));
    const ended = once(pipe, "end");
    pipe.write('CONNECT {"verbose":false}\r\nSUB s 1\r\nPUB s 2\r\nok\r\nPUB s 9\r\n');
    await ended;
    assert.match(text, /^INFO \{.*\} \r\nMSG s 1 2\r\nok\r\n-ERR 'Maximum Payload Violation'\r\n$/);
    await server.close();
  });
});

describe("startTestServer()", () => {
  it("gives a connected client, no port unless asked, and cleans up with await using", async () => {
    let serverRef: ReturnType<typeof createServer> | undefined;
    {
      await using t = await startTestServer();
      serverRef = t.server;
      assert.equal(t.url, undefined);
      const sub = t.server.subscribe("greet", { max: 1 });
      t.nc.publish("greet", "hi");
      for await (const m of sub) assert.equal(m.string(), "hi");
    }
    await assert.rejects(serverRef.connect(), /closed/);
    const withPort = await startTestServer({ port: 0, client: false });
    assert.match(withPort.url ?? "", /^nats:\/\/127\.0\.0\.1:\d+$/);
    assert.throws(() => withPort.nc, /no client/);
    await withPort.close();
  });
});

describe("server.tap()", () => {
  it("records what any client publishes without counting as interest", async () => {
    await using t = await startTestServer({ port: 0 });
    const tap = t.server.tap("orders.>");
    const tcp = await connect({ servers: t.url!, reconnect: false });
    tcp.publish("orders.created", JSON.stringify({ id: 1 }));
    t.nc.publish("orders.paid", "2");
    t.server.publish("orders.shipped", "3", { headers: { "X-Trace": "t1" } });
    t.server.publish("other.topic", "not recorded");
    await tcp.flush();
    await t.nc.flush();
    const created = await tap.waitFor((m) => m.subject === "orders.created", { timeout: 2000 });
    assert.deepEqual(created.json(), { id: 1 });
    const shipped = await tap.waitFor((m) => m.subject === "orders.shipped", { timeout: 2000 });
    assert.equal(shipped.headers?.get("X-Trace"), "t1");
    await tap.waitFor((m) => m.subject === "orders.paid", { timeout: 2000 });
    assert.deepEqual(
      tap.messages.map((m) => m.subject).sort(),
      ["orders.created", "orders.paid", "orders.shipped"],
    );
    // next() walks the recorded messages in order, then waits for new ones.
    const walked = [await tap.next(), await tap.next(), await tap.next()];
    assert.deepEqual(walked, [...tap.messages]);
    const nextOne = tap.next({ timeout: 2000 });
    t.server.publish("orders.late", "4");
    assert.equal((await nextOne).subject, "orders.late");
    // A request only the tap sees still gets no-responders.
    await assert.rejects(t.server.request("orders.lookup"), /no responders/);
    assert.equal((await tap.next()).subject, "orders.lookup", "the tap saw the request");
    await assert.rejects(tap.next({ timeout: 20 }), /no message on tap/);
    tap.close();
    await tcp.close();
  });
});

describe("clean lifecycle", () => {
  it("leaves nothing that keeps the event loop alive after close()", async () => {
    const script = fileURLToPath(new URL("../fixtures/exit-by-itself.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
    clearTimeout(killer);
    assert.equal(signal, null, `the process had to be killed: it did not exit by itself. Output: ${out}`);
    assert.equal(code, 0, out);
    assert.match(out, /closed cleanly/);
  });
});

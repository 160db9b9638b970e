/**
 * Counters are exact: the scripted raw-socket workload, the official client's traffic, a slow
 * consumer, and the reasons closed connections are listed with.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import type { CloseReasonText } from "../../src/index.ts";
import { getJson, runWorkload, startMonitored, until, WORKLOAD_VARZ } from "./monitor-helpers.ts";

interface Conn {
  cid: number;
  name?: string;
  reason?: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
}

test("the scripted workload's counters are exact in /varz, /connz and /subsz", async (t) => {
  const server = await startMonitored(t);
  const reasons = new Map<string, CloseReasonText>();
  server.on("client:close", (info, reason) => reasons.set(info.name, reason));
  const workload = await runWorkload(server.port);
  t.after(() => workload.close());
  await until(async () => (await getJson<{ total: number }>(server.monitorPort, "/connz?state=closed")).total === 3, "3 closed");

  const varz = await getJson(server.monitorPort, "/varz");
  for (const [field, value] of Object.entries(WORKLOAD_VARZ)) assert.equal(varz[field], value, field);
  assert.deepEqual(server.stats, { inMsgs: 19, outMsgs: 17, inBytes: 84, outBytes: 81, slowConsumers: 0 });

  const open = (await getJson<{ connections: Conn[] }>(server.monitorPort, "/connz")).connections;
  const byName = new Map(open.map((c) => [c.name, c]));
  const pick = (c: Conn | undefined): number[] => (c === undefined ? [] : [c.in_msgs, c.in_bytes, c.out_msgs, c.out_bytes, c.subscriptions]);
  assert.deepEqual(pick(byName.get("sub-a")), [0, 0, 17, 81, 2]);
  assert.deepEqual(pick(byName.get("pub-b")), [19, 84, 0, 0, 0]);

  const subsz = await getJson(server.monitorPort, "/subsz");
  assert.deepEqual([subsz["num_subscriptions"], subsz["num_inserts"], subsz["num_removes"]], [2, 5, 3]);

  const closed = (await getJson<{ connections: Conn[] }>(server.monitorPort, "/connz?state=closed")).connections;
  assert.deepEqual(closed.map((c) => c.name), ["closer-c", "big-d", "garbage-e"]);
  assert.equal(closed[0]!.reason, "Client Closed");
  assert.equal(closed[1]!.reason, "Maximum Message Payload Exceeded");
  for (const c of closed) assert.equal(c.reason, reasons.get(c.name!), `${c.name}: the reason of the client:close event`);
  assert.equal(closed[0]!.subscriptions, 1, "what closer-c had when it left");
});

test("the official client's traffic is counted exactly", async (t) => {
  const server = await startMonitored(t);
  const sub = await connect({ servers: server.url, name: "official-sub" });
  const pub = await connect({ servers: server.url, name: "official-pub" });
  t.after(async () => {
    await sub.close();
    await pub.close();
  });
  let received = 0;
  sub.subscribe("metrics.>", {
    callback: () => {
      received++;
    },
  });
  sub.subscribe("svc", {
    callback: (_err, msg) => {
      msg.respond("pong!");
    },
  });
  await sub.flush();
  for (let i = 0; i < 5; i++) pub.publish("metrics.cpu", "0123456789");
  const reply = await pub.request("svc", "ping", { timeout: 2000 });
  assert.equal(reply.string(), "pong!");
  await pub.flush();
  await sub.flush();
  await until(() => received === 5, "5 messages");

  // In: 5 publishes (50 B), the request (4 B) and the reply (5 B). Out: the same, delivered.
  const varz = await getJson(server.monitorPort, "/varz");
  assert.deepEqual(
    [varz["in_msgs"], varz["in_bytes"], varz["out_msgs"], varz["out_bytes"], varz["connections"], varz["total_connections"]],
    [7, 59, 7, 59, 2, 2],
  );
  // metrics.>, svc, and the requester's response inbox (one wildcard subscription in nats.js).
  assert.equal(varz["subscriptions"], 3);
  const conns = (await getJson<{ connections: (Conn & { lang?: string; version?: string })[] }>(server.monitorPort, "/connz")).connections;
  const s = conns.find((c) => c.name === "official-sub")!;
  const p = conns.find((c) => c.name === "official-pub")!;
  assert.deepEqual([s.in_msgs, s.in_bytes, s.out_msgs, s.out_bytes, s.subscriptions], [1, 5, 6, 54, 2]);
  assert.deepEqual([p.in_msgs, p.in_bytes, p.out_msgs, p.out_bytes, p.subscriptions], [6, 54, 1, 5, 1]);
  assert.equal(s.lang, "nats.js");
  assert.equal(typeof s.version, "string");

  await pub.close();
  await until(async () => (await getJson<{ total: number }>(server.monitorPort, "/connz?state=closed")).total === 1, "pub closed");
  const closed = (await getJson<{ connections: Conn[] }>(server.monitorPort, "/connz?state=closed")).connections[0]!;
  assert.deepEqual([closed.name, closed.reason, closed.in_msgs], ["official-pub", "Client Closed", 6]);
  const after = await getJson(server.monitorPort, "/varz");
  assert.deepEqual([after["connections"], after["total_connections"], after["subscriptions"]], [1, 2, 2]);
});

test("a slow consumer is counted once and listed with its reason", async (t) => {
  const server = await startMonitored(t, { maxPending: 4096, maxPayload: 2048 });
  // An in-memory connection whose reader never reads: its pending bytes grow until it is cut.
  const stalled = server.inProcessConn();
  t.after(() => stalled.destroy());
  stalled.write('CONNECT {"verbose":false,"name":"stalled"}\r\nSUB hot 1\r\n');
  await until(() => server.numSubscriptions === 1, "the subscription");
  const payload = "x".repeat(1024);
  for (let i = 0; i < 200 && server.stats.slowConsumers === 0; i++) {
    server.publish("hot", payload);
    await new Promise((r) => setImmediate(r));
  }
  await until(async () => (await getJson<{ total: number }>(server.monitorPort, "/connz?state=closed")).total === 1, "the stalled client cut");
  const varz = await getJson(server.monitorPort, "/varz");
  assert.equal(varz["slow_consumers"], 1);
  assert.equal(varz["connections"], 0);
  const closed = (await getJson<{ connections: Conn[] }>(server.monitorPort, "/connz?state=closed")).connections[0]!;
  assert.deepEqual([closed.name, closed.reason], ["stalled", "Slow Consumer (Pending Bytes)"]);
  const metrics = await fetch(`http://127.0.0.1:${server.monitorPort}/metrics`).then((r) => r.text());
  assert.match(metrics, /^gnatsd_varz_slow_consumers\{server_id="[A-Z0-9]+"\} 1$/m);
});

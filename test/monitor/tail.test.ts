/**
 * The dashboard's live tail (`/tail?subject=`): Server-Sent Events fed by `server.tap()`,
 * opt-in per request, bounded in tails and in what each one buffers and shows, and released
 * (the tap closed) when the browser goes away or the server closes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, type IncomingMessage } from "node:http";
import { kIntrospect } from "../../src/monitor/introspection.ts";
import { startMonitorServer } from "../../src/monitor/monitor-server.ts";
import { MAX_TAILS, TAIL_PREVIEW_BYTES } from "../../src/monitor/tail.ts";
import { createServer } from "../../src/index.ts";
import { httpGet, startTailableMonitor, until } from "./monitor-helpers.ts";

interface SseEvent {
  event: string;
  data: string;
}

interface SseStream {
  readonly status: number;
  readonly contentType: string | undefined;
  next(timeoutMs?: number): Promise<SseEvent>;
  close(): void;
  readonly ended: Promise<void>;
}

function openSse(port: number, path: string): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = get({ host: "127.0.0.1", port, path, agent: false, headers: { accept: "text/event-stream" } }, (res: IncomingMessage) => {
      let buffer = "";
      const queue: SseEvent[] = [];
      const waiters: ((e: SseEvent) => void)[] = [];
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => (endResolve = r));
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        for (let at = buffer.indexOf("\n\n"); at >= 0; at = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          let event = "message";
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          if (data.length === 0) continue;
          const e = { event, data: data.join("\n") };
          const w = waiters.shift();
          if (w !== undefined) w(e);
          else queue.push(e);
        }
      });
      res.on("end", () => endResolve());
      res.on("close", () => endResolve());
      res.on("error", () => endResolve());
      resolve({
        status: res.statusCode ?? 0,
        contentType: res.headers["content-type"],
        ended,
        next(timeoutMs = 3000) {
          const e = queue.shift();
          if (e !== undefined) return Promise.resolve(e);
          return new Promise((res2, rej2) => {
            const timer = setTimeout(() => rej2(new Error("no SSE event in time")), timeoutMs);
            waiters.push((ev) => {
              clearTimeout(timer);
              res2(ev);
            });
          });
        },
        close() {
          req.destroy();
        },
      });
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("SSE request timed out")));
  });
}

test("/tail streams the messages on a subject filter as SSE, from every kind of client", async (t) => {
  const server = createServer({ host: "127.0.0.1", port: 0 });
  await server.listen();
  t.after(() => server.close());
  const monitor = await startTailableMonitor(t, server);
  const before = server.numSubscriptions;

  const sse = await openSse(monitor.port, "/tail?subject=orders.%3E");
  t.after(() => sse.close());
  assert.equal(sse.status, 200);
  assert.equal(sse.contentType, "text/event-stream; charset=utf-8");
  assert.deepEqual(await sse.next(), { event: "ready", data: '{"subject":"orders.\\u003e"}' });
  assert.equal(server.numSubscriptions, before + 1, "the tap is in place");

  const nc = await server.connect({ name: "publisher" });
  t.after(() => nc.close());
  nc.publish("orders.new", "first");
  nc.publish("other.subject", "not tailed");
  server.publish("orders.paid", "x".repeat(TAIL_PREVIEW_BYTES + 10), { reply: "inbox.1" });
  await nc.flush();

  // The in-process publish arrives first or second, depending on the pipe: order by subject.
  const events = [await sse.next(), await sse.next()];
  assert.deepEqual(events.map((e) => e.event), ["msg", "msg"]);
  const [m1, m2] = events.map((e) => JSON.parse(e.data) as Record<string, unknown>).sort((a, b) => String(a["subject"]).localeCompare(String(b["subject"])));
  assert.ok(m1 !== undefined && m2 !== undefined);
  assert.deepEqual({ ...m1, time: "" }, { time: "", subject: "orders.new", reply: "", size: 5, headers: false, data: "first", truncated: false });
  assert.match(String(m1["time"]), /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual([m2["subject"], m2["reply"], m2["size"], (m2["data"] as string).length, m2["truncated"]], ["orders.paid", "inbox.1", TAIL_PREVIEW_BYTES + 10, TAIL_PREVIEW_BYTES, true]);

  // The browser leaves: the tap goes with it.
  sse.close();
  await until(() => server.numSubscriptions === before, "the tap closed");
});

test("/tail refuses bad subjects, too many tails, and servers that cannot tap", async (t) => {
  const server = createServer({ host: "127.0.0.1" });
  t.after(() => server.close());
  const monitor = await startTailableMonitor(t, server);
  for (const path of ["/tail", "/tail?subject=", "/tail?subject=a..b", "/tail?subject=a.%3E.b"]) {
    const res = await httpGet(monitor.port, path);
    assert.equal(res.status, 400, path);
  }
  const open: SseStream[] = [];
  for (let i = 0; i < MAX_TAILS; i++) open.push(await openSse(monitor.port, `/tail?subject=t.${i}`));
  t.after(() => open.forEach((s) => s.close()));
  for (const s of open) assert.equal((await s.next()).event, "ready");
  const refused = await httpGet(monitor.port, "/tail?subject=one.more");
  assert.equal(refused.status, 503);
  open.pop()!.close();
  await until(async () => (await httpGet(monitor.port, "/healthz")).status === 200 && server.numSubscriptions === MAX_TAILS - 1, "a tail released");
  const again = await openSse(monitor.port, "/tail?subject=one.more");
  t.after(() => again.close());
  assert.equal(again.status, 200);

  // A view without `tap` (the server does not expose it): 501, not a crash.
  const plain = await startMonitorServer(() => ({ ...server[kIntrospect](), tap: undefined }), { host: "127.0.0.1", port: 0 });
  t.after(() => plain.close());
  const unavailable = await httpGet(plain.port, "/tail?subject=x");
  assert.equal(unavailable.status, 501);
});

test("closing the monitor ends open tails and releases their taps", async (t) => {
  const server = createServer({ host: "127.0.0.1" });
  t.after(() => server.close());
  const monitor = await startTailableMonitor(t, server);
  const sse = await openSse(monitor.port, "/tail?subject=%3E");
  assert.equal((await sse.next()).event, "ready");
  assert.equal(server.numSubscriptions, 1);
  await monitor.close();
  await sse.ended;
  assert.equal(server.numSubscriptions, 0);
});

test("a flood is shown in bounded batches, never buffered without limit", async (t) => {
  const server = createServer({ host: "127.0.0.1" });
  t.after(() => server.close());
  const monitor = await startTailableMonitor(t, server);
  const sse = await openSse(monitor.port, "/tail?subject=flood");
  t.after(() => sse.close());
  assert.equal((await sse.next()).event, "ready");
  for (let i = 0; i < 5000; i++) server.publish("flood", String(i));
  let msgs = 0;
  let dropped = false;
  for (;;) {
    const e = await sse.next(2000).catch(() => undefined);
    if (e === undefined) break;
    if (e.event === "msg") msgs++;
    if (e.event === "dropped") dropped = true;
  }
  assert.ok(msgs > 0 && msgs < 5000, `some but not all of the flood shown (${msgs})`);
  assert.ok(dropped, "the page is told that messages were skipped");
});

test("the server's own monitor tails only when asked to (http.tail), since the tail shows message contents", async (t) => {
  const closed = createServer({ host: "127.0.0.1", http: 0 });
  await closed.listen();
  t.after(() => closed.close());
  assert.equal((await httpGet(closed.ports.monitoring!.port, "/tail?subject=x")).status, 501);
  const open = createServer({ host: "127.0.0.1", http: { port: 0, tail: true } });
  await open.listen();
  t.after(() => open.close());
  const sse = await openSse(open.ports.monitoring!.port, "/tail?subject=x");
  t.after(() => sse.close());
  assert.equal(sse.status, 200);
});

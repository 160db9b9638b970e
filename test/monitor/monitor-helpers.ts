/**
 * Helpers shared by the monitoring tests: a broker with its monitoring port, bounded HTTP
 * requests, the scripted raw-socket workload that the counter and differential tests run, and
 * nats-server started with a monitoring port.
 */
import type { TestContext } from "node:test";
import { request } from "node:http";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";
import { kIntrospect } from "../../src/monitor/introspection.ts";
import { startMonitorServer } from "../../src/monitor/monitor-server.ts";
import type { TailSource } from "../../src/monitor/tail.ts";
import type { Listener } from "../../src/base/listener.ts";
import { RawClient } from "../helpers/raw-client.ts";
import { startNatsServer, type NatsServerProcess } from "../helpers/nats-server-process.ts";

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to 127.0.0.1:`port`, bounded in time; never keeps the connection alive. */
export function httpGet(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: { connection: "close", ...options.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", reject);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`GET ${path} timed out`)), options.timeoutMs ?? 5000);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** GET `path` and parse the JSON body (asserting a 200 with `application/json`). */
export async function getJson<T = Record<string, unknown>>(port: number, path: string): Promise<T> {
  const res = await httpGet(port, path);
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}: ${res.body}`);
  if (res.headers["content-type"] !== "application/json") throw new Error(`GET ${path}: content-type ${String(res.headers["content-type"])}`);
  return JSON.parse(res.body) as T;
}

export type MonitoredServer = Server & { url: string; port: number; monitorPort: number };

/** A broker on 127.0.0.1 with client and monitoring ports both picked by the OS, closed after the test. */
export async function startMonitored(t: TestContext, options: ServerOptions = {}): Promise<MonitoredServer> {
  const server = createServer({ host: "127.0.0.1", port: 0, http: 0, ...options });
  await server.listen();
  t.after(() => server.close());
  const monitoring = server.ports.monitoring;
  if (monitoring === undefined) throw new Error("the monitoring port did not open");
  return Object.assign(server, { monitorPort: monitoring.port }) as MonitoredServer;
}

/**
 * A monitoring listener for `server` whose view can tap the bus, as the server's own view will
 * once it exposes `tap`: used by the live-tail tests.
 */
export async function startTailableMonitor(t: TestContext, server: Server): Promise<Listener> {
  const source = (): TailSource => {
    const view = server[kIntrospect]() as TailSource;
    return view.tap !== undefined ? view : { ...view, tap: (subject, options) => server.tap(subject, options) };
  };
  const listener = await startMonitorServer(source, { host: "127.0.0.1", port: 0 });
  t.after(() => listener.close());
  return listener;
}

/** Resolves when `check` returns true, polling; rejects after `timeoutMs`. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const CONNECT = (name: string): string =>
  `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, name, lang: "raw", version: "1.0", protocol: 1, headers: true })}\r\n`;

/** What {@link runWorkload} leaves behind: the connections still open, to close at the end. */
export interface Workload {
  readonly open: RawClient[];
  close(): void;
}

/**
 * The scripted workload, identical bytes for any server:
 * - `sub-a` subscribes `foo.*`, `bar` in queue `q1`, `baz` (then unsubscribes it) and
 *   `limited` with an auto-unsubscribe after 2 messages;
 * - `pub-b` publishes 10 × `foo.x` (5 B), 4 × `bar` (3 B), one HPUB on `foo.h` (12 B of
 *   headers, 17 B in all), one `nobody` (2 B, no subscriber) and 3 × `limited` (1 B);
 * - `closer-c` subscribes `x` and hangs up (`Client Closed`);
 * - `big-d` announces a payload over the limit (`Maximum Message Payload Exceeded`);
 * - `garbage-e` sends an unknown operation (`Protocol Violation`, as nats-server).
 *
 * Totals: in 19 msgs / 84 B; out 17 msgs / 81 B (foo.* 11 with the HPUB, bar 4, limited 2);
 * 2 connections open, 5 accepted, 2 subscriptions left, 5 inserted, 3 removed.
 */
export async function runWorkload(port: number): Promise<Workload> {
  const open: RawClient[] = [];
  const close = (): void => {
    for (const c of open) c.destroy();
  };
  try {
    // One connection at a time, each served before the next connects: nats-server numbers
    // connections as its accept goroutines run, so connections opened together may swap cids.
    const a = await RawClient.connect(port);
    open.push(a);
    a.send(CONNECT("sub-a"));
    a.send("SUB foo.* 1\r\nSUB bar q1 2\r\nSUB baz 3\r\nUNSUB 3\r\nSUB limited 4\r\nUNSUB 4 2\r\nPING\r\n");
    let at = await a.waitFor("PONG\r\n");

    const b = await RawClient.connect(port);
    open.push(b);
    b.send(CONNECT("pub-b"));
    let pubs = "";
    for (let i = 0; i < 10; i++) pubs += "PUB foo.x 5\r\nhello\r\n";
    for (let i = 0; i < 4; i++) pubs += "PUB bar 3\r\nabc\r\n";
    pubs += "HPUB foo.h 12 17\r\nNATS/1.0\r\n\r\nhello\r\n";
    pubs += "PUB nobody 2\r\nhi\r\n";
    for (let i = 0; i < 3; i++) pubs += "PUB limited 1\r\nx\r\n";
    b.send(`${pubs}PING\r\n`);
    await b.waitFor("PONG\r\n");
    a.send("PING\r\n");
    at = await a.waitFor("PONG\r\n", 2000, at);

    const c = await RawClient.connect(port);
    c.send(`${CONNECT("closer-c")}SUB x 1\r\nPING\r\n`);
    await c.waitFor("PONG\r\n");
    c.end();
    await c.waitClosed();

    const d = await RawClient.connect(port);
    d.send(`${CONNECT("big-d")}PING\r\n`);
    await d.waitFor("PONG\r\n");
    d.send("PUB foo 2000000\r\n");
    await d.waitClosed();

    const e = await RawClient.connect(port);
    e.send(`${CONNECT("garbage-e")}PING\r\n`);
    await e.waitFor("PONG\r\n");
    e.send("GARBAGE\r\n");
    await e.waitClosed();
    return { open, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** The counters {@link runWorkload} produces, as `/varz` reports them. */
export const WORKLOAD_VARZ = {
  connections: 2,
  total_connections: 5,
  in_msgs: 19,
  in_bytes: 84,
  out_msgs: 17,
  out_bytes: 81,
  subscriptions: 2,
  slow_consumers: 0,
} as const;

export interface ReferenceServer {
  readonly process: NatsServerProcess;
  readonly port: number;
  readonly monitorPort: number;
}

/**
 * Debian's nats-server with a monitoring port and no system account (whose internal
 * subscriptions would otherwise show up in every subscription count), plus `extraConfig`.
 */
export async function startReferenceWithMonitor(t: TestContext, extraConfig = ""): Promise<ReferenceServer> {
  const proc = await startNatsServer([], { config: `no_system_account: true\nhttp: "127.0.0.1:-1"\n${extraConfig}` });
  t.after(() => proc.stop());
  const m = /Starting http monitor on [^\s:]+:(\d+)/.exec(proc.log());
  if (m === null) {
    await proc.stop();
    throw new Error(`nats-server did not report its monitoring port; log:\n${proc.log()}`);
  }
  return { process: proc, port: proc.port, monitorPort: Number(m[1]) };
}

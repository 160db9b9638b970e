/**
 * Every monitoring endpoint and query option of our broker, over HTTP and in-process: shapes,
 * units, paging, sorting, filters, errors, and the HTTP listener's bounds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { createServer } from "../../src/index.ts";
import { connz, healthz, MonitorRequestError, subsz, varz } from "../../src/monitor/index.ts";
import { DASHBOARD_HTML } from "../../src/monitor/dashboard.ts";
import { startMonitorServer } from "../../src/monitor/monitor-server.ts";
import { kIntrospect, type ServerIntrospection } from "../../src/monitor/introspection.ts";
import { RawClient } from "../helpers/raw-client.ts";
import { getJson, httpGet, startMonitored, until } from "./monitor-helpers.ts";

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/;
const UPTIME = /^(\d+y)?(\d+d)?(\d+h)?(\d+m)?\d+s$/;
const GO_DURATION = /^(0s|\d+(\.\d+)?(ns|µs|ms|s)|(\d+h)?(\d+m)?\d+(\.\d+)?s)$/;

interface ConnInfoJson {
  cid: number;
  name?: string;
  ip: string;
  port: number;
  type: string;
  kind: string;
  start: string;
  last_activity: string;
  stop?: string;
  reason?: string;
  rtt?: string;
  uptime: string;
  idle: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  pending_bytes: number;
  subscriptions: number;
  subscriptions_list?: string[];
  subscriptions_list_detail?: Record<string, unknown>[];
}
interface ConnzJson {
  server_id: string;
  now: string;
  num_connections: number;
  total: number;
  offset: number;
  limit: number;
  connections: ConnInfoJson[];
}

/** A raw client that says CONNECT with `name`, runs `commands`, and waits for the PONG that follows. */
async function rawClient(port: number, name: string, commands = ""): Promise<RawClient> {
  const c = await RawClient.connect(port);
  c.send(`CONNECT {"verbose":false,"pedantic":false,"name":"${name}","lang":"raw","version":"0.1"}\r\n${commands}PING\r\n`);
  await c.waitFor("PONG\r\n");
  return c;
}

test("/varz reports nats-server's fields in its units", async (t) => {
  const server = await startMonitored(t, { pingInterval: 30_000, writeDeadline: 2_500, maxSubscriptions: 7, serverName: "edge-1" });
  const res = await httpGet(server.monitorPort, "/varz");
  assert.equal(res.status, 200);
  assert.equal(res.headers["content-type"], "application/json");
  assert.equal(res.body, JSON.stringify(JSON.parse(res.body), null, 2), "indented by two spaces, as json.MarshalIndent");
  const v = JSON.parse(res.body) as Record<string, unknown>;
  assert.equal(v["server_id"], server.id);
  assert.equal(v["server_name"], "edge-1");
  assert.equal(v["proto"], 1);
  assert.equal(v["host"], "127.0.0.1");
  assert.equal(v["port"], server.port);
  assert.equal(v["http_host"], "127.0.0.1");
  assert.equal(v["http_port"], server.monitorPort);
  assert.equal(v["ping_interval"], 30_000_000_000, "nanoseconds");
  assert.equal(v["write_deadline"], 2_500_000_000, "nanoseconds");
  assert.equal(v["auth_timeout"], 2, "seconds");
  assert.equal(v["tls_timeout"], 2, "seconds");
  assert.equal(v["max_subscriptions"], 7);
  assert.equal(v["max_payload"], 1024 * 1024);
  assert.equal(v["max_pending"], 64 * 1024 * 1024);
  assert.equal(v["max_control_line"], 4096);
  assert.equal(v["max_connections"], 65536);
  assert.match(String(v["start"]), RFC3339);
  assert.match(String(v["now"]), RFC3339);
  assert.match(String(v["config_load_time"]), RFC3339);
  assert.match(String(v["uptime"]), UPTIME);
  assert.equal(typeof v["mem"], "number");
  assert.ok((v["mem"] as number) > 0);
  assert.ok((v["cores"] as number) >= 1);
  assert.equal(typeof v["cpu"], "number");
  for (const block of ["cluster", "gateway", "leaf", "mqtt", "websocket", "jetstream"]) assert.deepEqual(v[block], {}, block);
  assert.deepEqual(Object.keys(v).slice(0, 8), ["server_id", "server_name", "version", "proto", "go", "host", "port", "max_connections"]);
  assert.equal(Object.keys(v).indexOf("max_subscriptions"), 8, "max_subscriptions follows max_connections, as nats-server");
});

test("/varz omits max_subscriptions when unlimited, and shows a configured WebSocket listener", () => {
  const plain = createServer();
  assert.equal("max_subscriptions" in JSON.parse(JSON.stringify(varz(plain[kIntrospect]()))), false);
  const ws = createServer({ websocket: { port: 8443, noTls: true, compression: true, allowedOrigins: ["https://a.example"] } });
  assert.deepEqual(varz(ws[kIntrospect]()).websocket, {
    host: "127.0.0.1",
    port: 8443,
    no_tls: true,
    allowed_origins: ["https://a.example"],
    compression: true,
  });
  assert.equal(varz(ws[kIntrospect]()).port, 0, "no client port open");
});

test("/varz says auth_required as INFO does, with the configured auth_timeout in seconds", () => {
  const none = varz(createServer()[kIntrospect]());
  assert.equal("auth_required" in none, false);
  assert.equal(none.auth_timeout, 2);
  const token = varz(createServer({ authorization: { token: "t0ken", timeout: 5000 } })[kIntrospect]());
  assert.deepEqual([token.auth_required, token.auth_timeout], [true, 5]);
  assert.equal(Object.keys(token).indexOf("auth_required"), Object.keys(token).indexOf("port") + 1, "right after port, as nats-server");
  const fallback = varz(createServer({ authorization: { users: [{ user: "a", password: "b" }], noAuthUser: "a" } })[kIntrospect]());
  assert.equal("auth_required" in fallback, false, "a no_auth_user means clients need not authenticate");
  assert.equal("tls_required" in none || "tls_verify" in none, false);
});

test("/varz http_req_stats counts requests per path (/subscriptionsz as /subsz)", async (t) => {
  const server = await startMonitored(t);
  for (const path of ["/varz", "/connz", "/subscriptionsz", "/subsz", "/healthz", "/", "/nope", "/metrics"]) await httpGet(server.monitorPort, path);
  const v = await getJson(server.monitorPort, "/varz");
  assert.deepEqual(v["http_req_stats"], { "/varz": 2, "/connz": 1, "/subsz": 2, "/healthz": 1, "/": 1 });
});

test("/connz lists open connections with nats-server's fields, subscriptions on request", async (t) => {
  const server = await startMonitored(t);
  const a = await rawClient(server.port, "a", "SUB foo 1\r\nSUB bar q 2\r\nUNSUB 1 5\r\n");
  t.after(() => a.destroy());
  const b = await rawClient(server.port, "b", "PUB foo 3\r\nabc\r\n");
  t.after(() => b.destroy());
  a.send("PING\r\n");
  await a.waitFor(/PONG\r\n[\s\S]*PONG\r\n/);

  const c = await getJson<ConnzJson>(server.monitorPort, "/connz");
  assert.equal(c.server_id, server.id);
  assert.match(c.now, RFC3339);
  assert.deepEqual([c.num_connections, c.total, c.offset, c.limit], [2, 2, 0, 1024]);
  const [ca, cb] = c.connections;
  assert.ok(ca !== undefined && cb !== undefined);
  assert.equal(ca.name, "a");
  assert.equal(ca.kind, "Client");
  assert.equal(ca.type, "nats");
  assert.equal(ca.ip, "127.0.0.1");
  assert.ok(ca.port > 0);
  assert.match(ca.start, RFC3339);
  assert.match(ca.last_activity, RFC3339);
  assert.match(ca.uptime, UPTIME);
  assert.match(ca.idle, UPTIME);
  assert.match(ca.rtt ?? "", GO_DURATION);
  assert.deepEqual([ca.in_msgs, ca.out_msgs, ca.in_bytes, ca.out_bytes, ca.subscriptions, ca.pending_bytes], [0, 1, 0, 3, 2, 0]);
  assert.deepEqual([cb.in_msgs, cb.out_msgs, cb.in_bytes, cb.out_bytes, cb.subscriptions], [1, 0, 3, 0, 0]);
  assert.equal("subscriptions_list" in ca, false);
  assert.equal("stop" in ca || "reason" in ca, false, "open connections have no stop or reason");

  const subs = await getJson<ConnzJson>(server.monitorPort, "/connz?subs=1");
  assert.deepEqual(subs.connections[0]!.subscriptions_list, ["foo", "bar"]);
  assert.equal("subscriptions_list" in subs.connections[1]!, false, "omitted when empty");
  for (const value of ["detail", "DETAIL"]) {
    const detail = await getJson<ConnzJson>(server.monitorPort, `/connz?subs=${value}`);
    assert.deepEqual(detail.connections[0]!.subscriptions_list_detail, [
      { subject: "foo", sid: "1", msgs: 1, max: 5, cid: ca.cid },
      { subject: "bar", qgroup: "q", sid: "2", msgs: 0, cid: ca.cid },
    ]);
  }
  for (const no of ["0", "false", "f"]) {
    const none = await getJson<ConnzJson>(server.monitorPort, `/connz?subs=${no}`);
    assert.equal("subscriptions_list" in none.connections[0]!, false);
  }
});

test("/connz pages with offset and limit, and finds one connection by cid", async (t) => {
  const server = await startMonitored(t);
  const clients: RawClient[] = [];
  for (let i = 0; i < 5; i++) clients.push(await rawClient(server.port, `c${i}`));
  t.after(() => clients.forEach((c) => c.destroy()));
  const all = await getJson<ConnzJson>(server.monitorPort, "/connz");
  const cids = all.connections.map((c) => c.cid);
  assert.deepEqual(cids, [...cids].sort((x, y) => x - y), "ascending cid by default");

  const page = await getJson<ConnzJson>(server.monitorPort, "/connz?offset=1&limit=2");
  assert.deepEqual([page.num_connections, page.total, page.offset, page.limit], [2, 5, 1, 2]);
  assert.deepEqual(page.connections.map((c) => c.cid), cids.slice(1, 3));
  const past = await getJson<ConnzJson>(server.monitorPort, "/connz?offset=9");
  assert.deepEqual([past.num_connections, past.total, past.connections], [0, 5, []]);
  const negative = await getJson<ConnzJson>(server.monitorPort, "/connz?offset=-3&limit=0");
  assert.deepEqual([negative.offset, negative.limit, negative.num_connections], [0, 1024, 5]);

  const one = await getJson<ConnzJson>(server.monitorPort, `/connz?cid=${cids[3]}`);
  assert.deepEqual([one.num_connections, one.total, one.limit], [1, 5, 1]);
  assert.equal(one.connections[0]!.name, "c3");
  const missing = await getJson<ConnzJson>(server.monitorPort, "/connz?cid=9999");
  assert.deepEqual(missing.connections, []);
});

test("/connz sorts by every nats-server key in its direction", async (t) => {
  const server = await startMonitored(t);
  // Distinct traffic per client so that every order is decided.
  const x = await rawClient(server.port, "x", "SUB s.1 1\r\nSUB s.2 2\r\nSUB s.3 3\r\n");
  const y = await rawClient(server.port, "y", "SUB s.* 1\r\nPUB s.1 1\r\na\r\nPUB s.2 1\r\na\r\nPUB s.3 1\r\na\r\n");
  await new Promise((r) => setTimeout(r, 20));
  const z = await rawClient(server.port, "z", "PUB s.1 10\r\n0123456789\r\n");
  t.after(() => [x, y, z].forEach((c) => c.destroy()));
  x.send("PING\r\n");
  await x.waitFor(/PONG\r\n[\s\S]*PONG\r\n/);
  y.send("PING\r\n");
  await y.waitFor(/PONG\r\n[\s\S]*PONG\r\n/);

  const order = async (sort: string, state = "open"): Promise<string[]> =>
    (await getJson<ConnzJson>(server.monitorPort, `/connz?sort=${sort}&state=${state}`)).connections.map((c) => c.name ?? "");
  // x: subs 3, in 0 msgs, out 4 msgs (3 + z's), 13 bytes; y: subs 1, in 3/3 B, out 4/13 B; z: in 1/10 B, out 0.
  assert.deepEqual(await order("cid"), ["x", "y", "z"]);
  assert.deepEqual(await order("start"), ["x", "y", "z"]);
  assert.deepEqual(await order("subs"), ["x", "y", "z"]);
  assert.deepEqual(await order("msgs_from"), ["y", "z", "x"]);
  assert.deepEqual(await order("bytes_from"), ["z", "y", "x"]);
  assert.deepEqual((await order("msgs_to")).slice(2), ["z"]);
  assert.deepEqual((await order("bytes_to")).slice(2), ["z"]);
  assert.deepEqual(await order("uptime"), ["z", "y", "x"], "youngest first");
  for (const sort of ["pending", "last", "idle", "rtt"]) assert.equal((await order(sort)).length, 3, sort);
  const lastOrder = (await getJson<ConnzJson>(server.monitorPort, "/connz?sort=last")).connections.map((c) => Date.parse(c.last_activity));
  assert.deepEqual(lastOrder, [...lastOrder].sort((p, q) => q - p), "last: most recent first");
  const idleOrder = (await getJson<ConnzJson>(server.monitorPort, "/connz?sort=idle")).connections.map((c) => Date.parse(c.last_activity));
  assert.deepEqual(idleOrder, [...idleOrder].sort((p, q) => p - q), "idle: most idle first");

  z.destroy();
  await until(async () => (await getJson<ConnzJson>(server.monitorPort, "/connz?state=closed")).total === 1, "z closed");
  assert.deepEqual(await order("stop", "closed"), ["z"]);
  assert.deepEqual(await order("reason", "closed"), ["z"]);
});

test("/connz state=closed keeps a bounded list with reasons; state=all adds the open ones", async (t) => {
  const server = await startMonitored(t, { maxClosedClients: 2, maxPayload: 1024 });
  const keep = await rawClient(server.port, "keep");
  t.after(() => keep.destroy());
  for (const name of ["gone-1", "gone-2"]) {
    const c = await rawClient(server.port, name, "SUB a 1\r\n");
    c.end();
    await c.waitClosed();
  }
  const big = await rawClient(server.port, "too-big");
  big.send("PUB a 2048\r\n");
  await big.waitClosed();
  await until(async () => (await getJson<ConnzJson>(server.monitorPort, "/connz?state=closed")).total === 2, "two closed kept");

  const closed = await getJson<ConnzJson>(server.monitorPort, "/connz?state=closed&subs=detail");
  assert.deepEqual(closed.connections.map((c) => [c.name, c.reason]), [
    ["gone-2", "Client Closed"],
    ["too-big", "Maximum Message Payload Exceeded"],
  ], "the oldest closed connection was dropped");
  const gone = closed.connections[0]!;
  assert.match(gone.stop ?? "", RFC3339);
  assert.ok(Date.parse(gone.stop!) >= Date.parse(gone.start));
  assert.match(gone.uptime, UPTIME);
  assert.deepEqual(gone.subscriptions_list_detail, [{ account: "$G", subject: "a", sid: "1", msgs: 0, cid: gone.cid }]);
  assert.equal(gone.subscriptions, 1);

  const any = await getJson<ConnzJson>(server.monitorPort, "/connz?state=any");
  assert.deepEqual([any.total, any.num_connections], [3, 3]);
  assert.deepEqual(any.connections.map((c) => c.name), ["keep", "gone-2", "too-big"]);
  const byReason = await getJson<ConnzJson>(server.monitorPort, "/connz?state=closed&sort=reason");
  assert.deepEqual(byReason.connections.map((c) => c.reason), ["Client Closed", "Maximum Message Payload Exceeded"]);
  const closedCid = await getJson<ConnzJson>(server.monitorPort, `/connz?state=closed&cid=${gone.cid}`);
  assert.equal(closedCid.connections[0]!.name, "gone-2");
  const allCid = await getJson<ConnzJson>(server.monitorPort, `/connz?state=all&cid=${any.connections[0]!.cid}`);
  assert.equal(allCid.connections[0]!.name, "keep");
});

test("/connz shows an in-memory connection with no IP, and rejects bad queries with nats-server's texts", async (t) => {
  const server = await startMonitored(t);
  const pipe = server.inProcessConn();
  t.after(() => pipe.destroy());
  pipe.write('CONNECT {"verbose":false,"name":"piped"}\r\n');
  await until(async () => (await getJson<ConnzJson>(server.monitorPort, "/connz")).connections[0]?.name === "piped", "the piped client");
  const c = (await getJson<ConnzJson>(server.monitorPort, "/connz")).connections[0]!;
  assert.deepEqual([c.ip, c.port, c.type], ["", 0, "nats"]);

  const bad: [string, string][] = [
    ["/connz?sort=bogus", "invalid sorting option: bogus"],
    ["/connz?sort=stop", "sort by stop only valid on closed connections"],
    ["/connz?sort=reason&state=all", "sort by reason only valid on closed connections"],
    ["/connz?state=sideways", "Error decoding state for sideways"],
    ["/connz?subs=maybe", `Error decoding boolean for 'subs': strconv.ParseBool: parsing "maybe": invalid syntax`],
    ["/connz?auth=yes", `Error decoding boolean for 'auth': strconv.ParseBool: parsing "yes": invalid syntax`],
    ["/connz?offset=1e3", `Error decoding int for 'offset': strconv.Atoi: parsing "1e3": invalid syntax`],
    ["/connz?limit=ten", `Error decoding int for 'limit': strconv.Atoi: parsing "ten": invalid syntax`],
    ["/connz?cid=-2", `Error decoding uint64 for 'cid': strconv.ParseUint: parsing "-2": invalid syntax`],
  ];
  for (const [path, text] of bad) {
    const res = await httpGet(server.monitorPort, path);
    assert.equal(res.status, 400, path);
    assert.equal(res.body, text, path);
    assert.equal(res.headers["content-type"], "text/plain; charset=utf-8");
  }
});

test("/subsz: counters alone, or the list with subs=1, filtered by test, paged", async (t) => {
  const server = await startMonitored(t);
  const a = await rawClient(server.port, "a", "SUB orders.* 1\r\nSUB orders.new q 2\r\nSUB other 3\r\nSUB orders.> 4\r\nUNSUB 4 9\r\nPUB orders.new 2\r\nhi\r\n");
  t.after(() => a.destroy());
  const direct = server.subscribe("orders.new", { callback: () => undefined });
  const tap = server.tap("orders.>");
  t.after(() => {
    direct.unsubscribe();
    tap.close();
  });

  for (const path of ["/subsz", "/subscriptionsz", "/subsz?subs=0", "/subsz?test=orders.new", "/subsz?subs=1&test=none"]) {
    const res = await httpGet(server.monitorPort, path);
    assert.equal(res.status, 200, path);
    assert.deepEqual(Object.keys(JSON.parse(res.body)), [
      "num_subscriptions", "num_cache", "num_inserts", "num_removes", "num_matches", "cache_hit_rate", "max_fanout", "avg_fanout",
    ], `${path}: only the sublist counters, as nats-server when there is no list`);
  }
  const stats = await getJson(server.monitorPort, "/subsz");
  assert.equal(stats["num_subscriptions"], 6, "4 of the client, 1 in-process, 1 tap");
  assert.equal(stats["num_removes"], 0);

  const list = await getJson<{ total: number; offset: number; limit: number; server_id: string; subscriptions_list: Record<string, unknown>[] }>(
    server.monitorPort,
    "/subsz?subs=1",
  );
  assert.equal(list.server_id, server.id);
  assert.deepEqual([list.total, list.offset, list.limit], [5, 0, 1024], "the tap is not interest: not listed");
  const cid = (await getJson<ConnzJson>(server.monitorPort, "/connz")).connections[0]!.cid;
  const bySid = new Map(list.subscriptions_list.map((s) => [`${String(s["cid"])}/${String(s["sid"])}`, s]));
  assert.deepEqual(bySid.get(`${cid}/1`), { account: "$G", subject: "orders.*", sid: "1", msgs: 1, cid });
  assert.deepEqual(bySid.get(`${cid}/2`), { account: "$G", subject: "orders.new", qgroup: "q", sid: "2", msgs: 1, cid });
  assert.deepEqual(bySid.get(`${cid}/4`), { account: "$G", subject: "orders.>", sid: "4", msgs: 1, max: 9, cid });
  assert.equal([...bySid.values()].filter((s) => s["cid"] === 0).length, 1, "the in-process subscription, with cid 0");

  const tested = await getJson<{ total: number; subscriptions_list: { subject: string }[] }>(server.monitorPort, "/subsz?subs=1&test=orders.new");
  assert.deepEqual(tested.subscriptions_list.map((s) => s.subject).sort(), ["orders.*", "orders.>", "orders.new", "orders.new"]);
  assert.equal(tested.total, 4);
  const paged = await getJson<{ total: number; offset: number; limit: number; subscriptions_list: unknown[] }>(server.monitorPort, "/subsz?subs=1&offset=1&limit=2");
  assert.deepEqual([paged.total, paged.offset, paged.limit, paged.subscriptions_list.length], [5, 1, 2, 2]);

  for (const [path, text] of [
    ["/subsz?test=orders.*", "invalid test subject, must be valid publish subject: orders.*"],
    ["/subsz?subs=1&test=a..b", "invalid test subject, must be valid publish subject: a..b"],
    ["/subsz?subs=yes", `Error decoding boolean for 'subs': strconv.ParseBool: parsing "yes": invalid syntax`],
    ["/subsz?limit=x", `Error decoding int for 'limit': strconv.Atoi: parsing "x": invalid syntax`],
  ] as const) {
    const res = await httpGet(server.monitorPort, path);
    assert.deepEqual([res.status, res.body], [400, text], path);
  }
});

test("/healthz answers compact JSON, and checks its flags", async (t) => {
  const server = await startMonitored(t);
  const ok = await httpGet(server.monitorPort, "/healthz?js-enabled-only=true&js-server-only=0&details=1");
  assert.deepEqual([ok.status, ok.headers["content-type"], ok.body], [200, "application/json", '{"status":"ok"}']);
  const bad = await httpGet(server.monitorPort, "/healthz?js-server-only=sure");
  assert.deepEqual([bad.status, bad.body], [400, `Error decoding boolean for 'js-server-only': strconv.ParseBool: parsing "sure": invalid syntax`]);
});

test("the in-process functions give what the endpoints give", async (t) => {
  const server = await startMonitored(t);
  const c = await rawClient(server.port, "in-proc", "SUB q 1\r\n");
  t.after(() => c.destroy());
  const view = server[kIntrospect]();
  const v = varz(view);
  assert.equal(v.connections, 1);
  assert.equal(v.subscriptions, 1);
  const cz = connz(view, { subs: "detail" });
  assert.equal(cz.connections[0]!.subscriptions_list_detail![0]!.subject, "q");
  const http = await getJson<ConnzJson>(server.monitorPort, "/connz?subs=detail");
  assert.deepEqual({ ...cz.connections[0], uptime: "", idle: "" }, { ...http.connections[0], uptime: "", idle: "" });
  const sz = subsz(view, { subs: true, test: "q" });
  assert.equal(sz.subscriptions_list!.length, 1);
  assert.equal(subsz(view).subscriptions_list, undefined);
  assert.deepEqual(healthz(view), { status: "ok" });
  assert.throws(() => connz(view, { sort: "sideways" }), (err: unknown) => err instanceof MonitorRequestError && err.message === "invalid sorting option: sideways");
  assert.throws(() => connz(view, { sort: "stop", state: "all" }), MonitorRequestError);
  assert.throws(() => subsz(view, { test: "a.*" }), MonitorRequestError);
  const closedOnly = connz(view, { state: "closed", sort: "stop" });
  assert.deepEqual(closedOnly.connections, []);
});

test("the listener: dashboard, 404, JSONP, HEAD, bodies ignored, long URLs refused", async (t) => {
  const server = await startMonitored(t);
  const port = server.monitorPort;

  const root = await httpGet(port, "/");
  assert.equal(root.status, 200);
  assert.equal(root.headers["content-type"], "text/html; charset=utf-8");
  assert.match(String(root.headers["content-security-policy"]), /default-src 'none'/);
  assert.equal(root.body, DASHBOARD_HTML);
  for (const link of ["./varz", "./connz", "./subsz", "./healthz", "./metrics"]) assert.ok(root.body.includes(`href="${link}"`), link);
  assert.doesNotMatch(root.body, /(src|href)="(https?:)?\/\//, "nothing is loaded from elsewhere");

  for (const path of ["/nope", "/varz/", "/connz/x", "/index.html", "//varz"]) {
    const res = await httpGet(port, path);
    assert.deepEqual([res.status, res.body, res.headers["content-type"]], [404, "404 page not found\n", "text/plain; charset=utf-8"], path);
  }

  const jsonp = await httpGet(port, "/healthz?callback=cb.done");
  assert.deepEqual([jsonp.status, jsonp.headers["content-type"], jsonp.body], [200, "application/javascript", 'cb.done({"status":"ok"})']);
  const evil = await httpGet(port, `/varz?callback=${encodeURIComponent("alert(1)//")}`);
  assert.equal(evil.status, 400);

  const head = await httpGet(port, "/varz", { method: "HEAD" });
  assert.deepEqual([head.status, head.body, head.headers["content-type"]], [200, "", "application/json"]);

  const post = await httpGet(port, "/connz", { method: "POST", body: "ignored=1", headers: { "content-type": "application/x-www-form-urlencoded" } });
  assert.equal(post.status, 200);
  assert.equal((JSON.parse(post.body) as ConnzJson).limit, 1024, "the body is not read as a query");

  const huge = await httpGet(port, "/varz", { method: "POST", body: Buffer.alloc(2 * 1024 * 1024, 120) }).catch((err: Error) => err);
  assert.ok(huge instanceof Error || huge.status === 200, "answered or cut, never buffered");
  assert.equal((await httpGet(port, "/healthz")).status, 200, "still serving");

  const long = await httpGet(port, `/connz?sort=${"x".repeat(5000)}`);
  assert.equal(long.status, 414);
});

test("the listener never throws into the host: bad requests, a failing view, close with open connections", async (t) => {
  const logged: string[] = [];
  const server = createServer({ logger: { error: (m: string) => logged.push(m), warn: () => undefined, info: () => undefined, debug: () => undefined, trace: () => undefined } });
  t.after(() => server.close());
  let fail = false;
  const source = (): ServerIntrospection => {
    const view = server[kIntrospect]();
    if (!fail) return view;
    return { ...view, clients: () => { throw new Error("boom"); } };
  };
  const listener = await startMonitorServer(source, { host: "127.0.0.1", port: 0 });
  assert.equal((await httpGet(listener.port, "/connz")).status, 200);
  fail = true;
  const broken = await httpGet(listener.port, "/connz");
  assert.deepEqual([broken.status, broken.body], [500, "Internal Server Error\n"]);
  assert.ok(logged.some((l) => l.includes("boom")));
  fail = false;

  // A malformed request line gets 400 from the HTTP parser; the listener keeps serving.
  const raw = connect({ host: "127.0.0.1", port: listener.port });
  const answer = await new Promise<string>((resolve) => {
    let text = "";
    raw.on("data", (d: Buffer) => (text += d.toString()));
    raw.on("close", () => resolve(text));
    raw.on("error", () => resolve(text));
    raw.write("GARBAGE\r\n\r\n");
  });
  assert.match(answer, /^HTTP\/1\.1 400/);
  assert.equal((await httpGet(listener.port, "/varz")).status, 200);

  // A keep-alive connection left open does not hold up close().
  const idle = connect({ host: "127.0.0.1", port: listener.port });
  await new Promise<void>((resolve) => idle.once("connect", () => resolve()));
  idle.write("GET /varz HTTP/1.1\r\nHost: x\r\n\r\n");
  await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  await listener.close();
  assert.ok(Date.now() - started < 1000, "closed promptly");
  idle.destroy();
  await assert.rejects(httpGet(listener.port, "/varz", { timeoutMs: 1000 }), "the port is released");
});

test("server.close() closes the monitoring port", async () => {
  const server = createServer({ host: "127.0.0.1", http: 0 });
  await server.listen();
  const port = server.ports.monitoring!.port;
  assert.equal((await httpGet(port, "/healthz")).status, 200);
  await server.close();
  await assert.rejects(httpGet(port, "/healthz", { timeoutMs: 1000 }));
});

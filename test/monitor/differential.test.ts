/**
 * Monitoring compared with Debian's nats-server (2.9.10) for the same scripted raw-socket
 * workload. For every endpoint and query, a generic walk over our JSON checks that each field we
 * report exists in nats-server's answer with the same JSON type, and that counters and other
 * scenario-determined values are equal. Fields only nats-server reports are listed as test
 * diagnostics (they are features we do not have, such as accounts or TLS).
 *
 * Also compared: the `400` texts for bad queries, `404` for unknown paths, content types, and
 * the JSON formatting (two-space indentation; `/healthz` compact).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { hasNatsServer } from "../helpers/nats-server-process.ts";
import { getJson, httpGet, runWorkload, startMonitored, startReferenceWithMonitor, until, WORKLOAD_VARZ } from "./monitor-helpers.ts";
import { connect } from "node:net";
import { RawClient } from "../helpers/raw-client.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function jsonType(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/**
 * Fields whose values the scenario determines, so they must be equal wherever they appear
 * (ids, ports, times, memory and cache statistics legitimately differ).
 */
const EQUAL_VALUES = new Set([
  // /varz
  "proto", "host", "max_connections", "max_subscriptions", "ping_interval", "ping_max", "http_base_path", "https_port",
  "auth_timeout", "max_control_line", "max_payload", "max_pending", "tls_timeout", "write_deadline",
  "connections", "total_connections", "routes", "remotes", "leafnodes",
  "in_msgs", "out_msgs", "in_bytes", "out_bytes", "slow_consumers", "subscriptions",
  "cluster", "gateway", "leaf", "mqtt", "websocket", "jetstream",
  // /connz
  "num_connections", "total", "offset", "limit", "kind", "type", "ip", "reason", "pending_bytes",
  "name", "lang", "version_of_client", "subscriptions_list", "authorized_user", "auth_required", "tls_required", "tls_verify",
  // /subsz
  "num_subscriptions", "num_inserts", "num_removes", "account", "subject", "qgroup", "sid", "msgs", "max",
  // /healthz
  "status", "error",
]);

/** What identifies an element of an array of objects across the two servers. */
function identity(v: Json): string {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    if (typeof v["name"] === "string") return v["name"];
    if (typeof v["subject"] === "string") return `${v["subject"]} ${String(v["sid"])}`;
  }
  return JSON.stringify(v);
}

/**
 * Differences known and explained, tolerated by the comparison (each matched against the
 * problem text). Remove an entry once the difference is gone.
 */
const KNOWN_DIFFERENCES: readonly { pattern: RegExp; why: string }[] = [
  // None at present. (The close reason of an unknown protocol operation was one: nats-server
  // says "Protocol Violation"; the broker now does too.)
];

/**
 * Paths whose values are not comparable, only their fields and types: nats-server lists
 * subscriptions in Go map order (so a page past the first holds arbitrary ones), and 2.9.10's
 * `total` is the page's length (fixed in later releases to the count before paging, as here).
 */
const SHAPE_ONLY = new Set(["/subsz?subs=1&offset=1&limit=1"]);

interface Findings {
  problems: string[];
  onlyTheirs: Set<string>;
}

/** Walks our JSON against nats-server's: same fields, same types, equal scenario values. */
function compare(ours: Json, theirs: Json, path: string, found: Findings, key = ""): void {
  if (SHAPE_ONLY.has(path.replace(/[.[].*$/, ""))) key = "";
  const to = jsonType(ours);
  const tt = jsonType(theirs);
  if (to !== tt) {
    found.problems.push(`${path}: ${to} here, ${tt} in nats-server`);
    return;
  }
  if (EQUAL_VALUES.has(key) && to !== "object" && to !== "array" && ours !== theirs) {
    found.problems.push(`${path}: ${JSON.stringify(ours)} here, ${JSON.stringify(theirs)} in nats-server`);
  }
  if (to === "array") {
    const o = ours as Json[];
    const t = theirs as Json[];
    if (o.length !== t.length) found.problems.push(`${path}: ${o.length} items here, ${t.length} in nats-server`);
    const objects = o.length > 0 && jsonType(o[0]!) === "object";
    if (!objects && EQUAL_VALUES.has(key)) {
      const a = JSON.stringify([...o].map(String).sort());
      const b = JSON.stringify([...t].map(String).sort());
      if (a !== b) found.problems.push(`${path}: ${a} here, ${b} in nats-server`);
    }
    const os = objects ? [...o].sort((x, y) => identity(x).localeCompare(identity(y))) : o;
    const ts = objects ? [...t].sort((x, y) => identity(x).localeCompare(identity(y))) : t;
    // Values of a list of strings were compared as a set just above; elements only for types.
    const elementKey = objects ? key : "";
    for (let i = 0; i < Math.min(os.length, ts.length); i++) compare(os[i]!, ts[i]!, `${path}[${identity(os[i]!)}]`, found, elementKey);
    return;
  }
  if (to === "object") {
    const o = ours as Record<string, Json>;
    const t = theirs as Record<string, Json>;
    for (const k of Object.keys(o)) {
      if (!(k in t)) {
        found.problems.push(`${path}.${k}: not in nats-server's answer`);
        continue;
      }
      // A client's `version` is the CONNECT field (equal); the server's is its release. A closed
      // connection's pending_bytes is, in nats-server, whatever -ERR was still queued at the close.
      const valueKey =
        k === "version" && path.includes("connections") ? "version_of_client" : k === "pending_bytes" && "reason" in o ? "pending_at_close" : k;
      compare(o[k]!, t[k]!, `${path}.${k}`, found, valueKey);
    }
    for (const k of Object.keys(t)) if (!(k in o)) found.onlyTheirs.add(`${path.replace(/\?[^.[]*/, "").replace(/\[[^\]]*\]/g, "[]")}.${k}`);
  }
}

function needNatsServer(t: TestContext): boolean {
  if (hasNatsServer()) return true;
  // CI installs nats-server (.ci/run); there, a missing binary must fail, not skip.
  assert.notEqual(process.env["CI"], "true", "nats-server is not installed: .ci/run must apt-get install it");
  t.skip("nats-server binary not installed (apt-get install -y nats-server)");
  return false;
}

/** The connections' `cid` for a client `name`, on one server. */
async function cidOf(port: number, name: string, state = "all"): Promise<number> {
  const connz = await getJson<{ connections: { cid: number; name?: string }[] }>(port, `/connz?state=${state}&limit=100`);
  const found = connz.connections.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no connection named ${name}`);
  return found.cid;
}

const SNAPSHOT_PATHS = [
  "/varz",
  "/connz",
  "/connz?subs=1",
  "/connz?subs=detail",
  "/connz?state=closed",
  "/connz?state=closed&subs=1",
  "/connz?state=closed&subs=detail",
  "/connz?state=all&subs=detail",
  "/connz?state=any",
  "/connz?offset=1&limit=1",
  "/connz?state=all&offset=2&limit=2",
  "/connz?offset=10",
  "/connz?limit=-5",
  "/connz?auth=true",
  "/subsz",
  "/subscriptionsz",
  "/subsz?subs=1",
  "/subsz?subs=1&test=foo.x",
  "/subsz?subs=1&test=bar",
  "/subsz?subs=1&test=nothing.here",
  "/subsz?subs=1&offset=1&limit=1",
  "/healthz",
  "/healthz?js-enabled-only=true",
] as const;

const SORTS_OPEN = ["cid", "start", "subs", "pending", "msgs_to", "msgs_from", "bytes_to", "bytes_from", "last", "idle", "uptime"] as const;

/** The field a sort orders by, to compare the sequences of values (ties may come in any order). */
const SORT_FIELD: Record<string, string> = {
  subs: "subscriptions",
  pending: "pending_bytes",
  msgs_to: "out_msgs",
  msgs_from: "in_msgs",
  bytes_to: "out_bytes",
  bytes_from: "in_bytes",
  reason: "reason",
};

const BAD_REQUESTS = [
  "/connz?sort=bogus",
  "/connz?sort=stop",
  "/connz?sort=reason&state=open",
  "/connz?state=bad",
  "/connz?subs=maybe",
  "/connz?auth=2",
  "/connz?offset=x",
  "/connz?limit=1.5",
  "/connz?cid=-1",
  "/subsz?subs=maybe",
  "/subsz?offset=z",
  "/subsz?test=foo.*",
  "/subsz?test=foo.>",
  "/healthz?js-enabled-only=nope",
  "/healthz?js-server-only=2",
  "/nope",
  "/varz/",
  "/connz/extra",
  "/metricsz",
] as const;

test("monitoring JSON matches nats-server's fields, types and counters for the same workload", { timeout: 60_000 }, async (t) => {
  if (!needNatsServer(t)) return;
  const reference = await startReferenceWithMonitor(t);
  const ours = await startMonitored(t);
  const workloads = await Promise.all([runWorkload(reference.port), runWorkload(ours.port)]);
  t.after(() => workloads.forEach((w) => w.close()));
  for (const port of [reference.monitorPort, ours.monitorPort]) {
    await until(async () => (await getJson<{ total: number }>(port, "/connz?state=closed")).total === 3, "3 closed connections");
  }

  const found: Findings = { problems: [], onlyTheirs: new Set() };
  const compareAt = async (path: string, oursPath = path, theirsPath = path): Promise<void> => {
    const [theirs, mine] = await Promise.all([httpGet(reference.monitorPort, theirsPath), httpGet(ours.monitorPort, oursPath)]);
    assert.equal(mine.status, theirs.status, `${path}: status`);
    assert.equal(mine.headers["content-type"], theirs.headers["content-type"], `${path}: content type`);
    // The same formatting: indented by two spaces (json.MarshalIndent), /healthz compact (json.Marshal).
    for (const [who, res] of [["nats-server", theirs], ["ours", mine]] as const) {
      const parsed = JSON.parse(res.body) as Json;
      const expected = path.startsWith("/healthz") ? JSON.stringify(parsed) : JSON.stringify(parsed, null, 2);
      assert.equal(res.body, expected, `${path}: ${who}'s JSON formatting`);
    }
    compare(JSON.parse(mine.body) as Json, JSON.parse(theirs.body) as Json, path, found);
  };

  // The workload's exact counters, on both.
  for (const [who, port] of [["nats-server", reference.monitorPort], ["ours", ours.monitorPort]] as const) {
    const varz = await getJson<Record<string, unknown>>(port, "/varz");
    for (const [field, value] of Object.entries(WORKLOAD_VARZ)) assert.equal(varz[field], value, `${who} /varz ${field}`);
  }

  for (const path of SNAPSHOT_PATHS) await compareAt(path);
  for (const sort of SORTS_OPEN) {
    await compareAt(`/connz?sort=${sort}`);
    await compareAt(`/connz?state=all&sort=${sort}`);
  }
  for (const sort of ["stop", "reason", "msgs_from", "uptime"]) await compareAt(`/connz?state=closed&sort=${sort}`);

  // Sorted orders agree: the sequence of the sort key's values is the same (ties in any order).
  for (const sort of Object.keys(SORT_FIELD)) {
    const state = sort === "reason" ? "closed" : "open";
    const path = `/connz?state=${state}&sort=${sort}`;
    const field = SORT_FIELD[sort]!;
    const values = async (port: number): Promise<unknown[]> =>
      (await getJson<{ connections: Record<string, unknown>[] }>(port, path)).connections.map((c) => c[field]);
    const [mine, theirs] = [JSON.stringify(await values(ours.monitorPort)), JSON.stringify(await values(reference.monitorPort))];
    if (mine !== theirs) found.problems.push(`${path}: ${field} in the order ${mine} here, ${theirs} in nats-server`);
  }

  // A single connection by cid (the cids differ between the servers; the clients' names don't).
  for (const [name, state] of [["sub-a", "open"], ["pub-b", "open"], ["closer-c", "closed"], ["garbage-e", "closed"]] as const) {
    const [theirCid, ourCid] = await Promise.all([cidOf(reference.monitorPort, name), cidOf(ours.monitorPort, name)]);
    await compareAt(`/connz?cid=${name}&state=${state}&subs=detail`, `/connz?cid=${ourCid}&state=${state}&subs=detail`, `/connz?cid=${theirCid}&state=${state}&subs=detail`);
  }

  // The request counts we made are the same too: compare /varz last, http_req_stats included.
  const [theirVarz, ourVarz] = await Promise.all([getJson(reference.monitorPort, "/varz"), getJson(ours.monitorPort, "/varz")]);
  assert.deepEqual(ourVarz["http_req_stats"], theirVarz["http_req_stats"], "http_req_stats");

  for (const path of BAD_REQUESTS) {
    const [theirs, mine] = await Promise.all([httpGet(reference.monitorPort, path), httpGet(ours.monitorPort, path)]);
    assert.equal(mine.status, theirs.status, `${path}: status`);
    assert.equal(mine.body, theirs.body, `${path}: body`);
    assert.equal(mine.headers["content-type"], theirs.headers["content-type"], `${path}: content type`);
  }

  t.diagnostic(`fields only nats-server reports: ${[...found.onlyTheirs].sort().join(", ")}`);
  const unexplained = found.problems.filter((p) => !KNOWN_DIFFERENCES.some((k) => k.pattern.test(p)));
  for (const k of KNOWN_DIFFERENCES) {
    if (found.problems.some((p) => k.pattern.test(p))) t.diagnostic(`known difference still present: ${k.why}`);
  }
  assert.deepEqual(unexplained, [], `differences from nats-server:\n${unexplained.join("\n")}`);
});

test("a slow consumer is counted and reported as nats-server does", { timeout: 60_000 }, async (t) => {
  if (!needNatsServer(t)) return;
  // A small max_pending so that a subscriber that stops reading is cut after a few MB.
  const reference = await startReferenceWithMonitor(t, "max_pending: 65536\nmax_payload: 65536\n");
  const ours = await startMonitored(t, { maxPending: 65536, maxPayload: 65536 });

  const run = async (port: number, monitorPort: number): Promise<{ varz: Record<string, unknown>; closed: Record<string, unknown> }> => {
    // The subscriber reads its PONG, then stops reading for good.
    const sub = connect({ host: "127.0.0.1", port });
    const pub = await RawClient.connect(port);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no PONG for the stalled subscriber")), 5000);
        let seen = "";
        const onData = (chunk: Buffer): void => {
          seen += chunk.toString("latin1");
          if (!seen.includes("PONG\r\n")) return;
          clearTimeout(timer);
          sub.off("data", onData);
          sub.pause();
          resolve();
        };
        sub.on("data", onData);
        sub.on("error", () => undefined);
        sub.write('CONNECT {"verbose":false,"pedantic":false,"name":"stalled"}\r\nSUB flood 1\r\nPING\r\n');
      });
      pub.send('CONNECT {"verbose":false,"pedantic":false,"name":"flooder"}\r\n');
      const chunk = `PUB flood 16384\r\n${"x".repeat(16384)}\r\n`.repeat(64);
      // At most 256 MB, and stop as soon as the subscriber is cut.
      for (let i = 0; i < 256; i++) {
        pub.send(chunk);
        await new Promise((r) => setTimeout(r, 5));
        if (i % 8 === 7 && (await getJson<{ slow_consumers: number }>(monitorPort, "/varz")).slow_consumers > 0) break;
      }
      await until(async () => (await getJson<{ total: number }>(monitorPort, "/connz?state=closed")).total === 1, "the stalled client closed", 15_000);
      const varz = await getJson(monitorPort, "/varz");
      const closed = (await getJson<{ connections: Record<string, unknown>[] }>(monitorPort, "/connz?state=closed")).connections[0]!;
      return { varz, closed };
    } finally {
      sub.destroy();
      pub.destroy();
    }
  };
  const theirs = await run(reference.port, reference.monitorPort);
  const mine = await run(ours.port, ours.monitorPort);
  assert.equal(theirs.varz["slow_consumers"], 1);
  assert.equal(mine.varz["slow_consumers"], 1);
  assert.equal(mine.closed["name"], "stalled");
  assert.equal(mine.closed["reason"], theirs.closed["reason"]);
  const found: Findings = { problems: [], onlyTheirs: new Set() };
  for (const k of ["in_msgs", "out_msgs", "in_bytes", "out_bytes", "total_connections"]) delete theirs.varz[k], delete mine.varz[k];
  compare(mine.varz as Json, theirs.varz as Json, "/varz", found);
  assert.deepEqual(found.problems, [], found.problems.join("\n"));
});

test("with authentication: auth_required, auth_timeout and authorized_user as nats-server", { timeout: 60_000 }, async (t) => {
  if (!needNatsServer(t)) return;
  const reference = await startReferenceWithMonitor(t, "authorization { timeout: 3, users: [ { user: alice, password: s3cret } ] }\n");
  const ours = await startMonitored(t, { authorization: { timeout: 3000, users: [{ user: "alice", password: "s3cret" }] } });
  const session = async (port: number): Promise<RawClient[]> => {
    const ok = await RawClient.connect(port);
    ok.send('CONNECT {"verbose":false,"pedantic":false,"name":"alice-app","user":"alice","pass":"s3cret"}\r\nSUB a 1\r\nPING\r\n');
    await ok.waitFor("PONG\r\n");
    const bad = await RawClient.connect(port);
    bad.send('CONNECT {"verbose":false,"pedantic":false,"name":"mallory","user":"alice","pass":"guess"}\r\nPING\r\n');
    await bad.waitClosed();
    const left = await RawClient.connect(port);
    left.send('CONNECT {"verbose":false,"pedantic":false,"name":"alice-once","user":"alice","pass":"s3cret"}\r\nPING\r\n');
    await left.waitFor("PONG\r\n");
    left.end();
    await left.waitClosed();
    return [ok, bad, left];
  };
  const clients = [...(await session(reference.port)), ...(await session(ours.port))];
  t.after(() => clients.forEach((c) => c.destroy()));
  for (const port of [reference.monitorPort, ours.monitorPort]) {
    await until(async () => (await getJson<{ total: number }>(port, "/connz?state=closed")).total === 2, "2 closed connections");
  }
  const found: Findings = { problems: [], onlyTheirs: new Set() };
  for (const path of ["/varz", "/connz?auth=1", "/connz?auth=true&subs=detail", "/connz?state=closed&auth=1", "/connz?state=all&auth=1&sort=msgs_from"]) {
    const [theirs, mine] = await Promise.all([getJson(reference.monitorPort, path), getJson(ours.monitorPort, path)]);
    compare(mine as Json, theirs as Json, path, found);
  }
  const varz = await getJson(ours.monitorPort, "/varz");
  assert.deepEqual([varz["auth_required"], varz["auth_timeout"]], [true, 3]);
  const open = await getJson<{ connections: { name?: string; authorized_user?: string }[] }>(ours.monitorPort, "/connz?auth=1");
  assert.deepEqual(open.connections.map((c) => [c.name, c.authorized_user]), [["alice-app", "alice"]]);
  const unexplained = found.problems.filter((p) => !KNOWN_DIFFERENCES.some((k) => k.pattern.test(p)));
  for (const k of KNOWN_DIFFERENCES) {
    if (found.problems.some((p) => k.pattern.test(p))) t.diagnostic(`known difference still present: ${k.why}`);
  }
  t.diagnostic(`fields only nats-server reports: ${[...found.onlyTheirs].sort().join(", ")}`);
  assert.deepEqual(unexplained, [], `differences from nats-server:\n${unexplained.join("\n")}`);
});

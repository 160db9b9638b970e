/**
 * `/jsz`, the `/varz` `jetstream` section, the JetStream gauges of `/metrics` and
 * `server.jsz()`: the official clients create streams and consumers, then the JSON is checked
 * field by field, and compared with Debian's nats-server 2.9.10 running the same workload
 * (field names and types everywhere, and the values the workload decides).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { AckPolicy, jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import type { Jsz } from "../../src/index.ts";
import { hasNatsServer } from "../helpers/nats-server-process.ts";
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from "../helpers/chromium.ts";
import { getJson, httpGet, startMonitored, startReferenceWithMonitor } from "./monitor-helpers.ts";
import { shapeDifferences, type Json } from "./shape.ts";

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "jsz-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The same JetStream workload for any server: a file stream ORDERS (3 × 5 B on `orders.a`), a
 * memory stream MEM with `max_bytes` 1 MiB (one 1 B message), a durable C1 on ORDERS, and one
 * failing API call. API requests: INFO (the manager's check), 2 creates, 1 consumer create, 1
 * failed STREAM.INFO: 5 in all, 1 error.
 */
async function runJsWorkload(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
  await jsm.streams.add({ name: "MEM", subjects: ["mem"], storage: StorageType.Memory, max_bytes: 1024 * 1024 });
  const js = jetstream(nc);
  for (let i = 0; i < 3; i++) await js.publish("orders.a", "hello");
  await js.publish("mem", "x");
  await jsm.consumers.add("ORDERS", { durable_name: "C1", ack_policy: AckPolicy.Explicit });
  await assert.rejects(jsm.streams.info("NOPE"));
}

/** The numbers {@link runJsWorkload} leaves in `/jsz` (bytes as nats-server counts them). */
const WORKLOAD_JSZ = {
  memory: 20,
  storage: 129,
  reserved_memory: 1024 * 1024,
  reserved_storage: 0,
  accounts: 1,
  ha_assets: 0,
  api: { total: 5, errors: 1 },
  streams: 2,
  consumers: 1,
  messages: 4,
  bytes: 149,
} as const;

async function startJetStreamServer(t: TestContext): Promise<{ monitorPort: number; url: string; server: Awaited<ReturnType<typeof startMonitored>>; storeDir: string }> {
  const storeDir = tempDir(t);
  const server = await startMonitored(t, { jetstream: { storeDir } });
  const url = `nats://127.0.0.1:${server.ports.nats!.port}`;
  return { monitorPort: server.monitorPort, url, server, storeDir };
}

async function withClient(t: TestContext, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

test("/jsz with JetStream off says disabled, with nats-server's zeroes", { timeout: 20_000 }, async (t) => {
  const server = await startMonitored(t);
  const jsz = await getJson<Record<string, Json>>(server.monitorPort, "/jsz");
  assert.equal(jsz["server_id"], server.id);
  assert.match(String(jsz["now"]), /^\d{4}-\d\d-\d\dT/);
  const { server_id: _id, now: _now, ...rest } = jsz;
  assert.deepEqual(rest, {
    disabled: true,
    config: { max_memory: 0, max_storage: 0 },
    memory: 0,
    storage: 0,
    reserved_memory: 0,
    reserved_storage: 0,
    accounts: 0,
    ha_assets: 0,
    api: { total: 0, errors: 0 },
    streams: 0,
    consumers: 0,
    messages: 0,
    bytes: 0,
  });
  // Asking for details changes nothing when there is nothing.
  const detailed = await getJson<Record<string, Json>>(server.monitorPort, "/jsz?accounts=true&streams=true&consumers=true");
  assert.equal(detailed["account_details"], undefined);
  assert.equal(server.jsz().disabled, true);
  const varz = await getJson<{ jetstream: Json; http_req_stats: Record<string, number> }>(server.monitorPort, "/varz");
  assert.deepEqual(varz.jetstream, {});
  assert.equal(varz.http_req_stats["/jsz"], 2);
});

test("/jsz counts streams, consumers, messages, bytes and API requests as nats-server does", { timeout: 30_000 }, async (t) => {
  const { monitorPort, url, server, storeDir } = await startJetStreamServer(t);
  await runJsWorkload(await withClient(t, url));

  const jsz = await getJson<Jsz>(monitorPort, "/jsz");
  assert.equal(jsz.server_id, server.id);
  assert.equal(jsz.disabled, undefined);
  assert.deepEqual(jsz.config, { max_memory: -1, max_storage: -1, store_dir: storeDir });
  const { server_id: _id, now: _now, config: _config, ...counts } = jsz;
  assert.deepEqual(counts, WORKLOAD_JSZ);
  assert.equal(jsz.account_details, undefined, "no details unless asked for");

  // /varz: the same config and stats.
  const varz = await getJson<{ jetstream: { config: Json; stats: Json } }>(monitorPort, "/varz");
  assert.deepEqual(varz.jetstream.config, jsz.config);
  const { streams: _s, consumers: _c, messages: _m, bytes: _b, ...stats } = WORKLOAD_JSZ;
  assert.deepEqual(varz.jetstream.stats, stats);
  assert.deepEqual(Object.keys(varz.jetstream), ["config", "stats"], "no meta without clustering");
});

test("/jsz details: accounts, then streams, then consumers, with configs on request", { timeout: 30_000 }, async (t) => {
  const { monitorPort, url, server } = await startJetStreamServer(t);
  await runJsWorkload(await withClient(t, url));

  // accounts=true: the one account, its reservations as nats-server's uint64 -1.
  const raw = await httpGet(monitorPort, "/jsz?accounts=true");
  assert.equal(raw.status, 200);
  assert.match(raw.body, /"reserved_memory": 18446744073709551615,/);
  const accounts = JSON.parse(raw.body) as Jsz;
  assert.equal(accounts.account_details?.length, 1);
  const account = accounts.account_details![0]!;
  assert.equal(account.name, "$G");
  assert.equal(account.id, "$G");
  assert.equal(account.memory, 20);
  assert.equal(account.storage, 129);
  assert.equal(account.accounts, 0);
  assert.deepEqual(account.api, { total: 5, errors: 1 });
  assert.equal(account.stream_detail, undefined);

  // streams=true implies accounts; no configs, no consumers.
  const streams = await getJson<Jsz>(monitorPort, "/jsz?streams=true");
  const details = streams.account_details![0]!.stream_detail!;
  assert.deepEqual(
    details.map((s) => s.name),
    ["MEM", "ORDERS"],
  );
  const orders = details.find((s) => s.name === "ORDERS")!;
  assert.match(orders.created, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
  assert.deepEqual(orders.cluster, { leader: server.id });
  assert.equal(orders.config, undefined);
  assert.equal(orders.consumer_detail, undefined);
  assert.equal(orders.state.messages, 3);
  assert.equal(orders.state.bytes, 129);
  assert.equal(orders.state.consumer_count, 1);
  assert.deepEqual(Object.keys(orders), ["name", "created", "cluster", "state"]);

  // consumers=true implies streams; configs only with config=true.
  const consumers = await getJson<Jsz>(monitorPort, "/jsz?consumers=true");
  const c1 = consumers.account_details![0]!.stream_detail!.find((s) => s.name === "ORDERS")!.consumer_detail!;
  assert.equal(c1.length, 1);
  assert.equal(c1[0]!["name"], "C1");
  assert.equal(c1[0]!["stream_name"], "ORDERS");
  assert.equal(c1[0]!["num_pending"], 3);
  assert.equal(c1[0]!["config"], undefined);
  assert.equal(c1[0]!["ts"], undefined, "2.9's ConsumerInfo has no ts");
  assert.equal(consumers.account_details![0]!.stream_detail!.find((s) => s.name === "MEM")!.consumer_detail, undefined);

  const withConfig = await getJson<Jsz>(monitorPort, "/jsz?consumers=true&config=true");
  const ordersFull = withConfig.account_details![0]!.stream_detail!.find((s) => s.name === "ORDERS")!;
  assert.equal(ordersFull.config?.name, "ORDERS");
  assert.deepEqual(ordersFull.config?.subjects, ["orders.>"]);
  const c1Config = ordersFull.consumer_detail![0]!["config"] as Record<string, unknown>;
  assert.equal(c1Config["durable_name"], "C1");
  assert.equal(c1Config["ack_policy"], "explicit");
  assert.deepEqual(Object.keys(ordersFull.consumer_detail![0]!).slice(0, 4), ["stream_name", "name", "created", "config"]);
});

test("/jsz acc, offset and limit pick accounts as monitor.go does; bad values get its 400 text", { timeout: 30_000 }, async (t) => {
  const { monitorPort, url } = await startJetStreamServer(t);
  await runJsWorkload(await withClient(t, url));
  assert.equal((await getJson<Jsz>(monitorPort, "/jsz?acc=$G")).account_details?.length, 1);
  assert.equal((await getJson<Jsz>(monitorPort, "/jsz?acc=OTHER")).account_details, undefined);
  assert.equal((await getJson<Jsz>(monitorPort, "/jsz?accounts=true&offset=1")).account_details, undefined);
  assert.equal((await getJson<Jsz>(monitorPort, "/jsz?accounts=true&limit=1")).account_details?.length, 1);
  const bad = await httpGet(monitorPort, "/jsz?accounts=x");
  assert.equal(bad.status, 400);
  assert.equal(bad.body, `Error decoding boolean for 'accounts': strconv.ParseBool: parsing "x": invalid syntax`);
  const badLimit = await httpGet(monitorPort, "/jsz?limit=x");
  assert.equal(badLimit.status, 400);
  assert.equal(badLimit.body, `Error decoding int for 'limit': strconv.Atoi: parsing "x": invalid syntax`);
  const jsonp = await httpGet(monitorPort, "/jsz?callback=cb");
  assert.equal(jsonp.headers["content-type"], "application/javascript");
  assert.match(jsonp.body, /^cb\(\{/);
});

test("server.jsz() in-process gives the /jsz data; an in-process client's streams count", { timeout: 30_000 }, async (t) => {
  const storeDir = tempDir(t);
  const server = await startMonitored(t, { jetstream: { storeDir, domain: "hub", syncInterval: "always" } });
  const nc = await server.connect();
  t.after(() => nc.close());
  await runJsWorkload(nc);
  const inProcess = server.jsz({ consumers: true, config: true });
  assert.equal(inProcess.streams, 2);
  assert.equal(inProcess.consumers, 1);
  assert.deepEqual(inProcess.api, { total: 5, errors: 1 });
  assert.deepEqual(inProcess.config, { max_memory: -1, max_storage: -1, store_dir: storeDir, sync_always: true, domain: "hub" });
  assert.equal(inProcess.account_details?.[0]?.stream_detail?.length, 2);
  const overHttp = await getJson<Jsz>(server.monitorPort, "/jsz?consumers=true&config=true");
  // Same document but for `now`, the created/ts-free timestamps stay equal.
  assert.deepEqual({ ...overHttp, now: "" }, JSON.parse(JSON.stringify({ ...inProcess, now: "" })) as Json);
  assert.equal(server.varz().jetstream.stats?.api.total, 5);
});

test("/metrics has JetStream gauges", { timeout: 30_000 }, async (t) => {
  const { monitorPort, url, server } = await startJetStreamServer(t);
  await runJsWorkload(await withClient(t, url));
  const res = await httpGet(monitorPort, "/metrics");
  assert.equal(res.status, 200);
  const value = (name: string): number => {
    const m = new RegExp(`^${name}\\{server_id="${server.id}"\\} (\\S+)$`, "m").exec(res.body);
    assert.ok(m, `${name} in /metrics`);
    return Number(m[1]);
  };
  assert.equal(value("gnatsd_jsz_disabled"), 0);
  assert.equal(value("gnatsd_jsz_streams"), 2);
  assert.equal(value("gnatsd_jsz_consumers"), 1);
  assert.equal(value("gnatsd_jsz_messages"), 4);
  assert.equal(value("gnatsd_jsz_bytes"), 149);
  assert.equal(value("gnatsd_jsz_memory"), 20);
  assert.equal(value("gnatsd_jsz_storage"), 129);
  assert.equal(value("gnatsd_jsz_reserved_memory"), 1024 * 1024);
  assert.equal(value("gnatsd_jsz_api_total"), 5);
  assert.equal(value("gnatsd_jsz_api_errors"), 1);
});

/** Fields whose values the workload decides (the rest: ids, times, paths, limits of the machine). */
const JSZ_EQUAL = new Set([
  "memory", "storage", "reserved_memory", "reserved_storage", "accounts", "ha_assets", "total", "errors",
  "streams", "consumers", "messages", "bytes", "disabled", "name", "id",
  "first_seq", "last_seq", "num_subjects", "consumer_count", "stream_name",
  "num_ack_pending", "num_redelivered", "num_waiting", "num_pending", "consumer_seq", "stream_seq",
  "durable_name", "deliver_policy", "ack_policy", "ack_wait", "max_deliver", "replay_policy", "max_waiting", "max_ack_pending",
  "retention", "max_consumers", "max_msgs", "max_bytes", "max_age", "max_msgs_per_subject", "max_msg_size", "discard", "storage",
  "num_replicas", "duplicate_window",
]);

/** Config fields of later releases (2.10+) the broker's STREAM.INFO carries too. */
const JSZ_OURS_ONLY = new Map([
  ["compression", "StreamConfig.compression, nats-server 2.10"],
  ["consumer_limits", "StreamConfig.consumer_limits, nats-server 2.10"],
  ["metadata", "stream and consumer metadata with _nats.req.level, stored since nats-server 2.11 (jetstream_versioning.go)"],
]);

test("/jsz and /varz jetstream have nats-server 2.9.10's fields, types and workload values", { timeout: 60_000 }, async (t) => {
  if (!hasNatsServer()) {
    assert.notEqual(process.env["CI"], "true", "nats-server is not installed");
    t.skip("nats-server binary not installed");
    return;
  }
  const theirDir = tempDir(t);
  const ref = await startReferenceWithMonitor(t, `jetstream { store_dir: "${theirDir}" }\n`);
  const ours = await startJetStreamServer(t);
  await runJsWorkload(await withClient(t, `nats://127.0.0.1:${ref.port}`));
  await runJsWorkload(await withClient(t, ours.url));

  const paths = ["/jsz", "/jsz?accounts=true", "/jsz?streams=true", "/jsz?consumers=true", "/jsz?accounts=true&streams=true&consumers=true&config=true", "/jsz?acc=$G"];
  for (const path of paths) {
    const mine = await getJson<Json>(ours.monitorPort, path);
    const theirs = await getJson<Json>(ref.monitorPort, path);
    const problems = shapeDifferences(mine, theirs, { equal: JSZ_EQUAL, oursOnly: JSZ_OURS_ONLY }, path);
    assert.deepEqual(problems, [], `${path} differs from nats-server:\n${problems.join("\n")}`);
  }
  // The uint64 reservations are written digit for digit as Go writes them.
  const mineRaw = (await httpGet(ours.monitorPort, "/jsz?accounts=true")).body;
  const theirsRaw = (await httpGet(ref.monitorPort, "/jsz?accounts=true")).body;
  const reserved = /"reserved_storage": (\d+)/g;
  assert.deepEqual([...mineRaw.matchAll(reserved)].map((m) => m[1]), [...theirsRaw.matchAll(reserved)].map((m) => m[1]));

  const mineVarz = await getJson<{ jetstream: Json }>(ours.monitorPort, "/varz");
  const theirVarz = await getJson<{ jetstream: Json }>(ref.monitorPort, "/varz");
  const problems = shapeDifferences(mineVarz.jetstream, theirVarz.jetstream, { equal: JSZ_EQUAL }, "/varz.jetstream");
  assert.deepEqual(problems, [], problems.join("\n"));
});

test("/jsz with JetStream off has nats-server 2.9.10's shape", { timeout: 30_000 }, async (t) => {
  if (!hasNatsServer()) {
    assert.notEqual(process.env["CI"], "true", "nats-server is not installed");
    t.skip("nats-server binary not installed");
    return;
  }
  const ref = await startReferenceWithMonitor(t);
  const ours = await startMonitored(t);
  for (const path of ["/jsz", "/jsz?accounts=true&streams=true"]) {
    const problems = shapeDifferences(await getJson<Json>(ours.monitorPort, path), await getJson<Json>(ref.monitorPort, path), { equal: JSZ_EQUAL }, path);
    assert.deepEqual(problems, [], problems.join("\n"));
  }
  const mineVarz = await getJson<{ jetstream: Json }>(ours.monitorPort, "/varz");
  const theirVarz = await getJson<{ jetstream: Json }>(ref.monitorPort, "/varz");
  assert.deepEqual(mineVarz.jetstream, theirVarz.jetstream);
});

test("the dashboard shows JetStream and leaf node cards when they are on, from /jsz and /varz", { timeout: 60_000 }, async (t) => {
  if (!requireChromium(t)) return;
  const { chromium } = await import("playwright-core");
  const server = await startMonitored(t, { jetstream: { storeDir: tempDir(t) }, leafnodes: { port: 0 } });
  const nc = await withClient(t, `nats://127.0.0.1:${server.ports.nats!.port}`);
  await runJsWorkload(nc);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(err.message));
  await page.goto(`http://127.0.0.1:${server.monitorPort}/?interval=250`, { timeout: 15_000 });
  // Polled from outside: the page's CSP forbids the eval waitForFunction needs.
  const deadline = Date.now() + 10_000;
  while ((await page.locator("#js-streams").innerText()) !== "2") {
    if (Date.now() > deadline) throw new Error("the JetStream card never showed 2 streams");
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await page.locator("#js-card").isVisible(), true);
  assert.equal(await page.locator("#js-messages").innerText(), "4");
  assert.equal(await page.locator("#js-bytes").innerText(), "149 B");
  assert.equal(await page.locator("#leaf-card").isVisible(), true);
  assert.equal(await page.locator("#leafnodes").innerText(), "0");
  assert.equal(await page.locator("#leaf-roles").innerText(), `hub on ${server.leafNodePort!}`);
  assert.equal(await page.locator("#nav-jsz").isVisible(), true);
  assert.deepEqual(problems, []);
});

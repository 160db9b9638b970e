/**
 * `/metrics` is well-formed Prometheus text (checked by a strict parser of the exposition
 * format), names follow the NATS exporter's, values agree with `/varz`, `/subsz` and `/jsz`, and
 * each server uses a registry of its own, never prom-client's global one. The JetStream names
 * and labels below are prometheus-nats-exporter v0.20.1's (collector/jsz.go, `-jsz=all`, and
 * its flattening of `/varz` in collector/collector.go), written out literally on purpose.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry, register } from "prom-client";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { SUBSZ_METRICS, VARZ_METRICS } from "../../src/monitor/metrics.ts";
import { JetStreamMetrics, METRICS_CONSUMER_LIMIT, METRICS_STREAM_LIMIT } from "../../src/monitor/jetstream-metrics.ts";
import type { Jsz, StreamDetail } from "../../src/monitor/jsz.ts";
import type { MonitorView } from "../../src/monitor/monitor-view.ts";
import { getJson, httpGet, runWorkload, startMonitored } from "./monitor-helpers.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  help?: string;
  type?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Parses the Prometheus text exposition format (0.0.4), throwing on anything malformed. */
function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { samples: [] }));
    return f;
  };
  assert.ok(text.endsWith("\n"), "ends with a newline");
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (m === null) continue; // other comments are allowed
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      assert.match(name, NAME, where);
      const f = family(name);
      if (kind === "HELP") {
        assert.equal(f.help, undefined, `${where}: one HELP per family`);
        f.help = rest;
      } else {
        assert.equal(f.type, undefined, `${where}: one TYPE per family`);
        assert.equal(f.samples.length, 0, `${where}: TYPE before the samples`);
        assert.ok(TYPES.has(rest), `${where}: a known type`);
        f.type = rest;
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    assert.ok(m !== null, `${where}: a sample`);
    const [, name, , labelText, valueText] = m as unknown as [string, string, string | undefined, string | undefined, string];
    const labels: Record<string, string> = {};
    if (labelText !== undefined && labelText !== "") {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/y;
      let at = 0;
      while (at < labelText.length) {
        re.lastIndex = at;
        const l = re.exec(labelText);
        assert.ok(l !== null, `${where}: labels`);
        labels[l[1]!] = l[2]!;
        at = re.lastIndex;
      }
    }
    const value = valueText === "+Inf" ? Infinity : valueText === "-Inf" ? -Infinity : valueText === "NaN" ? NaN : Number(valueText);
    assert.ok(!Number.isNaN(value) || valueText === "NaN", `${where}: a number`);
    const f = families.get(name);
    assert.ok(f?.type !== undefined, `${where}: declared with TYPE first`);
    f.samples.push({ name, labels, value });
  }
  return families;
}

test("/metrics is Prometheus text with the exporter's names and /varz's values", async (t) => {
  const server = await startMonitored(t);
  const workload = await runWorkload(server.port);
  t.after(() => workload.close());
  const res = await httpGet(server.monitorPort, "/metrics");
  assert.equal(res.status, 200);
  assert.equal(res.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  const families = parsePrometheus(res.body);
  const varz = await getJson(server.monitorPort, "/varz");
  const subsz = await getJson(server.monitorPort, "/subsz");
  const value = (name: string): number => {
    const f = families.get(name);
    assert.ok(f !== undefined, `${name} present`);
    assert.equal(f.type, "gauge", name);
    assert.ok(f.help !== undefined && f.help !== "", `${name} has help`);
    assert.equal(f.samples.length, 1, name);
    assert.deepEqual(f.samples[0]!.labels, { server_id: server.id }, name);
    return f.samples[0]!.value;
  };
  for (const field of VARZ_METRICS) {
    if (field === "mem" || field === "cpu") {
      assert.ok(value(`gnatsd_varz_${field}`) >= 0);
      continue;
    }
    assert.equal(value(`gnatsd_varz_${field}`), varz[field], field);
  }
  for (const field of ["num_subscriptions", "num_inserts", "num_removes"] as const) assert.equal(value(`gnatsd_subsz_${field}`), subsz[field], field);
  for (const field of SUBSZ_METRICS) value(`gnatsd_subsz_${field}`);
  assert.equal(value("gnatsd_varz_in_msgs"), 19);
  assert.equal(value("gnatsd_varz_out_bytes"), 81);
  assert.equal(value("gnatsd_connz_total"), 2);
  assert.equal(value("gnatsd_connz_pending_bytes"), 0);
  assert.equal(value("gnatsd_varz_ping_interval"), 120_000_000_000, "nanoseconds, as /varz");
});

test("each server has its own registry; prom-client's global one is left alone", async (t) => {
  const globalBefore = (await register.getMetricsAsJSON()).length;
  const one = await startMonitored(t);
  const two = await startMonitored(t);
  const a = parsePrometheus((await httpGet(one.monitorPort, "/metrics")).body);
  const b = parsePrometheus((await httpGet(two.monitorPort, "/metrics")).body);
  assert.equal(a.get("gnatsd_varz_connections")!.samples[0]!.labels["server_id"], one.id);
  assert.equal(b.get("gnatsd_varz_connections")!.samples[0]!.labels["server_id"], two.id);
  assert.equal((await register.getMetricsAsJSON()).length, globalBefore);
});

/** The exporter's server-level JetStream families (collector/jsz.go). */
const EXPORTER_SERVER = [
  "jetstream_server_jetstream_disabled",
  "jetstream_server_total_streams",
  "jetstream_server_total_consumers",
  "jetstream_server_total_messages",
  "jetstream_server_total_message_bytes",
  "jetstream_server_max_memory",
  "jetstream_server_max_storage",
];
const SERVER_LABEL_NAMES = ["server_id", "server_name", "cluster", "domain", "meta_leader", "is_meta_leader"];
const ACCOUNT_LABEL_NAMES = [...SERVER_LABEL_NAMES, "account", "account_name", "account_id"];
const STREAM_LABEL_NAMES = [...ACCOUNT_LABEL_NAMES, "stream_name", "stream_leader", "is_stream_leader", "stream_raft_group"];
const CONSUMER_LABEL_NAMES = [...STREAM_LABEL_NAMES, "consumer_name", "consumer_leader", "is_consumer_leader", "consumer_desc"];

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "metrics-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The samples of `name`, asserting the family is a gauge with help. */
function samplesOf(families: Map<string, Family>, name: string): Sample[] {
  const f = families.get(name);
  assert.ok(f !== undefined, `${name} present`);
  assert.equal(f.type, "gauge", `${name} is a gauge`);
  assert.ok(f.help !== undefined && f.help !== "", `${name} has help`);
  return f.samples;
}

/** The one sample of `name` whose labels include `match`. */
function sampleOf(families: Map<string, Family>, name: string, match: Record<string, string> = {}): Sample {
  const found = samplesOf(families, name).filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
  assert.equal(found.length, 1, `one ${name} sample for ${JSON.stringify(match)}`);
  return found[0]!;
}

test("JetStream numbers carry prometheus-nats-exporter's names, labels and values", { timeout: 30_000 }, async (t) => {
  const server = await startMonitored(t, { jetstream: { storeDir: tempDir(t) } });
  const nc = await connect({ servers: `nats://127.0.0.1:${server.ports.nats!.port}`, reconnect: false });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], max_msgs: 100, max_bytes: 4096 });
  await jsm.streams.add({ name: "MEM", subjects: ["mem"], storage: StorageType.Memory });
  const js = jetstream(nc);
  await js.publish("orders.a", "one");
  await js.publish("orders.b", "two");
  await js.publish("orders.a", "three");
  await js.publish("mem", "x");
  await jsm.consumers.add("ORDERS", { durable_name: "C1", description: "billing", ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get("ORDERS", "C1");
  const first = await consumer.next({ expires: 2000 });
  assert.ok(first !== null);
  assert.ok(await first.ackAck(), "first acknowledged");
  const second = await consumer.next({ expires: 2000 });
  assert.equal(second?.seq, 2, "second delivered, left unacknowledged");

  const res = await httpGet(server.monitorPort, "/metrics");
  assert.equal(res.status, 200);
  const families = parsePrometheus(res.body);
  const jsz = await getJson<Jsz>(server.monitorPort, "/jsz?accounts=true");
  const varz = await getJson<{ server_name: string; jetstream: { config: Record<string, number>; stats: Record<string, number> & { api: { total: number; errors: number } } } }>(
    server.monitorPort,
    "/varz",
  );

  // Server level: the exporter's names, its six labels, a lone server's label values.
  const serverLabels = { server_id: server.id, server_name: varz.server_name, cluster: "", domain: "", meta_leader: "", is_meta_leader: "true" };
  for (const name of EXPORTER_SERVER) {
    const samples = samplesOf(families, name);
    assert.equal(samples.length, 1, name);
    assert.deepEqual(samples[0]!.labels, serverLabels, name);
  }
  const serverValue = (name: string): number => sampleOf(families, `jetstream_server_${name}`).value;
  assert.equal(serverValue("jetstream_disabled"), 0);
  assert.equal(serverValue("total_streams"), 2);
  assert.equal(serverValue("total_consumers"), 1);
  assert.equal(serverValue("total_messages"), 4);
  assert.equal(serverValue("total_message_bytes"), jsz.bytes);
  assert.equal(serverValue("max_memory"), jsz.config.max_memory);
  assert.equal(serverValue("max_storage"), jsz.config.max_storage);

  // Account level.
  const account = jsz.account_details![0]!;
  for (const name of ["jetstream_account_max_memory", "jetstream_account_max_storage", "jetstream_account_memory_used", "jetstream_account_storage_used"]) {
    const s = sampleOf(families, name);
    assert.deepEqual(Object.keys(s.labels).sort(), [...ACCOUNT_LABEL_NAMES].sort(), name);
    assert.equal(s.labels["account"], "$G");
    assert.equal(s.labels["account_name"], "$G");
    assert.equal(s.labels["account_id"], "$G");
  }
  assert.equal(sampleOf(families, "jetstream_account_memory_used").value, account.memory);
  assert.equal(sampleOf(families, "jetstream_account_storage_used").value, account.storage);
  assert.equal(sampleOf(families, "jetstream_account_max_memory").value, account.reserved_memory);

  // Stream level: one series per stream, labelled with its name and leader.
  const orders = (name: string): number => {
    const s = sampleOf(families, `jetstream_stream_${name}`, { stream_name: "ORDERS" });
    assert.deepEqual(Object.keys(s.labels).sort(), [...STREAM_LABEL_NAMES].sort(), name);
    assert.equal(s.labels["stream_leader"], varz.server_name);
    assert.equal(s.labels["is_stream_leader"], "true");
    assert.equal(s.labels["stream_raft_group"], "");
    return s.value;
  };
  assert.equal(orders("total_messages"), 3);
  assert.equal(orders("total_bytes"), jsz.bytes - sampleOf(families, "jetstream_stream_total_bytes", { stream_name: "MEM" }).value);
  assert.equal(orders("first_seq"), 1);
  assert.equal(orders("last_seq"), 3);
  assert.equal(orders("consumer_count"), 1);
  assert.equal(orders("subject_count"), 2);
  assert.equal(orders("limit_messages"), 100);
  assert.equal(orders("limit_bytes"), 4096);
  assert.equal(sampleOf(families, "jetstream_stream_limit_bytes", { stream_name: "MEM" }).value, -1);
  assert.equal(sampleOf(families, "jetstream_stream_total_messages", { stream_name: "MEM" }).value, 1);
  assert.equal(samplesOf(families, "jetstream_stream_total_messages").length, 2);

  // Consumer level: C1 delivered 2, acknowledged 1.
  const c1 = (name: string): Sample => {
    const s = sampleOf(families, `jetstream_consumer_${name}`, { stream_name: "ORDERS", consumer_name: "C1" });
    assert.deepEqual(Object.keys(s.labels).sort(), [...CONSUMER_LABEL_NAMES].sort(), name);
    assert.equal(s.labels["consumer_desc"], "billing");
    assert.equal(s.labels["is_consumer_leader"], "true");
    return s;
  };
  assert.equal(c1("delivered_consumer_seq").value, 2);
  assert.equal(c1("delivered_stream_seq").value, 2);
  assert.equal(c1("ack_floor_consumer_seq").value, 1);
  assert.equal(c1("ack_floor_stream_seq").value, 1);
  assert.equal(c1("num_ack_pending").value, 1);
  assert.equal(c1("num_redelivered").value, 0);
  assert.equal(c1("num_waiting").value, 0);
  assert.equal(c1("num_pending").value, 1);
  for (const name of ["last_delivery_seconds", "last_ack_seconds"]) {
    const seconds = c1(name).value;
    assert.ok(seconds >= 0 && seconds < 60, `${name} is a small number of seconds: ${seconds}`);
  }

  // The `/varz` jetstream section, flattened as the exporter's -varz does (the official
  // JetStream dashboard graphs stats_memory, stats_storage and config_max_*).
  const varzValue = (name: string): number => {
    const s = sampleOf(families, `gnatsd_varz_jetstream_${name}`);
    assert.deepEqual(s.labels, { server_id: server.id }, name);
    return s.value;
  };
  assert.equal(varzValue("config_max_memory"), varz.jetstream.config["max_memory"]);
  assert.equal(varzValue("config_max_storage"), varz.jetstream.config["max_storage"]);
  for (const field of ["memory", "storage", "reserved_memory", "reserved_storage", "accounts", "ha_assets"]) {
    assert.equal(varzValue(`stats_${field}`), varz.jetstream.stats[field], field);
  }
  assert.equal(varzValue("stats_api_total"), varz.jetstream.stats.api.total);
  assert.equal(varzValue("stats_api_errors"), 0);
  assert.ok(varzValue("stats_api_total") >= 6, "the client's API calls are counted");

  // Our earlier names stay, with the same numbers.
  assert.equal(sampleOf(families, "gnatsd_jsz_streams").value, 2);
  assert.equal(sampleOf(families, "gnatsd_jsz_messages").value, 4);
});

test("deleted streams leave /metrics; with JetStream off only the server level remains", { timeout: 30_000 }, async (t) => {
  const server = await startMonitored(t, { jetstream: { storeDir: tempDir(t) } });
  const nc = await connect({ servers: `nats://127.0.0.1:${server.ports.nats!.port}`, reconnect: false });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "GONE", subjects: ["gone"], storage: StorageType.Memory });
  await jsm.streams.add({ name: "KEPT", subjects: ["kept"], storage: StorageType.Memory });
  const before = parsePrometheus((await httpGet(server.monitorPort, "/metrics")).body);
  assert.deepEqual(samplesOf(before, "jetstream_stream_total_messages").map((s) => s.labels["stream_name"]).sort(), ["GONE", "KEPT"]);
  await jsm.streams.delete("GONE");
  const after = parsePrometheus((await httpGet(server.monitorPort, "/metrics")).body);
  assert.deepEqual(samplesOf(after, "jetstream_stream_total_messages").map((s) => s.labels["stream_name"]), ["KEPT"]);
  assert.equal(sampleOf(after, "jetstream_server_total_streams").value, 1);

  const off = await startMonitored(t);
  const families = parsePrometheus((await httpGet(off.monitorPort, "/metrics")).body);
  assert.equal(sampleOf(families, "jetstream_server_jetstream_disabled", { server_id: off.id }).value, 1);
  assert.equal(sampleOf(families, "jetstream_server_total_streams").value, 0);
  assert.equal(sampleOf(families, "jetstream_server_max_memory").value, 0);
  // As the exporter: no account, stream or /varz jetstream series when /jsz has none.
  assert.equal(samplesOf(families, "jetstream_account_storage_used").length, 0);
  assert.equal(samplesOf(families, "jetstream_stream_total_messages").length, 0);
  assert.equal(samplesOf(families, "gnatsd_varz_jetstream_stats_memory").length, 0);
});

test("stream and consumer series stop at the documented limits, first by name", async () => {
  const stream = (i: number): StreamDetail => ({
    name: `S${String(i).padStart(5, "0")}`,
    created: "2026-01-01T00:00:00Z",
    cluster: { leader: "n1" },
    state: { messages: i, bytes: 0, first_seq: 0, first_ts: "", last_seq: 0, last_ts: "", consumer_count: 1 },
    consumer_detail: [{ name: "C", delivered: { consumer_seq: 0, stream_seq: 0 }, ack_floor: { consumer_seq: 0, stream_seq: 0 } }],
  });
  const count = Math.max(METRICS_STREAM_LIMIT, METRICS_CONSUMER_LIMIT) + 5;
  // Listed in reverse so that "first by name" is not just "first listed".
  const details = Array.from({ length: count }, (_, i) => stream(count - 1 - i));
  const doc = {
    server_id: "ID",
    now: "",
    config: { max_memory: -1, max_storage: -1 },
    memory: 0,
    storage: 0,
    reserved_memory: 0,
    reserved_storage: 0,
    accounts: 1,
    ha_assets: 0,
    api: { total: 0, errors: 0 },
    streams: count,
    consumers: count,
    messages: 0,
    bytes: 0,
    account_details: [{ name: "$G", id: "$G", memory: 0, storage: 0, reserved_memory: 0, reserved_storage: 0, accounts: 0, ha_assets: 0, api: { total: 0, errors: 0 }, stream_detail: details }],
  } satisfies Jsz;
  const registry = new Registry();
  new JetStreamMetrics(registry).update({ id: "ID", name: "n1" } as MonitorView, doc, {});
  const families = parsePrometheus(await registry.metrics());
  const streams = samplesOf(families, "jetstream_stream_total_messages");
  assert.equal(streams.length, METRICS_STREAM_LIMIT);
  assert.equal(streams.some((s) => s.labels["stream_name"] === "S00000"), true, "the first name is kept");
  assert.equal(streams.some((s) => s.labels["stream_name"] === `S${String(count - 1).padStart(5, "0")}`), false, "the last name is cut");
  assert.equal(samplesOf(families, "jetstream_consumer_num_pending").length, Math.min(METRICS_STREAM_LIMIT, METRICS_CONSUMER_LIMIT));
  assert.equal(sampleOf(families, "jetstream_server_total_streams").value, count, "the totals count every stream");
  // No delivery or ack yet: the exporter leaves these series out.
  assert.equal(samplesOf(families, "jetstream_consumer_last_delivery_seconds").length, 0);
});

/**
 * `/metrics` is well-formed Prometheus text (checked by a strict parser of the exposition
 * format), names follow the NATS exporter's, values agree with `/varz` and `/subsz`, and each
 * server uses a registry of its own, never prom-client's global one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { register } from "prom-client";
import { SUBSZ_METRICS, VARZ_METRICS } from "../../src/monitor/metrics.ts";
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

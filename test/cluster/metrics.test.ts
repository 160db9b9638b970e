/** Routes in `/metrics` (Prometheus) and on the dashboard; route TLS in `/varz` `cluster`. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeTestCerts } from "../helpers/certs.ts";
import { eventually, routesUp, routeUrl, startNode } from "./helpers.ts";

function series(text: string, name: string): { labels: string; value: number }[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => {
      const value = Number(line.slice(line.lastIndexOf(" ") + 1));
      const labels = line.includes("{") ? line.slice(line.indexOf("{") + 1, line.indexOf("}")) : "";
      return { labels, value };
    });
}

describe("route metrics", { timeout: 30_000 }, () => {
  it("counts routes and each route's traffic in /metrics, and the dashboard has a routes card", async (t) => {
    const a = await startNode(t, { serverName: "A", http: 0 });
    const b = await startNode(t, { serverName: "B" }, { routes: [routeUrl(a)] });
    await routesUp(a);
    const got: string[] = [];
    b.subscribe("metered", { callback: (_e, m) => void got.push(m.string()) });
    await eventually(() => a.routes[0]!.remoteInterest > 0 && a.routez({ subs: true }).routes[0]!.subscriptions_list!.includes("metered"), "B's interest on A");
    for (let i = 0; i < 10; i++) a.publish("metered", "0123456789");
    await eventually(() => got.length === 10, "10 messages on B");

    const base = `http://127.0.0.1:${a.ports.monitoring!.port}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.deepEqual(series(text, "gnatsd_varz_routes").map((s) => s.value), [1]);
    assert.deepEqual(series(text, "gnatsd_routez_num_routes"), [{ labels: `server_id="${a.id}"`, value: 1 }]);
    const out = series(text, "gnatsd_routez_route_out_msgs");
    assert.equal(out.length, 1);
    assert.match(out[0]!.labels, new RegExp(`remote_id="${b.id}"`));
    assert.equal(out[0]!.value, 10);
    assert.equal(series(text, "gnatsd_routez_route_out_bytes")[0]!.value, 100);
    assert.ok(series(text, "gnatsd_routez_route_subscriptions")[0]!.value >= 1);

    // B leaves: its series go, the count drops.
    await b.close();
    await eventually(() => a.routes.length === 0, "the route gone");
    const after = await (await fetch(`${base}/metrics`)).text();
    assert.deepEqual(series(after, "gnatsd_routez_num_routes").map((s) => s.value), [0]);
    assert.deepEqual(series(after, "gnatsd_routez_route_out_msgs"), []);

    const html = await (await fetch(`${base}/`)).text();
    assert.match(html, /id="route-card"/);
    assert.match(html, /href="\.\/routez"/);
  });

  it("/varz cluster says when routes use TLS", async (t) => {
    const certs = makeTestCerts();
    t.after(() => certs.cleanup());
    const a = await startNode(t, {}, { tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, caFile: certs.caFile, timeout: 3000 } });
    const cluster = a.varz().cluster;
    assert.equal(cluster.tls_required, true);
    assert.equal(cluster.tls_verify, true);
    assert.equal(cluster.tls_timeout, 3);
  });
});

/** `/routez` and the cluster parts of `/varz`, in-process and over HTTP. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventually, routesUp, routeUrl, startNode } from "./helpers.ts";

describe("cluster monitoring", { timeout: 30_000 }, () => {
  it("reports routes in /routez and /varz", async (t) => {
    const a = await startNode(t, { serverName: "A", http: 0 });
    const b = await startNode(t, { serverName: "B" }, { routes: [routeUrl(a)] });
    await routesUp(a);
    await routesUp(b);
    b.subscribe("seen.by.a");
    // Besides B's client's, the route carries the interest of B's system account ($SYS requests).
    const own = (list: string[] | undefined): string[] => (list ?? []).filter((subject) => !subject.startsWith("$SYS."));
    await eventually(() => own(a.routez({ subs: true }).routes[0]?.subscriptions_list).length === 1, "B's interest in A's /routez");

    const rz = b.routez({ subs: true });
    assert.equal(rz.server_id, b.id);
    assert.equal(rz.num_routes, 1);
    const r = rz.routes[0]!;
    assert.equal(r.remote_id, a.id);
    assert.equal(r.did_solicit, true);
    assert.equal(r.is_configured, true);
    assert.equal(r.ip, "127.0.0.1");
    assert.equal(r.port, a.clusterPort);
    assert.equal(a.routez().routes[0]!.did_solicit, false);
    assert.equal(a.routez().routes[0]!.is_configured, false);
    assert.deepEqual(own(a.routez({ subs: true }).routes[0]!.subscriptions_list), ["seen.by.a"]);
    assert.equal(a.routez().routes[0]!.subscriptions, a.routez({ subs: true }).routes[0]!.subscriptions_list!.length);

    const vb = b.varz();
    assert.equal(vb.routes, 1);
    assert.deepEqual(vb.cluster, { name: "test", addr: "127.0.0.1", cluster_port: b.clusterPort, urls: [`127.0.0.1:${a.clusterPort}`] });

    const res = await fetch(`http://127.0.0.1:${a.ports.monitoring!.port}/routez`);
    const json = (await res.json()) as { num_routes: number; routes: { remote_id: string }[] };
    assert.equal(json.num_routes, 1);
    assert.equal(json.routes[0]!.remote_id, b.id);
  });
});

/**
 * The `$JS.API.>` import our node does for its `$G` clients when a member of the cluster serves
 * JetStream in the system account: here that member is another embedded node whose system
 * account user answers on `$JS.API.>`, standing in for nats-server's JetStream.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect, headers, type Msg } from "@nats-io/transport-node";
import { parseConfig } from "../../src/config/parser.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { createServer } from "../../src/index.ts";
import { eventually, routesUp, routeUrl, startNode } from "./helpers.ts";

describe("JetStream API import over routes", { timeout: 30_000 }, () => {
  it("forwards $G's $JS.API requests into $SYS with the account named, and the answer back", async (t) => {
    const member = await startNode(t, {
      serverName: "member",
      accounts: { $SYS: { users: [{ user: "sys", password: "pw" }] } },
      authorization: { users: [{ user: "g", password: "pw" }] },
    });
    const ours = await startNode(t, { serverName: "ours" }, { routes: [routeUrl(member)] });
    await routesUp(ours);
    const client = await connect({ servers: ours.url, reconnect: false });
    t.after(() => client.close());

    // No JetStream member: no responders, at once.
    await assert.rejects(client.request("$JS.API.INFO", "", { timeout: 2000 }), /no responders|503/i);

    const sys = await connect({ servers: member.url, user: "sys", pass: "pw", reconnect: false });
    t.after(() => sys.close());
    const seen: Msg[] = [];
    const api = sys.subscribe("$JS.API.>", {
      callback: (_e, m) => {
        seen.push(m);
        m.respond(JSON.stringify({ type: "io.nats.jetstream.api.v1.account_info_response", subject: m.subject }));
      },
    });
    await sys.flush();
    await eventually(() => ours.routes[0]!.remoteInterest > 0 && ours.numSubscriptions > 0, "the member's $JS.API.> interest", 5000);

    // A client's own Nats-Request-Info is replaced: it cannot speak for another account.
    const h = headers();
    h.set("Nats-Request-Info", JSON.stringify({ acc: "$SYS" }));
    h.set("X-Kept", "yes");
    const reply = await client.request("$JS.API.INFO", "{}", { timeout: 3000, headers: h });
    assert.deepEqual(reply.json(), { type: "io.nats.jetstream.api.v1.account_info_response", subject: "$JS.API.INFO" });
    assert.equal(seen.length, 1);
    const infos = seen[0]!.headers?.values("Nats-Request-Info") ?? [];
    assert.equal(infos.length, 1);
    const info = JSON.parse(infos[0]!) as { acc: string; cluster: string };
    assert.equal(info.acc, "$G");
    assert.equal(info.cluster, "test");
    assert.equal(seen[0]!.headers?.get("X-Kept"), "yes");
    assert.match(seen[0]!.reply ?? "", /^_R_\./);

    // Without headers, and a string published in-process on our node.
    const inProcess = await ours.request("$JS.API.STREAM.NAMES", "{}", { timeout: 3000 });
    assert.equal(inProcess.json<{ subject: string }>().subject, "$JS.API.STREAM.NAMES");

    // The member leaves JetStream: the import goes, and requests get no responders again.
    api.unsubscribe();
    await sys.flush();
    const t0 = Date.now();
    for (;;) {
      try {
        await client.request("$JS.API.INFO", "", { timeout: 300 });
      } catch (err) {
        if (/no responders|503/i.test(String(err))) break;
      }
      if (Date.now() - t0 > 5000) assert.fail("the import did not go away");
    }
  });

  it("refuses local JetStream in a cluster, from a config file too, and says where JetStream goes instead", () => {
    const { options } = optionsFromConfig(parseConfig("jetstream { store_dir: /tmp/x }\ncluster { name: c, port: -1 }\n", { file: "/x.conf" }));
    assert.throws(() => createServer(options), /cluster.*cannot be combined with jetstream: JetStream in a cluster is nats-server's/);
  });
});

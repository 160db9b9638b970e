/** The `cluster { }` block, the cluster flags, and the `cluster` option's checks. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "../../src/config/parser.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { parseCommandLine, resolveSettings } from "../../src/cli-args.ts";
import { createServer } from "../../src/index.ts";

const FILE = "/etc/nats/cluster.conf";

function mapped(text: string) {
  return optionsFromConfig(parseConfig(text, { file: FILE }));
}

describe("cluster configuration", () => {
  it("maps nats-server's cluster block", () => {
    const m = mapped(`
      cluster {
        name: east
        listen: "127.0.0.1:6333"
        routes: ["nats-route://127.0.0.1:6334", "nats-route://u:p@127.0.0.1:6335"]
        authorization { user: ruser, password: rpass, timeout: 3 }
        no_advertise: true
        connect_retries: 5
        advertise: "nat.example.com:16222"
        pool_size: 3
      }`);
    assert.deepEqual(m.options.cluster, {
      name: "east",
      host: "127.0.0.1",
      port: 6333,
      routes: ["nats-route://127.0.0.1:6334", "nats-route://u:p@127.0.0.1:6335"],
      authorization: { user: "ruser", password: "rpass", timeout: 3 },
      noAdvertise: true,
      connectRetries: 5,
      advertise: "nat.example.com:16222",
    });
    assert.deepEqual(m.warnings, [
      `${FILE}:10:9: "pool_size" 3 in "cluster": routes are not pooled here, one route per server carries every account (as pool_size: -1); ignored`,
    ]);
  });

  it("defaults the route port as nats-server, and -1 picks one", () => {
    assert.equal(mapped("cluster { name: x }").options.cluster?.port, 6222);
    assert.equal(mapped("cluster { port: -1 }").options.cluster?.port, 0);
  });

  it("takes advertise under either of nats-server's names (opts.go: advertise, cluster_advertise)", () => {
    assert.equal(mapped('cluster { port: 1, advertise: "10.0.0.1" }').options.cluster?.advertise, "10.0.0.1");
    assert.equal(mapped('cluster { port: 1, cluster_advertise: "[fd00::1]:7000" }').options.cluster?.advertise, "[fd00::1]:7000");
    assert.deepEqual(mapped('cluster { port: 1, advertise: "h:2" }').warnings, []);
    assert.throws(() => mapped("cluster { advertise: 5 }"), /advertise/);
  });

  it("refuses an unknown key", () => {
    assert.throws(() => mapped("cluster { bogus: 1 }"), /unknown field "bogus"/);
  });

  it("takes --cluster, --cluster_name and --routes over the file", () => {
    const request = parseCommandLine(["--cluster", "nats://127.0.0.1:-1", "--cluster_name", "west", "--routes", "nats-route://127.0.0.1:7001,nats-route://127.0.0.1:7002"]);
    assert.ok("flags" in request);
    const file = mapped("cluster { name: east, port: 6333, no_advertise: true }");
    const settings = resolveSettings(request.flags, file);
    assert.deepEqual(settings.options.cluster, {
      name: "west",
      port: 0,
      host: "127.0.0.1",
      noAdvertise: true,
      routes: ["nats-route://127.0.0.1:7001", "nats-route://127.0.0.1:7002"],
    });
  });

  it("takes --cluster_advertise over the file's advertise", () => {
    const request = parseCommandLine(["--cluster", "nats://127.0.0.1:-1", "--cluster_advertise", "public.example.com:16222"]);
    assert.ok("flags" in request);
    assert.deepEqual(request.flags.cluster, { port: 0, host: "127.0.0.1", advertise: "public.example.com:16222" });
    const settings = resolveSettings(request.flags, mapped('cluster { name: east, port: 6333, advertise: "file.example.com" }'));
    assert.equal(settings.options.cluster?.advertise, "public.example.com:16222");
    // As the other cluster flags, it needs a route listener from --cluster or the file.
    const alone = parseCommandLine(["--cluster_advertise", "h:1"]);
    assert.ok("flags" in alone);
    assert.throws(() => resolveSettings(alone.flags, undefined), /--cluster_advertise need --cluster/);
  });

  it("checks the cluster option at createServer()", () => {
    assert.throws(() => createServer({ cluster: { port: 70000 } }), /cluster\.port/);
    assert.throws(() => createServer({ cluster: { port: 0, routes: ["http://x:1"] } }), /cluster\.routes/);
    assert.throws(() => createServer({ cluster: { port: 0, name: "a b" } }), /cluster\.name/);
    // JetStream in a cluster is nats-server's: a member's own store "replicated" by routes would lose data.
    assert.throws(() => createServer({ cluster: { port: 0 }, jetstream: true }), /cannot be combined with jetstream/);
    assert.doesNotThrow(() => createServer({ cluster: { port: 0 }, jetstream: false }));
  });
});

/**
 * The command line as nats.js's test launcher drives nats-server: `--cluster` with a random
 * port, the route port in the ports file, and a second process joining with `--routes`.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { startCli, tempDir } from "../cli/cli-process.ts";
import { eventually } from "./helpers.ts";

interface PortsJson {
  nats: string[];
  cluster?: string[];
}

async function portsOf(pid: number, dir: string): Promise<PortsJson> {
  const path = join(dir, `nats-server_${pid}.ports`);
  await eventually(() => existsSync(path), "the ports file", 20_000);
  return JSON.parse(readFileSync(path, "utf8")) as PortsJson;
}

describe("cluster from the command line", { timeout: 60_000 }, () => {
  it("writes the route port to the ports file, and a second process joins by --routes", async (t) => {
    const dir = tempDir(t);
    const first = startCli(t, ["-p", "-1", "--cluster", "nats://127.0.0.1:-1", "--cluster_name", "cli", "--ports_file_dir", dir]);
    const p1 = await portsOf(first.pid, dir);
    assert.equal(p1.cluster?.length, 1);
    assert.match(p1.cluster![0]!, /^nats:\/\/127\.0\.0\.1:\d+$/);
    const routeUrl = p1.cluster![0]!.replace("nats://", "nats-route://");
    const second = startCli(t, ["-p", "-1", "--cluster", "nats://127.0.0.1:-1", "--cluster_name", "cli", "--routes", routeUrl, "--ports_file_dir", dir]);
    const p2 = await portsOf(second.pid, dir);
    const a = await connect({ servers: p1.nats[0]!, reconnect: false });
    const b = await connect({ servers: p2.nats[0]!, reconnect: false });
    t.after(() => a.close());
    t.after(() => b.close());
    const got: string[] = [];
    b.subscribe("cli.x", { callback: (_e, m) => void got.push(m.string()) });
    await b.flush();
    const deadline = Date.now() + 10_000;
    while (got.length === 0 && Date.now() < deadline) {
      a.publish("cli.x", "across processes");
      await a.flush();
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(got[0], "across processes");
    assert.equal(await second.stop(), 0);
    assert.equal(await first.stop(), 0);
  });
});

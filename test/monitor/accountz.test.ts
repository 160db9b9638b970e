/**
 * `/accountz` and `/accstatz` against Debian's nats-server 2.9.10, from one configuration file:
 * the list of accounts, an account's exports, imports and mappings, and the connections each
 * account has. nats-server's system imports (`$SYS.REQ.ACCOUNT.PING.CONNZ`, ...), its sublist
 * counters and the order of its account list (a Go map's) are left out of the comparison.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from "../helpers/chromium.ts";

const CONFIG = `
accounts {
  A: {
    users: [ { user: a, password: pw } ]
    exports: [ { stream: "orders.>" }, { service: "svc.>", response_type: stream }, { service: "private", accounts: [B] } ]
    mappings: { "x": "y", "w": [ { destination: "w1", weight: 40 }, { destination: "w2", weight: 60 } ] }
  }
  B: {
    users: [ { user: b, password: pw } ]
    imports: [
      { stream: { account: A, subject: "orders.>" }, prefix: feed }
      { service: { account: A, subject: "svc.>" } }
      { service: { account: A, subject: "private" }, to: "mine" }
    ]
  }
}
`;

type Json = Record<string, unknown>;

async function snapshot(http: number, port: number): Promise<Json> {
  const get = async (path: string): Promise<Json> => (await (await fetch(`http://127.0.0.1:${http}${path}`)).json()) as Json;
  const conns: NatsConnection[] = [];
  try {
    for (const user of ["a", "a", "b"]) conns.push(await connect({ servers: `127.0.0.1:${port}`, user, pass: "pw", reconnect: false }));
    const list = ((await get("/accountz"))["accounts"] as string[]).sort();
    const detail = async (acc: string): Promise<Json> => {
      const d = (await get(`/accountz?acc=${acc}`))["account_detail"] as Json;
      const { update_time: _t, sublist_stats: _s, subscriptions: _n, ...rest } = d;
      const sortBySubject = (xs: unknown): unknown => (Array.isArray(xs) ? [...(xs as Json[])].sort((p, q) => String(p["subject"]).localeCompare(String(q["subject"]))) : xs);
      const imports = Array.isArray(rest["imports"]) ? (rest["imports"] as Json[]).filter((i) => i["account"] !== "$SYS") : undefined;
      return { ...rest, exports: sortBySubject(rest["exports"]), ...(imports === undefined || imports.length === 0 ? { imports: undefined } : { imports: sortBySubject(imports) }) };
    };
    const statz = ((await get("/accstatz"))["account_statz"] as Json[]).map((s) => [s["acc"], s["conns"], s["total_conns"]]).sort();
    const unused = ((await get("/accstatz?unused=1"))["account_statz"] as Json[]).map((s) => s["acc"]).sort();
    return { list, a: await detail("A"), b: await detail("B"), statz, unused, system: (await get("/accountz"))["system_account"] };
  } finally {
    await Promise.all(conns.map((nc) => nc.close()));
  }
}

test("/accountz and /accstatz show what nats-server 2.9.10 shows", { timeout: 60_000 }, async (t: TestContext) => {
  if (!hasNatsServer()) {
    assert.notEqual(process.env["CI"], "true", "nats-server is not installed: .ci/run must apt-get install it");
    t.skip("nats-server binary not installed (apt-get install -y nats-server)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "accountz-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const reference = await startNatsServer([], { config: `http: "127.0.0.1:-1"\n${CONFIG}` });
  let expected: Json;
  try {
    const monitor = /Starting http monitor on [^\s:]+:(\d+)/.exec(reference.log());
    assert.ok(monitor !== null, "nats-server's monitoring port");
    expected = await snapshot(Number(monitor[1]), reference.port);
  } finally {
    await reference.stop();
  }
  writeFileSync(join(dir, "a.conf"), CONFIG);
  const ours = createServer({ configFile: join(dir, "a.conf"), host: "127.0.0.1", port: 0, http: 0 });
  await ours.listen();
  t.after(() => ours.close());
  const actual = await snapshot(ours.ports.monitoring!.port, ours.ports.nats!.port);
  assert.deepEqual(expected["list"], ["$G", "$SYS", "A", "B"]);
  assert.ok(Array.isArray((expected["b"] as Json)["imports"]), "nats-server lists B's imports");
  assert.deepEqual(actual, expected);
  // In-process, the same documents.
  assert.deepEqual((ours.accountz()["accounts"] as string[]).sort(), ["$G", "$SYS", "A", "B"]);
  assert.deepEqual(ours.accstatz({ unused: true })["account_statz"] instanceof Array, true);
});

test("the dashboard shows an accounts card once accounts are configured", { timeout: 60_000 }, async (t) => {
  if (!requireChromium(t)) return;
  const { chromium } = await import("playwright-core");
  const server = createServer({
    host: "127.0.0.1",
    port: 0,
    http: 0,
    accounts: { A: { users: [{ user: "a", password: "pw" }] }, B: { users: [{ user: "b", password: "pw" }] } },
  });
  await server.listen();
  t.after(() => server.close());
  const nc = await connect({ servers: `127.0.0.1:${server.ports.nats!.port}`, user: "a", pass: "pw", reconnect: false });
  t.after(() => nc.close());
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(err.message));
  await page.goto(`http://127.0.0.1:${server.ports.monitoring!.port}/?interval=250`, { timeout: 15_000 });
  const deadline = Date.now() + 10_000;
  while ((await page.locator("#accounts-total").innerText()) !== "2") {
    if (Date.now() > deadline) throw new Error("the accounts card never showed 2 accounts");
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await page.locator("#account-card").isVisible(), true);
  assert.equal(await page.locator("#accounts-active").innerText(), "1");
  assert.equal(await page.locator("#nav-accountz").isVisible(), true);
  assert.deepEqual(problems, []);
});

/**
 * Route permissions (`cluster { permissions { import, export } }`, route.go canImport and
 * canExport): the restricted server tells the routes only what it imports and takes interest
 * only in what it exports. The same scenario runs with our node restricted and with
 * nats-server 2.9.10 restricted, and must give the same deliveries.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { parseConfig } from "../../src/config/parser.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { createServer } from "../../src/index.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { freePort } from "../leafnode/helpers.ts";
import { eventually, routesUp, routeUrl, sleep, startNode } from "./helpers.ts";

const skip = hasNatsServer() ? false : "nats-server is not installed";

const PERMISSIONS = {
  import: { allow: ["in.>"], deny: ["in.secret"] },
  export: { allow: ["out.>", "svc"], deny: ["out.private"] },
};
const CONF = `permissions { import: { allow: ["in.>"], deny: ["in.secret"] }, export: { allow: ["out.>", "svc"], deny: ["out.private"] } }`;

async function client(t: TestContext, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false });
  t.after(() => nc.close());
  return nc;
}

/** Publishes `subject` from `nc` until `got` has it: interest subscribed before it has crossed. */
async function sentinel(nc: NatsConnection, subject: string, got: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!got.some((g) => g.endsWith(`|${subject}`))) {
    if (Date.now() > deadline) throw new Error(`${subject} never crossed`);
    nc.publish(subject, "");
    await sleep(25);
  }
}

/** What the plain server's and the restricted server's clients receive from each other. */
async function scenario(t: TestContext, restrictedUrl: string, plainUrl: string): Promise<{ onPlain: string[]; onRestricted: string[] }> {
  const r = await client(t, restrictedUrl);
  const p = await client(t, plainUrl);
  const onPlain: string[] = [];
  const onRestricted: string[] = [];
  for (const s of ["out.a", "out.>", "secret.x", "out.sentinel"]) p.subscribe(s, { callback: (_e, m) => void onPlain.push(`${s}|${m.subject}`) });
  for (const s of ["in.a", "in.secret", "other.b", "in.sentinel"]) r.subscribe(s, { callback: (_e, m) => void onRestricted.push(`${s}|${m.subject}`) });
  await p.flush();
  await r.flush();
  await sentinel(r, "out.sentinel", onPlain);
  await sentinel(p, "in.sentinel", onRestricted);
  await sleep(200);
  onPlain.length = 0;
  onRestricted.length = 0;
  for (const s of ["out.a", "out.private", "secret.x"]) r.publish(s, "x");
  for (const s of ["in.a", "in.secret", "other.b"]) p.publish(s, "x");
  await r.flush();
  await p.flush();
  await sleep(500);
  return { onPlain: onPlain.sort(), onRestricted: onRestricted.sort() };
}

const EXPECTED = {
  // out.private reaches out.> nowhere: the export's deny is checked at delivery.
  onPlain: ["out.>|out.a", "out.a|out.a"],
  onRestricted: ["in.a|in.a"],
};

describe("route permissions", { timeout: 60_000 }, () => {
  it("our node restricted, our node plain", async (t) => {
    const restricted = await startNode(t, { serverName: "R" }, { permissions: PERMISSIONS });
    const plain = await startNode(t, { serverName: "P" }, { routes: [routeUrl(restricted)] });
    await routesUp(restricted);
    assert.deepEqual(await scenario(t, restricted.url, plain.url), EXPECTED);
    // What the restricted node took of the plain node's interest: exported subjects only.
    await eventually(() => restricted.routes[0]!.remoteInterest === 3, "out.a, out.> and out.sentinel");
  });

  it("nats-server 2.9.10 restricted, our node plain: the same deliveries", { skip }, async (t) => {
    const clusterPort = await freePort();
    const ns = await startNatsServer([], `cluster { name: test, listen: "127.0.0.1:${clusterPort}", ${CONF} }\n`);
    t.after(() => ns.stop());
    const plain = await startNode(t, { serverName: "P" }, { routes: [`nats-route://127.0.0.1:${clusterPort}`] });
    await routesUp(plain, 1, 10_000);
    assert.deepEqual(await scenario(t, `nats://127.0.0.1:${ns.port}`, plain.url), EXPECTED);
  });

  it("our node restricted, nats-server 2.9.10 plain", { skip }, async (t) => {
    const restricted = await startNode(t, { serverName: "R" }, { permissions: PERMISSIONS });
    const ns = await startNatsServer([], `cluster { name: test, listen: "127.0.0.1:${await freePort()}", routes: ["${routeUrl(restricted)}"] }\n`);
    t.after(() => ns.stop());
    await routesUp(restricted, 1, 10_000);
    assert.deepEqual(await scenario(t, restricted.url, `nats://127.0.0.1:${ns.port}`), EXPECTED);
  });

  it("config file: cluster { permissions { } }, and bad input refused", () => {
    const m = optionsFromConfig(parseConfig(`cluster { port: -1, ${CONF} }`, { file: "/x.conf" }));
    assert.deepEqual(m.options.cluster?.permissions, PERMISSIONS);
    assert.deepEqual(m.warnings, []);
    assert.throws(() => optionsFromConfig(parseConfig(`cluster { permissions { publish: [">"] } }`, { file: "/x.conf" })), /route permissions take import and export/);
    assert.throws(() => createServer({ cluster: { port: 0, permissions: { import: ["a..b"] } } }), /valid subjects/);
    assert.throws(() => createServer({ cluster: { port: 0, permissions: { publish: [">"] } as never } }), /take import and export/);
  });
});

/**
 * The dashboard in a real browser: Debian's Chromium, driven by playwright-core, loads the page
 * from the monitoring port while official clients make traffic, and the page shows live
 * numbers, the connections table, closed connections with their reasons, a slow consumer, live
 * charts and the live tail, loading nothing from anywhere else.
 *
 * Without Chromium the test is skipped locally and fails under CI=true. With
 * UPDATE_DASHBOARD_PNG=1 the screenshot is written to docs/dashboard.png.
 */
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from "../helpers/chromium.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { startTailableMonitor, until } from "./monitor-helpers.ts";

const SCREENSHOT = new URL("../../docs/dashboard.png", import.meta.url).pathname;

test("the dashboard shows live numbers, tables, charts and the live tail in headless Chromium", { timeout: 90_000 }, async (t) => {
  if (!requireChromium(t)) return;
  const { chromium } = await import("playwright-core");

  const server = createServer({ host: "127.0.0.1", port: 0, serverName: "orders-bus", maxPending: 256 * 1024, maxPayload: 64 * 1024 });
  await server.listen();
  t.after(() => server.close());
  const monitor = await startTailableMonitor(t, server);
  const origin = `http://127.0.0.1:${monitor.port}`;

  // Traffic: three named official clients, a service answering requests, a steady publisher.
  const clients: NatsConnection[] = [];
  t.after(async () => {
    await Promise.all(clients.map((nc) => nc.close().catch(() => undefined)));
  });
  for (const name of ["orders-api", "billing-worker", "audit-log", "inventory-sync"]) clients.push(await connect({ servers: server.url, name }));
  const [api, billing, audit, inventory] = clients as [NatsConnection, NatsConnection, NatsConnection, NatsConnection];
  billing.subscribe("orders.*", { queue: "billing", callback: () => undefined });
  audit.subscribe("orders.>", { callback: () => undefined });
  billing.subscribe("billing.quote", {
    callback: (_err, msg) => {
      msg.respond("42.00");
    },
  });
  inventory.subscribe("inventory.>", { callback: () => undefined });
  await Promise.all(clients.map((nc) => nc.flush()));
  let n = 0;
  const traffic = setInterval(() => {
    for (let i = 0; i < 40; i++) api.publish(i % 2 === 0 ? "orders.created" : "orders.paid", JSON.stringify({ id: n++, total: (n % 97) + 0.5 }));
    inventory.publish("inventory.sku.4711", "x".repeat(512 + (n % 7) * 200));
    api.request("billing.quote", "order 1", { timeout: 1000 }).catch(() => undefined);
  }, 50);
  t.after(() => clearInterval(traffic));

  // A connection that comes and goes, and one that stops reading and is cut as a slow consumer.
  const leaver = await connect({ servers: server.url, name: "nightly-report" });
  await leaver.close();
  const stalled = server.inProcessConn();
  t.after(() => stalled.destroy());
  stalled.write('CONNECT {"verbose":false,"name":"stuck-dashboard","lang":"raw"}\r\nSUB inventory.> 1\r\n');
  await until(() => {
    if (server.stats.slowConsumers === 0) server.publish("inventory.restock", "r".repeat(32 * 1024));
    return server.stats.slowConsumers === 1;
  }, "the stalled client cut", 10_000);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on("pageerror", (err) => problems.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(msg.text());
  });
  page.on("request", (req) => {
    if (!req.url().startsWith(origin)) foreign.push(req.url());
  });

  // Polled with page.evaluate (run by the DevTools protocol): the page's CSP forbids the eval
  // that waitForFunction's in-page polling would need, which is the point of the CSP.
  const waitInPage = async (expression: string, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await page.evaluate(expression))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting in the page for: ${expression}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await page.goto(`${origin}/?interval=250`, { timeout: 15_000 });
  const text = (id: string): Promise<string> => page.locator(`#${id}`).innerText();
  await waitInPage("document.getElementById('connections').textContent === '4'");
  await waitInPage("document.getElementById('status').className.includes('live')");
  // Rates need two samples; wait for a few so that the charts have a history.
  await waitInPage("parseFloat(document.getElementById('in-msgs-rate').textContent.replace(/,/g, '')) > 100");
  await waitInPage("document.querySelectorAll('#conn-table tbody tr[data-cid]').length === 4");
  await waitInPage("document.querySelector('#closed-table tbody').textContent.includes('Slow Consumer')");

  assert.equal(await text("server-name"), "orders-bus");
  assert.equal(await text("total-connections"), "6");
  assert.equal(await text("slow-consumers"), "1");
  assert.match(await page.locator("#slow-card").getAttribute("class") ?? "", /warn/);
  assert.equal(await text("subscriptions"), String(server.numSubscriptions));
  const inTotal = Number((await text("in-msgs")).replace(/,/g, ""));
  assert.ok(inTotal > 100 && inTotal <= server.stats.inMsgs, `in-msgs total ${inTotal}`);
  assert.match(await text("out-bytes-rate"), /\d.*(B|KiB|MiB)/);
  const names = await page.locator("#conn-table tbody tr td:nth-child(2)").allInnerTexts();
  assert.deepEqual(names.sort(), ["audit-log", "billing-worker", "inventory-sync", "orders-api"]);
  const closedRows = await page.locator("#closed-table tbody tr").allInnerTexts();
  assert.ok(closedRows.some((r) => r.includes("nightly-report") && r.includes("Client Closed")), closedRows.join("\n"));
  assert.ok(closedRows.some((r) => r.includes("stuck-dashboard") && r.includes("Slow Consumer (Pending Bytes)")), closedRows.join("\n"));

  // The charts were drawn: the messages chart has plenty of coloured pixels.
  const painted = await page.evaluate(
    "(() => { const c = document.getElementById('chart-msgs'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })()",
  );
  assert.ok(typeof painted === "number" && painted > 2000, `chart pixels: ${String(painted)}`);

  // Opt-in live tail.
  assert.equal(await page.locator("#tail-list li").count(), 0, "nothing tailed before it is started");
  await page.fill("#tail-subject", "orders.>");
  await page.click("#tail-toggle");
  await waitInPage("document.querySelectorAll('#tail-list li').length >= 5");
  const firstTail = await page.locator("#tail-list li").first().innerText();
  assert.match(firstTail, /orders\.(created|paid) \[\d+ B\] \{"id":\d+/);
  assert.match(await text("tail-state"), /Tailing orders\.>/);

  // A few seconds of history in the charts before the picture.
  await page.waitForTimeout(5000);
  const dir = mkdtempSync(join(tmpdir(), "dashboard-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const shot = process.env["UPDATE_DASHBOARD_PNG"] === "1" ? SCREENSHOT : join(dir, "dashboard.png");
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 10_000, "a real screenshot");

  await page.click("#tail-toggle");
  assert.equal(await page.locator("#tail-toggle").innerText(), "Start");
  assert.deepEqual(foreign, [], "nothing requested from another origin");
  assert.deepEqual(problems, [], "no script errors in the page");
});

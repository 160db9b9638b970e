/**
 * End to end in a real browser: the chat example (examples/browser/) opened in headless
 * Chromium (Debian's `chromium`, driven by playwright-core). A message typed in the page must
 * reach a TCP subscriber, and messages published over TCP and in-process must appear in the
 * page: over plain ws://, and over wss:// with a test certificate (page on https), which
 * Chromium is told to trust by its public key. Skipped locally without /usr/bin/chromium;
 * under CI=true a missing browser fails.
 */
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from "../helpers/chromium.ts";
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { chromium, type Browser } from "playwright-core";
import { connect } from "@nats-io/transport-node";
import { startChatExample, CHAT_SUBJECT, type ChatExampleOptions } from "../../examples/browser/server.ts";
import { makeTestCerts } from "../helpers/certs.ts";

/** Chromium's `--ignore-certificate-errors-spki-list` value for a certificate: its key, hashed. */
function spkiHash(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

test("the chat page talks to TCP and in-process clients through the embedded broker", { timeout: 90_000 }, async (t) => {
  if (!requireChromium(t)) return;
  await chatRoundTrip(t, {}, []);
});

test("the chat page over https and wss://, with a test certificate", { timeout: 90_000 }, async (t) => {
  if (!requireChromium(t)) return;
  const certs = makeTestCerts();
  t.after(() => certs.cleanup());
  const url = await chatRoundTrip(t, { tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile } }, [
    `--ignore-certificate-errors-spki-list=${spkiHash(certs.serverCert)}`,
  ]);
  assert.match(url, /^wss:\/\/127\.0\.0\.1:\d+$/);
});

/** Opens the chat page and checks messages both ways; returns the WebSocket URL it used. */
async function chatRoundTrip(t: TestContext, options: ChatExampleOptions, browserArgs: string[]): Promise<string> {
  const chat = await startChatExample({ pagePort: 0, natsPort: 0, websocketPort: 0, ...options });
  t.after(() => chat.close());
  const transports: string[] = [];
  chat.broker.on("client:connect", (info) => void transports.push(info.transport));

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...browserArgs] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") pageErrors.push(msg.text());
  });

  await page.goto(chat.pageUrl);
  await page.waitForSelector('#status[data-state="connected"]', { timeout: 20_000 }).catch(async (err: unknown) => {
    const status = await page.textContent("#status");
    throw new Error(`the page did not connect (status: ${status}; errors: ${pageErrors.join(" | ")})`, { cause: err });
  });
  assert.deepEqual(transports, ["websocket"], "the page is a WebSocket client");

  // Page → TCP.
  const tcp = await connect({ servers: chat.natsUrl, name: "tcp listener", reconnect: false });
  t.after(() => tcp.close());
  const sub = tcp.subscribe(CHAT_SUBJECT, { max: 1 });
  await tcp.flush();
  await page.fill("#name", "alice");
  await page.fill("#text", "hello from chromium");
  await page.click("#send button");
  let timer: NodeJS.Timeout | undefined;
  const received = await Promise.race([
    (async () => {
      for await (const m of sub) return m;
      return undefined;
    })(),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 15_000))),
  ]);
  clearTimeout(timer);
  assert.ok(received !== undefined, "the TCP subscriber got the page's message");
  assert.equal(received.string(), "hello from chromium");
  assert.equal(received.headers?.get("Chat-From"), "alice");

  // TCP → page, and in-process → page.
  tcp.publish(CHAT_SUBJECT, "hello from TCP");
  await tcp.flush();
  chat.broker.publish(CHAT_SUBJECT, "hello from the host app", { headers: { "Chat-From": "host" } });
  const lines = async (): Promise<string[]> => page.$$eval("#messages li", (items) => items.map((li) => li.textContent ?? ""));
  for (const text of ["hello from TCP", "hello from the host app"]) {
    await page
      .locator("#messages li", { hasText: text })
      .waitFor({ timeout: 15_000 })
      .catch(async (err: unknown) => {
        throw new Error(`"${text}" missing in the page: ${JSON.stringify(await lines())}`, { cause: err });
      });
  }
  const shown = await lines();
  assert.ok(shown.some((l) => l.includes("alice") && l.includes("hello from chromium")), "the page's own message came back");
  assert.ok(shown.some((l) => l.includes("anonymous") && l.includes("hello from TCP")));
  assert.ok(shown.some((l) => l.includes("host") && l.includes("hello from the host app")));
  assert.deepEqual(pageErrors, []);
  assert.match(await page.textContent("#status") ?? "", new RegExp(`connected to ${chat.websocketUrl}`));
  return chat.websocketUrl;
}

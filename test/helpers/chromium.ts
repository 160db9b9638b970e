/**
 * Debian's Chromium for browser tests, started the way this machine allows (no sandbox as
 * root, no background networking: the network is closed). Locally a missing browser skips the
 * test; under CI=true, where .ci/run installs it, it fails.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import type { TestContext } from "node:test";

export const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** True when Chromium is there; otherwise skips the test (or fails it under CI). */
export function requireChromium(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  assert.notEqual(process.env["CI"], "true", `${CHROMIUM} is missing: .ci/run must apt-get install chromium`);
  t.skip(`${CHROMIUM} not installed (apt-get install -y chromium)`);
  return false;
}

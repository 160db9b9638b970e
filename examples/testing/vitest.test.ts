/**
 * `startTestServer()` with Vitest: a fresh bus and official client per test from
 * `beforeEach`, closed in `afterEach` (or use `await using t = await startTestServer()` inside
 * a test, as the node:test example does).
 *
 *   npm run example:vitest
 *   (vitest run examples/testing/vitest.test.ts)
 *
 * In your project: `import { startTestServer, type TestServer } from "nats-embedded/testing";`
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NoRespondersError } from "../../src/index.ts";
import { startTestServer, type TestServer } from "../../src/testing.ts";
import { startPricingService } from "./pricing-service.ts";

describe("pricing service", () => {
  let t: TestServer;

  beforeEach(async () => {
    t = await startTestServer();
    await startPricingService(t.nc);
  });

  afterEach(async () => {
    await t.close();
  });

  it("answers quote requests", async () => {
    const reply = await t.nc.request("pricing.quote", JSON.stringify({ sku: "pear", quantity: 4 }));
    expect(reply.json()).toEqual({ sku: "pear", quantity: 4, total: 3 });
  });

  it("publishes orders.priced for every order (checked with a tap)", async () => {
    const tap = t.server.tap("orders.priced");
    t.nc.publish("orders.created", JSON.stringify({ id: "o-1", sku: "apple", quantity: 3 }));
    const priced = await tap.next({ timeout: 1000 });
    expect(priced.json()).toEqual({ id: "o-1", total: 1.5 });
  });

  it("reports unknown skus in the reply", async () => {
    const reply = await t.server.request("pricing.quote", JSON.stringify({ sku: "kiwi", quantity: 1 }));
    expect(reply.json()).toEqual({ error: "unknown sku kiwi" });
  });

  it("fails at once when nobody listens", async () => {
    await expect(t.server.request("inventory.check", "{}")).rejects.toBeInstanceOf(NoRespondersError);
  });
});

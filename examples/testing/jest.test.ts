/**
 * `startTestServer()` with Jest (TypeScript through ts-jest): one bus and official client for
 * the file from `beforeAll`, closed in `afterAll`; a tap per test.
 *
 *   npm run example:jest
 *   (node --experimental-vm-modules node_modules/jest/bin/jest.js --config examples/testing/jest.config.json)
 *
 * nats-embedded is an ES module package, so Jest runs in its ESM mode: `--experimental-vm-modules`,
 * `extensionsToTreatAsEsm: [".ts"]` and ts-jest's `useESM` (see jest.config.json beside this
 * file; tsconfig.jest.json keeps the `.ts` in relative imports for Jest's resolver).
 * In your project: `import { startTestServer, type TestServer } from "nats-embedded/testing";`
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { startTestServer, type TestServer } from "../../src/testing.ts";
import { startPricingService } from "./pricing-service.ts";

describe("pricing service", () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
    await startPricingService(t.nc);
  });

  afterAll(async () => {
    await t.close();
  });

  it("answers quote requests", async () => {
    const reply = await t.nc.request("pricing.quote", JSON.stringify({ sku: "pear", quantity: 4 }));
    expect(reply.json()).toEqual({ sku: "pear", quantity: 4, total: 3 });
  });

  it("publishes orders.priced for every order (checked with a tap)", async () => {
    const tap = t.server.tap("orders.priced");
    try {
      t.nc.publish("orders.created", JSON.stringify({ id: "o-2", sku: "pear", quantity: 2 }));
      const priced = await tap.next({ timeout: 1000 });
      expect(priced.json()).toEqual({ id: "o-2", total: 1.5 });
    } finally {
      tap.close();
    }
  });

  it("counts what crossed the bus", async () => {
    const tap = t.server.tap("pricing.>");
    try {
      await t.nc.request("pricing.quote", JSON.stringify({ sku: "apple", quantity: 1 }));
      expect(tap.messages.map((m) => m.subject)).toEqual(["pricing.quote"]);
    } finally {
      tap.close();
    }
  });
});

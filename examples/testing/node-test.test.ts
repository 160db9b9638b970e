/**
 * `startTestServer()` with Node's own test runner: each test gets a fresh bus and an official
 * client in about a millisecond, with no port, binary or container; `await using` closes both
 * when the test ends.
 *
 *   npm run example:node-test
 *   (node --import tsx --test examples/testing/node-test.test.ts)
 *
 * In your project: `import { startTestServer } from "nats-embedded/testing";`
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { connect } from "@nats-io/transport-node";
import { NoRespondersError } from "../../src/index.ts";
import { startTestServer } from "../../src/testing.ts";
import { startPricingService } from "./pricing-service.ts";

test("answers quote requests", async () => {
  await using t = await startTestServer();
  await startPricingService(t.nc);

  const reply = await t.nc.request("pricing.quote", JSON.stringify({ sku: "pear", quantity: 4 }));
  assert.deepEqual(reply.json(), { sku: "pear", quantity: 4, total: 3 });
});

test("publishes orders.priced for every order (checked with a tap)", async () => {
  await using t = await startTestServer();
  // The tap records what crosses the bus on matching subjects, whoever published it.
  const tap = t.server.tap("orders.>");
  await startPricingService(t.nc);

  t.nc.publish("orders.created", JSON.stringify({ id: "o-1", sku: "apple", quantity: 3 }));

  const priced = await tap.waitFor((m) => m.subject === "orders.priced", { timeout: 1000 });
  assert.deepEqual(priced.json(), { id: "o-1", total: 1.5 });
  assert.deepEqual(tap.messages.map((m) => m.subject), ["orders.created", "orders.priced"]);
});

test("the direct API reaches the same service, and no-responders fails at once", async () => {
  await using t = await startTestServer();
  await startPricingService(t.nc);

  const reply = await t.server.request("pricing.quote", JSON.stringify({ sku: "apple", quantity: 2 }));
  assert.equal(reply.json<{ total: number }>().total, 1);
  await assert.rejects(t.server.request("inventory.check", "{}"), NoRespondersError);
});

test("a TCP port on request, shared with the in-process client", async () => {
  // `port: 0` picks a free port, so another process (or a TCP client here) can join the bus.
  await using t = await startTestServer({ port: 0 });
  const tcp = await connect({ servers: t.url });
  try {
    const sub = tcp.subscribe("hello", { max: 1 });
    await tcp.flush();
    t.nc.publish("hello", "from in-process");
    for await (const msg of sub) assert.equal(msg.string(), "from in-process");
  } finally {
    await tcp.close();
  }
});

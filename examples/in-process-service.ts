/**
 * A small service on the in-process bus, with no socket and no protocol bytes: two inventory
 * workers in one queue group answer requests and announce what they reserved; an audit log
 * reads every event through an async iterator; and the last part checks the traffic the way a
 * test would, with a tap.
 *
 *   npm run example:service            (or: npx tsx examples/in-process-service.ts)
 *
 * In your project, import from "nats-embedded" instead of "../src/index.ts".
 */
import assert from "node:assert/strict";
import { createServer, NoRespondersError, type DirectMsg, type Server } from "../src/index.ts";

interface Reservation {
  sku: string;
  quantity: number;
}

/** Starts `workers` members of the "inventory" queue group: each request goes to one of them. */
function startInventory(server: Server, workers: number): () => Promise<void> {
  const stock = new Map<string, number>([
    ["apple", 10],
    ["pear", 3],
  ]);
  const subscriptions = Array.from({ length: workers }, (_, worker) =>
    server.subscribe("inventory.reserve", {
      queue: "inventory",
      callback: (_err, msg) => {
        const { sku, quantity } = msg.json<Reservation>();
        const left = stock.get(sku) ?? 0;
        if (left < quantity) {
          msg.respond(JSON.stringify({ ok: false, reason: `only ${left} ${sku} left` }));
          return;
        }
        stock.set(sku, left - quantity);
        // An event for whoever cares; publish() returns whether anyone received it.
        server.publish(`inventory.reserved.${sku}`, JSON.stringify({ sku, quantity, left: left - quantity }), {
          headers: { "Handled-By": `worker-${worker}` },
        });
        msg.respond(JSON.stringify({ ok: true, worker }));
      },
    }),
  );
  // drain(): stop taking messages, resolve once the queued ones are handled.
  return async () => void (await Promise.all(subscriptions.map((s) => s.drain())));
}

/** Reads every inventory event through an async iterator; the loop ends once the subscription is drained. */
function auditLog(server: Server, into: string[]): { stop: () => Promise<void> } {
  const events = server.subscribe("inventory.reserved.*");
  const reading = (async () => {
    for await (const msg of events) into.push(`${msg.subject} ${msg.string()} (${msg.headers?.get("Handled-By")})`);
  })();
  return { stop: async () => void (await Promise.all([events.drain(), reading])) };
}

async function main(): Promise<void> {
  const server = createServer(); // no port: in-process only
  // In a test, start the tap first: it records matching traffic from every kind of client.
  const tap = server.tap("inventory.>");
  const stopInventory = startInventory(server, 2);
  const audit: string[] = [];
  const auditor = auditLog(server, audit);

  const reserve = async (sku: string, quantity: number): Promise<{ ok: boolean; worker?: number; reason?: string }> =>
    (await server.request("inventory.reserve", JSON.stringify({ sku, quantity }), { timeout: 1000 })).json();

  for (const [sku, quantity] of [["apple", 2], ["pear", 2], ["apple", 5], ["pear", 2]] as const) {
    console.log(`reserve ${quantity} ${sku}:`, await reserve(sku, quantity));
  }

  // Nobody listens on this subject: the request fails at once, not after the timeout.
  await assert.rejects(server.request("billing.charge", "{}"), NoRespondersError);

  // Test-style checks on what crossed the bus, without a subscription of our own.
  const reserved = await tap.waitFor((m: DirectMsg) => m.subject === "inventory.reserved.pear", { timeout: 1000 });
  assert.deepEqual(reserved.json(), { sku: "pear", quantity: 2, left: 1 });
  const requests = tap.messages.filter((m) => m.subject === "inventory.reserve");
  assert.equal(requests.length, 4);
  assert.ok(requests.every((m) => m.reply !== ""), "requests carry a reply subject");
  console.log(`tap recorded ${tap.messages.length} messages: ${[...new Set(tap.messages.map((m) => m.subject))].join(", ")}`);

  await auditor.stop();
  console.log("audit log:\n  " + audit.join("\n  "));
  await stopInventory();
  tap.close();
  await server.close();
}

await main();

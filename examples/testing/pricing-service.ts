/**
 * The code under test in the testing examples: a small service written against the official
 * client (`NatsConnection`), as production code is. It answers `pricing.quote` requests and,
 * for every `orders.created` event, publishes `orders.priced`. The tests hand it the connection
 * that `startTestServer()` opened in-process.
 */
import type { NatsConnection, Subscription } from "@nats-io/nats-core";

export interface Order {
  id: string;
  sku: string;
  quantity: number;
}

const PRICES: Readonly<Record<string, number>> = { apple: 0.5, pear: 0.75 };

export function quote(sku: string, quantity: number): number {
  const price = PRICES[sku];
  if (price === undefined) throw new Error(`unknown sku ${sku}`);
  return Math.round(price * quantity * 100) / 100;
}

/** Starts the service on `nc`; resolves with its subscriptions once the server has them. */
export async function startPricingService(nc: NatsConnection): Promise<Subscription[]> {
  const quotes = nc.subscribe("pricing.quote", {
    queue: "pricing",
    callback: (_err, msg) => {
      const { sku, quantity } = msg.json<{ sku: string; quantity: number }>();
      try {
        msg.respond(JSON.stringify({ sku, quantity, total: quote(sku, quantity) }));
      } catch (err) {
        msg.respond(JSON.stringify({ error: (err as Error).message }));
      }
    },
  });
  const orders = nc.subscribe("orders.created", {
    callback: (_err, msg) => {
      const order = msg.json<Order>();
      nc.publish("orders.priced", JSON.stringify({ id: order.id, total: quote(order.sku, order.quantity) }));
    },
  });
  // A PING/PONG: the subscriptions are registered before the test starts publishing.
  await nc.flush();
  return [quotes, orders];
}

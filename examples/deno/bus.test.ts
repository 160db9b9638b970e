// Deno: the npm package works as it is, here from node_modules (`npm install nats-embedded
// @nats-io/transport-node`; `npm:nats-embedded` works the same). A real NATS bus per test,
// in memory, with the official client. Run: deno test -A examples/deno/bus.test.ts
import { createServer } from "nats-embedded";
import { startTestServer } from "nats-embedded/testing";
import { connect } from "@nats-io/transport-node";

Deno.test("a request reaches its responder over the in-memory bus", async () => {
  await using bus = await startTestServer();
  bus.nc.subscribe("price.quote", { callback: (_err, msg) => { msg.respond(`${msg.string()}:42`); } });
  const reply = await bus.nc.request("price.quote", "EURUSD", { timeout: 1000 });
  if (reply.string() !== "EURUSD:42") throw new Error(`unexpected reply ${reply.string()}`);
});

Deno.test("a client connects over TCP to a broker listening on a free port", async () => {
  await using server = createServer({ port: 0, host: "127.0.0.1" });
  await server.listen();
  const nc = await connect({ servers: server.url });
  const sub = nc.subscribe("orders.*", { max: 1 });
  nc.publish("orders.created", "42");
  for await (const msg of sub) {
    if (msg.subject !== "orders.created" || msg.string() !== "42") throw new Error("wrong message");
  }
  await nc.close();
});

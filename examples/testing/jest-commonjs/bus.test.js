// Jest in its default CommonJS mode: no --experimental-vm-modules, no transform of
// node_modules. `require("nats-embedded/testing")` loads the package's CommonJS build.
const { startTestServer } = require("nats-embedded/testing");

let bus;
beforeEach(async () => {
  bus = await startTestServer();
});
afterEach(async () => {
  await bus.close();
});

test("a request reaches its responder over the in-memory bus", async () => {
  bus.nc.subscribe("price.quote", { callback: (_err, msg) => { msg.respond(`${msg.string()}:42`); } });
  const reply = await bus.nc.request("price.quote", "EURUSD", { timeout: 1000 });
  expect(reply.string()).toBe("EURUSD:42");
});

test("each test gets a fresh bus: nothing subscribed before is there", async () => {
  await expect(bus.nc.request("price.quote", "EURUSD", { timeout: 1000 })).rejects.toThrow(/no responders/i);
});

// A CommonJS app (no "type": "module", no bundler): require() the broker and the official
// client, answer a request over TCP, and shut both down. Run: node examples/commonjs/service.cjs
"use strict";
const { createServer } = require("nats-embedded");
const { connect } = require("@nats-io/transport-node");

async function main() {
  const server = createServer({ port: 0, host: "127.0.0.1" });
  await server.listen();
  const nc = await connect({ servers: server.url });
  nc.subscribe("time.now", { callback: (_err, msg) => { msg.respond(new Date(0).toISOString()); } });
  const reply = await nc.request("time.now", "", { timeout: 1000 });
  console.log(`time.now -> ${reply.string()}`);
  await nc.drain();
  await server.close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

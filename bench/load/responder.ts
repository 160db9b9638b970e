/**
 * Responder role for the request/reply scenario: the official client
 * (`@nats-io/transport-node`) answering every request with its own payload. A separate
 * process from the requester so the two sides do not share one event loop.
 *
 *   node --import tsx bench/load/responder.ts '{"port":4222,"subject":"bench.req"}'
 */
import { connect } from "@nats-io/transport-node";
import { isWorkerCommand, numberField, readConfig, report, runRole, stringField } from "./messages.ts";

runRole(async () => {
  const config = readConfig();
  const port = numberField(config, "port");
  const subject = stringField(config, "subject");
  const nc = await connect({ servers: `127.0.0.1:${port}`, name: "bench-responder", reconnect: false });
  nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err !== null) {
        report({ type: "error", message: `responder: ${err.message}` });
        return;
      }
      msg.respond(msg.data);
    },
  });
  // flush() is a PING/PONG: the subscription is registered before "ready" goes out.
  await nc.flush();
  void nc.closed().then((err) => {
    if (err) report({ type: "error", message: `responder: connection closed: ${err.message}` });
  });
  process.on("message", (msg: unknown) => {
    if (isWorkerCommand(msg) && msg.type === "stop") void nc.close().then(() => process.exit(0));
  });
  report({ type: "ready" });
});

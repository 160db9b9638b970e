/**
 * Lame duck mode: stop accepting, tell protocol-1 clients (`"ldm": true` in an async INFO, the
 * official client's `ldm` status), then close the remaining clients over the duration.
 */
import assert from "node:assert/strict";
import { connect as netConnect } from "node:net";
import { once } from "node:events";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { createServer } from "../../src/index.ts";
import { RawClient } from "../helpers/raw-client.ts";

describe("lame duck mode", () => {
  it("announces ldm, stops accepting, then closes clients spread over the duration", async () => {
    const server = createServer({ port: 0, lameDuckGracePeriod: 50, lameDuckDuration: 100 });
    await server.listen();
    const port = server.port!;
    const nc = await connect({ servers: server.url!, reconnect: false });
    const statuses: string[] = [];
    void (async () => {
      for await (const s of nc.status()) statuses.push(s.type);
    })();
    const old = await RawClient.connect(port);
    old.send("CONNECT {\"verbose\":false,\"protocol\":0}\r\nPING\r\n");
    await old.waitFor("PONG\r\n");
    const ldm = server.lameDuck();
    assert.equal(server.inLameDuckMode, true);
    await new Promise((r) => setTimeout(r, 20));
    // No new connections once in lame duck mode.
    const refused = netConnect(port, "127.0.0.1");
    const [err] = (await once(refused, "error")) as [NodeJS.ErrnoException];
    assert.equal(err.code, "ECONNREFUSED");
    await ldm;
    await nc.closed();
    await old.waitClosed();
    assert.ok(statuses.includes("ldm"), `the official client saw ldm: ${statuses.join(",")}`);
    assert.doesNotMatch(old.text(), /ldm/, "a protocol 0 client gets no async INFO");
    assert.equal(server.numClients, 0);
  });

  it("an official client given two servers sees ldm and reconnects to the other one", async (t) => {
    const a = createServer({ port: 0, lameDuckGracePeriod: 50, lameDuckDuration: 50 });
    const b = createServer({ port: 0 });
    await a.listen();
    await b.listen();
    t.after(() => Promise.all([a.close(), b.close()]));
    const nc = await connect({ servers: [a.url!, b.url!], noRandomize: true, reconnectTimeWait: 50 });
    t.after(() => nc.close());
    assert.equal(nc.getServer(), `127.0.0.1:${a.port}`);
    const seen: string[] = [];
    const reconnected = (async () => {
      for await (const s of nc.status()) {
        seen.push(s.type);
        if (s.type === "reconnect") return;
      }
    })();
    await a.lameDuck();
    await reconnected;
    assert.ok(seen.includes("ldm"), `statuses: ${seen.join(",")}`);
    assert.equal(nc.getServer(), `127.0.0.1:${b.port}`);
    const sub = nc.subscribe("after", { max: 1 });
    nc.publish("after", "on b");
    for await (const m of sub) assert.equal(m.string(), "on b");
    assert.equal(b.numClients, 1);
  });

  it("is cut short by close()", async () => {
    const server = createServer({ port: 0, lameDuckGracePeriod: 60_000 });
    await server.listen();
    const ldm = server.lameDuck();
    const started = Date.now();
    await server.close();
    await ldm;
    assert.ok(Date.now() - started < 5000, "close() did not wait for the grace period");
  });
});

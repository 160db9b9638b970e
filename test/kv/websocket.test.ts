/**
 * KV from a WebSocket client, as a browser app would use it: `wsconnect` from
 * `@nats-io/nats-core` (with the `ws` package standing in for the browser's WebSocket) to the
 * broker's websocket listener, then the official KV client, unchanged.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { wsconnect } from "@nats-io/nats-core";
import { StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import WebSocket from "ws";
import { createServer } from "../../src/index.ts";
import { collect, onCleanup, tempDir } from "./kv-helpers.ts";

describe("KV over WebSocket", () => {
  it("puts, gets and watches through a ws:// connection", async (t) => {
    const server = createServer({ host: "127.0.0.1", websocket: { port: 0, host: "127.0.0.1", noTls: true }, jetstream: { storeDir: tempDir(t) } });
    await server.listen();
    const wsPort = server.ports.websocket?.port;
    assert.ok(wsPort !== undefined && wsPort > 0);
    const nc = await wsconnect({
      servers: `ws://127.0.0.1:${wsPort}`,
      reconnect: false,
      // The `ws` socket has the browser WebSocket's event-handler interface the client uses.
      wsFactory: (url: string) => Promise.resolve({ socket: new WebSocket(url) as unknown as globalThis.WebSocket, encrypted: false }),
    });
    onCleanup(t, async () => {
      await nc.close().catch(() => undefined);
      await server.close();
    });
    const kv = await new Kvm(nc).create("web", { storage: StorageType.Memory });
    const watch = await kv.watch();
    onCleanup(t, () => watch.stop());
    const seen = collect(watch);
    await kv.put("theme", "dark");
    assert.equal((await kv.get("theme"))?.string(), "dark");
    assert.deepEqual((await seen.until(1)).map((e) => `${e.key}=${e.string()}`), ["theme=dark"]);
  });
});

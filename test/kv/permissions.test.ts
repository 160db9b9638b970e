/**
 * Per-user permissions around a bucket, the way NATS deployments hand out KV access: an admin
 * who may write, a service that may only read (direct gets, watch), both over TCP with the
 * official client. The limits come from ordinary subject permissions on `$KV.<bucket>.>` and
 * the `$JS.API` subjects the client uses.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { StorageType } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { createServer } from "../../src/index.ts";
import { collect, onCleanup, tempDir } from "./kv-helpers.ts";

describe("KV with per-user permissions", () => {
  it("a read-only user gets and watches; its puts are refused", async (t) => {
    const server = createServer({
      host: "127.0.0.1",
      port: 0,
      jetstream: { storeDir: tempDir(t) },
      authorization: {
        users: [
          { user: "admin", password: "admin-pass" },
          {
            user: "reader",
            password: "reader-pass",
            permissions: {
              publish: ["$JS.API.INFO", "$JS.API.STREAM.INFO.KV_flags", "$JS.API.DIRECT.GET.KV_flags.>", "$JS.API.CONSUMER.CREATE.KV_flags.>", "$JS.API.CONSUMER.INFO.KV_flags.>", "$JS.API.CONSUMER.DELETE.KV_flags.>", "$JS.FC.KV_flags.>"],
              subscribe: ["_INBOX.>"],
            },
          },
        ],
      },
    });
    await server.listen();
    const admin = await connect({ servers: server.url!, user: "admin", pass: "admin-pass", reconnect: false });
    const reader = await connect({ servers: server.url!, user: "reader", pass: "reader-pass", reconnect: false });
    onCleanup(t, async () => {
      await reader.close().catch(() => undefined);
      await admin.close().catch(() => undefined);
      await server.close();
    });
    const flags = await new Kvm(admin).create("flags", { storage: StorageType.Memory });
    await flags.put("new-ui", "on");

    const readOnly = await new Kvm(reader).create("flags"); // STREAM.INFO only: it exists
    assert.equal((await readOnly.get("new-ui"))?.string(), "on");
    const watch = await readOnly.watch();
    onCleanup(t, () => watch.stop());
    const seen = collect(watch);
    await seen.until(1);
    await flags.put("new-ui", "off");
    assert.deepEqual((await seen.until(2)).map((e) => e.string()), ["on", "off"]);

    // The server refuses the publish with -ERR 'Permissions Violation for Publish to …', which
    // the client turns into the request's error.
    await assert.rejects(readOnly.put("new-ui", "hacked"), /Permissions Violation for Publish to "\$KV\.flags\.new-ui"|permissions violation/i);
    assert.equal((await flags.get("new-ui"))?.string(), "off", "the refused put changed nothing");
  });
});

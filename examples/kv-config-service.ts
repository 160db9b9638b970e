/**
 * A configuration service on JetStream key/value, all inside one process: the broker, a
 * "greeter" service that reads its settings from the `config` bucket and follows every change
 * through a KV watch, and an operator that changes the settings while the service runs.
 * The official `@nats-io/kv` client works unchanged over `server.connect()` (an in-memory
 * connection, no socket).
 *
 *   npm run example:kv            (or: npx tsx examples/kv-config-service.ts)
 *
 * In your project, import from "nats-embedded" instead of "../src/index.ts".
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm, type KV } from "@nats-io/kv";
import { createServer, type Server } from "../src/index.ts";

interface GreeterSettings {
  greeting: string;
  shout: boolean;
}
/** What a setting reads while its key is missing or deleted. */
const DEFAULTS: GreeterSettings = { greeting: "hello", shout: false };

/**
 * The service: answers `greet` requests with its current settings, which it keeps in step
 * with the bucket. The watch first replays the current value of every key, then each change.
 */
async function startGreeter(server: Server, kv: KV, changes: string[]): Promise<{ stop(): Promise<void> }> {
  const settings: GreeterSettings = { ...DEFAULTS };
  const watch = await kv.watch({ key: "greeter.>" });
  const following = (async () => {
    for await (const entry of watch) {
      const name = entry.key.slice("greeter.".length);
      const deleted = entry.operation !== "PUT";
      if (name === "greeting") settings.greeting = deleted ? DEFAULTS.greeting : entry.string();
      if (name === "shout") settings.shout = deleted ? DEFAULTS.shout : entry.string() === "true";
      changes.push(`${entry.key} ${deleted ? "deleted" : `= ${entry.string()}`} (revision ${entry.revision})`);
    }
  })();
  const requests = server.subscribe("greet", {
    callback: (_err, msg) => {
      const text = `${settings.greeting}, ${msg.string()}`;
      msg.respond(settings.shout ? text.toUpperCase() : text);
    },
  });
  return {
    async stop() {
      watch.stop();
      await following;
      await requests.drain();
    },
  };
}

async function main(): Promise<void> {
  const storeDir = mkdtempSync(join(tmpdir(), "kv-example-"));
  const server = createServer({ jetstream: { storeDir } }); // no port: in-process only
  await server.listen();
  try {
    const nc = await server.connect();
    const kv = await new Kvm(nc).create("config", { history: 5 });
    await kv.put("greeter.greeting", "hi");

    const changes: string[] = [];
    const greeter = await startGreeter(server, kv, changes);
    const greet = async (name: string): Promise<string> => (await server.request("greet", name, { timeout: 1000 })).string();
    /** Waits until the service has seen `n` changes, so the next request sees them applied. */
    const applied = async (n: number): Promise<void> => {
      for (let i = 0; i < 200 && changes.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(changes.length >= n, `the service saw ${changes.length} of ${n} changes`);
    };

    await applied(1);
    console.log("greet:", await greet("ada"));
    assert.equal(await greet("ada"), "hi, ada");

    // The operator changes the settings; the running service follows without a restart.
    const rev = await kv.put("greeter.shout", "true");
    const current = await kv.get("greeter.greeting");
    assert.ok(current !== null);
    await kv.update("greeter.greeting", "good morning", current.revision);
    await applied(3);
    console.log("greet:", await greet("grace"));
    assert.equal(await greet("grace"), "GOOD MORNING, GRACE");

    // A stale update (someone else changed the key since) is refused: optimistic concurrency.
    await assert.rejects(kv.update("greeter.shout", "false", rev - 1));

    // Deleting a key returns the service to its default.
    await kv.delete("greeter.shout");
    await applied(4);
    console.log("greet:", await greet("linus"));
    assert.equal(await greet("linus"), "good morning, linus");

    console.log("changes seen by the service:\n  " + changes.join("\n  "));
    const history = [];
    for await (const e of await kv.history({ key: "greeter.greeting" })) history.push(e.string());
    console.log("history of greeter.greeting:", history);
    assert.deepEqual(history, ["hi", "good morning"]);

    await greeter.stop();
    await nc.close();
  } finally {
    await server.close();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

await main();

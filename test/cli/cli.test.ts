/**
 * The command line: nats-server's flag names, its readiness line, a clean stop on signals.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { connect } from "@nats-io/transport-node";
import { normalizeArgs, optionsFromArgs } from "../../src/cli-args.ts";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

describe("cli arguments", () => {
  it("accepts Go-style single and double dashes, = and a value starting with a dash", () => {
    assert.deepEqual(normalizeArgs(["-p", "-1", "--addr", "0.0.0.0", "-name=x", "-DV"]), [
      "--port=-1",
      "--addr=0.0.0.0",
      "--name=x",
      "--DV",
    ]);
  });

  it("maps nats-server flags onto server options", () => {
    const parsed = optionsFromArgs(["-a", "0.0.0.0", "-p", "-1", "-n", "edge-1", "--max_payload", "2048", "-DV"]);
    assert.ok("options" in parsed);
    assert.deepEqual(parsed.options, { host: "0.0.0.0", port: 0, serverName: "edge-1", maxPayload: 2048 });
    assert.equal(parsed.debug, true);
    assert.equal(parsed.trace, true);
    const defaults = optionsFromArgs([]);
    assert.ok("options" in defaults);
    assert.deepEqual(defaults.options, { host: "127.0.0.1", port: 4222 });
    assert.deepEqual(optionsFromArgs(["--help"]), { help: true });
    assert.deepEqual(optionsFromArgs(["-v"]), { version: true });
  });

  it("rejects unknown flags and non-numeric ports", () => {
    assert.throws(() => optionsFromArgs(["--bogus"]));
    assert.throws(() => optionsFromArgs(["-p", "abc"]));
  });
});

describe("cli process", () => {
  it("prints 'Server is ready', serves clients, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "-a", "127.0.0.1", "-p", "-1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    try {
      let stderr = "";
      const ready = new Promise<number>((resolve, reject) => {
        child.stderr.on("data", (b: Buffer) => {
          stderr += b.toString();
          const port = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(stderr);
          if (port && stderr.includes("[INF] Server is ready")) resolve(Number(port[1]));
        });
        child.once("exit", () => reject(new Error(`exited early: ${stderr}`)));
      });
      const port = await ready;
      assert.match(stderr, /^\[\d+\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} \[INF\] Starting nats-embedded/m);
      const nc = await connect({ servers: `nats://127.0.0.1:${port}` });
      const reply = nc.subscribe("x", { max: 1 });
      nc.publish("x", "y");
      for await (const m of reply) assert.equal(m.string(), "y");
      await nc.close();
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0);
      assert.match(stderr, /Trapped "terminated" signal/);
    } finally {
      clearTimeout(killer);
      child.kill("SIGKILL");
    }
  });

  it("exits non-zero with usage on a bad flag", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "--nope"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 1);
    assert.match(stderr, /Usage: nats-embedded/);
  });
});

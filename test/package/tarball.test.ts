/**
 * What users install is the packed tarball, not this checkout. So: pack it (which builds it),
 * install it into a fresh app beside the official client, and use it there as each kind of
 * user would: ESM, require(), the test helper, the CLI through npx, a TypeScript consumer under
 * each module resolution, Jest in CommonJS mode, and Deno. The package linters run on the same
 * tarball.
 *
 * Runs on whichever Node runs the suite (.ci/run runs it on the oldest and newest supported
 * lines). Installs come from npm's cache when they can: .ci/run's `npm ci` has just filled it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

const repo = join(import.meta.dirname, "..", "..");
const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
};
const bin = (name: string): string => join(repo, "node_modules", ".bin", name);

function run(command: string, args: string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout, env: { ...process.env, NO_COLOR: "1" } });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  assert.equal(result.error, undefined, `${command} ${args.join(" ")}: ${result.error?.message}`);
  assert.equal(result.status, 0, `${command} ${args.join(" ")} exited ${result.status}:\n${output}`);
  return result;
}

/** Deno from PATH or $DENO; .ci/run provides it, so it is missing only on a developer's machine. */
function findDeno(): string | undefined {
  const candidates = [process.env.DENO, ...(process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "deno"))];
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === "") continue;
    if (spawnSync(candidate, ["--version"], { encoding: "utf8" }).status === 0) return candidate;
  }
  return undefined;
}

describe("the packed tarball, installed into a fresh app", { timeout: 600_000 }, () => {
  let work = "";
  let tarball = "";
  let app = "";

  before(() => {
    work = mkdtempSync(join(tmpdir(), "nats-embedded-pack-"));
    const packed = run("npm", ["pack", "--silent", "--pack-destination", work], repo, 300_000);
    tarball = join(work, packed.stdout.trim().split("\n").pop() ?? "");
    app = join(work, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, version: "1.0.0" }));
    run(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "--ignore-scripts",
        tarball,
        `@nats-io/transport-node@${manifest.devDependencies["@nats-io/transport-node"]}`,
        `@types/node@${manifest.devDependencies["@types/node"]}`,
      ],
      app,
      300_000,
    );
  });

  after(() => {
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  it("ships the build and the docs, and neither sources nor tests", () => {
    const listed = run("tar", ["tzf", tarball], work).stdout.split("\n").filter(Boolean);
    for (const file of ["package/dist/index.js", "package/dist/cjs/index.js", "package/dist/cjs/package.json", "package/dist/cli.js", "package/README.md"]) {
      assert.ok(listed.includes(file), `${file} is in the tarball`);
    }
    assert.deepEqual(listed.filter((file) => /^package\/(src|test|bench|scripts)\//.test(file)), []);
  });

  it("import: a TCP client of the official client reaches a subscriber", () => {
    const script = `
      import { createServer } from "nats-embedded";
      import { connect } from "@nats-io/transport-node";
      const server = createServer({ port: 0, host: "127.0.0.1" });
      await server.listen();
      const nc = await connect({ servers: server.url });
      const sub = nc.subscribe("orders.*", { max: 1 });
      nc.publish("orders.created", "42");
      for await (const msg of sub) console.log(msg.subject, msg.string());
      await nc.close();
      await server.close();`;
    writeFileSync(join(app, "esm.mjs"), script);
    assert.equal(run(process.execPath, ["esm.mjs"], app).stdout, "orders.created 42\n");
  });

  it("import: the config reader loads on first use, synchronously, with one ConfigError class", () => {
    // dist/config.js is required on first call (scripts/build.ts): not at import, and, from
    // node_modules, without Node's require(esm) warning on any supported line.
    const script = `
      import { register } from "node:module";
      import { writeFileSync } from "node:fs";
      const loaded = [];
      const { port1, port2 } = new MessageChannel();
      port1.on("message", (url) => loaded.push(url));
      port1.unref();
      register("data:text/javascript,export function initialize(p){globalThis.p=p} export async function load(u,c,n){globalThis.p.postMessage(u);return n(u,c)}", { data: port2, transferList: [port2] });
      const { createServer, parseConfig, ConfigError } = await import("nats-embedded");
      await new Promise((resolve) => setTimeout(resolve, 50));
      const atImport = loaded.some((u) => u.endsWith("/dist/config.js"));
      try { parseConfig("port: ["); } catch (err) { console.log("ConfigError", err instanceof ConfigError); }
      writeFileSync("nats.conf", "server_name: from-file\\n");
      const server = createServer({ configFile: "nats.conf" });
      console.log("at import", atImport, server.varz().server_name);
      await server.close();`;
    writeFileSync(join(app, "config.mjs"), script);
    // --no-deprecation: Node 26 deprecates module.register(), which only this test's recorder
    // uses; the warning watched for here (require() of an ES module) is not a deprecation.
    const result = run(process.execPath, ["--no-deprecation", "config.mjs"], app);
    assert.equal(result.stdout, "ConfigError true\nat import false from-file\n");
    assert.equal(result.stderr, "");
  });

  it("require(): the CommonJS example answers a request, and nats-embedded/testing loads the same build", () => {
    cpSync(join(repo, "examples", "commonjs", "service.cjs"), join(app, "service.cjs"));
    assert.equal(run(process.execPath, ["service.cjs"], app).stdout, "time.now -> 1970-01-01T00:00:00.000Z\n");
    const script = `
      const { startTestServer } = require("nats-embedded/testing");
      const index = require("nats-embedded");
      const path = require.resolve("nats-embedded");
      startTestServer().then(async (bus) => {
        const sub = bus.nc.subscribe("x", { max: 1 });
        bus.nc.publish("x", "in memory");
        for await (const msg of sub) console.log(msg.string());
        // One copy of the broker in a CommonJS process: testing's server is index's.
        const loaded = Object.keys(require.cache).filter((f) => f.includes("node_modules/nats-embedded/"));
        console.log(path.endsWith("dist/cjs/index.js"), loaded.map((f) => f.split("node_modules/nats-embedded/")[1]).sort().join(" "));
        console.log(typeof index.createServer);
        await bus.close();
      });`;
    writeFileSync(join(app, "testing.cjs"), script);
    assert.equal(run(process.execPath, ["testing.cjs"], app).stdout, "in memory\ntrue dist/cjs/index.js dist/cjs/testing.js\nfunction\n");
  });

  it("npx nats-embedded --version prints the version as nats-server does", () => {
    const out = run("npx", ["--no-install", "nats-embedded", "--version"], app).stdout;
    assert.match(out, /^nats-embedded: v\d+\.\d+\.\d+/);
  });

  const consumer = `
    import { createServer, type Server, type ServerOptions } from "nats-embedded";
    import { startTestServer, type TestServer } from "nats-embedded/testing";
    const options: ServerOptions = { port: 0 };
    export async function main(): Promise<string> {
      const server: Server = createServer(options);
      const bus: TestServer = await startTestServer();
      await bus.close();
      await server.close();
      return server.id;
    }`;
  const typeCheck = (name: string, compilerOptions: Record<string, unknown>, files: Record<string, string>, type?: "module"): void => {
    const dir = join(app, name);
    mkdirSync(dir);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    if (type !== undefined) writeFileSync(join(dir, "package.json"), JSON.stringify({ type }));
    const config = { compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, types: ["node"], target: "ES2022", lib: ["ES2023", "ESNext.Disposable"], ...compilerOptions }, include: ["*.ts", "*.mts", "*.cts"] };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config));
    run(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", dir], dir);
  };

  it("a TypeScript consumer type-checks under node16 resolution, from ESM and from CommonJS", () => {
    typeCheck("ts-node16", { module: "node16", moduleResolution: "node16" }, { "esm.mts": consumer, "cjs.cts": consumer });
  });

  it("a TypeScript consumer type-checks under bundler resolution", () => {
    typeCheck("ts-bundler", { module: "esnext", moduleResolution: "bundler" }, { "app.ts": consumer }, "module");
  });

  it("Jest in CommonJS mode runs the example with no transform and no flags", () => {
    const dir = join(app, "jest-commonjs");
    cpSync(join(repo, "examples", "testing", "jest-commonjs"), dir, { recursive: true });
    const result = run(process.execPath, [join(repo, "node_modules", "jest", "bin", "jest.js"), "--ci", "--rootDir", dir, "--config", join(dir, "jest.config.json")], dir);
    assert.match(result.stderr, /Tests:\s+2 passed, 2 total/);
  });

  it("Deno runs the Deno example from node_modules", (t) => {
    const deno = findDeno();
    if (deno === undefined) {
      assert.notEqual(process.env.CI, "true", "CI must provide deno (.ci/run installs it)");
      t.skip("deno is not installed (set $DENO or put it on PATH)");
      return;
    }
    cpSync(join(repo, "examples", "deno", "bus.test.ts"), join(app, "bus.test.ts"));
    const result = run(deno, ["test", "-A", "bus.test.ts"], app);
    assert.match(`${result.stdout}${result.stderr}`, /ok \| 2 passed \| 0 failed/);
  });

  it("publint and arethetypeswrong find no problem in the tarball", () => {
    const unpacked = join(work, "unpacked");
    mkdirSync(unpacked);
    run("tar", ["xzf", tarball, "-C", unpacked], work);
    const publint = run(bin("publint"), ["--strict", join(unpacked, "package")], work);
    assert.match(publint.stdout, /All good/);
    run(bin("attw"), [tarball], work);
    assert.ok(readdirSync(unpacked).includes("package"));
  });
});

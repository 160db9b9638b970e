/**
 * Pay for what is configured: importing the package and running an in-process bus must not
 * load the monitor (prom-client), WebSocket (ws), TLS, bcrypt, nkeys or leaf node modules;
 * each loads once its option is set. Each case runs in a fresh process, as a test file or a
 * serverless cold start does (docs/performance.md).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";

const script = fileURLToPath(new URL("../fixtures/lazy-load.ts", import.meta.url));

/** Everything a fresh process loaded (file URLs, CommonJS paths, `node:` built-ins). */
async function modulesLoaded(mode: "none" | "all", options: object = {}): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script, mode, JSON.stringify(options)], {
    timeout: 30_000,
    killSignal: "SIGKILL",
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as string[];
}

/** What must stay out until configured: a name and how to recognise it among the loads. */
const lazy: Record<string, (m: string) => boolean> = {
  ws: (m) => m.includes("/node_modules/ws/"),
  "prom-client": (m) => m.includes("/node_modules/prom-client/"),
  bcryptjs: (m) => m.includes("/node_modules/bcryptjs/"),
  "@nats-io/nkeys": (m) => m.includes("/node_modules/@nats-io/nkeys/"),
  // Operator mode only, which excludes the users configured below: checked by the first test.
  "@nats-io/jwt": (m) => m.includes("/node_modules/@nats-io/jwt/"),
  "monitor server": (m) => m.endsWith("/src/monitor/monitor-server.ts"),
  "WebSocket listener": (m) => m.endsWith("/src/transport/websocket.ts"),
  "leaf node manager": (m) => m.endsWith("/src/leafnode/leaf-nodes.ts"),
  "node:tls": (m) => m === "node:tls",
  "node:http": (m) => m === "node:http",
};

function loaded(modules: string[]): string[] {
  return Object.keys(lazy).filter((name) => modules.some(lazy[name]!));
}

describe("lazy loading", { timeout: 90_000 }, () => {
  let certs: TestCerts;
  before(() => (certs = makeTestCerts()));
  after(() => certs.cleanup());

  it("a bus with no options loads none of the optional parts", async () => {
    const modules = await modulesLoaded("none");
    assert.ok(modules.some((m) => m.endsWith("/src/server/server.ts")), "the recording saw the package load");
    assert.deepEqual(loaded(modules), []);
  });

  it("each part loads once its option is set", async () => {
    const bcryptHash = "$2a$04$2d0VGr6sLaYyRAsFSbDo4O5uKJ3L9BC43GBCCTXcjcbmkaXwIxxmW";
    const modules = await modulesLoaded("all", {
      port: 0,
      http: { port: 0 },
      websocket: { port: 0, noTls: true },
      tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile },
      authorization: {
        users: [
          { user: "a", password: bcryptHash },
          { nkey: "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4" },
        ],
      },
      leafnodes: { port: 0 },
    });
    assert.deepEqual(loaded(modules), Object.keys(lazy).filter((name) => name !== "@nats-io/jwt"));
  });
});

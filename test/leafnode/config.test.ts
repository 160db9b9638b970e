/**
 * The `leafnodes { }` block of a nats-server configuration file, mapped onto the `leafnodes`
 * option, and option validation; then a broker started from such a file joins a hub.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createUser } from "@nats-io/nkeys";
import { parseConfig } from "../../src/config/parser.ts";
import { optionsFromConfig } from "../../src/config/to-options.ts";
import { ConfigError, createServer, InvalidOptionError } from "../../src/index.ts";
import { parseCredsFile, parseLeafUrl } from "../../src/leafnode/options.ts";
import { hasNatsServer } from "../helpers/nats-server-process.ts";
import { hubSeesLeafInterest, linksUp, startHub } from "./helpers.ts";

const FILE = "/etc/nats/leaf.conf";
const mapped = (text: string) => optionsFromConfig(parseConfig(text, { file: FILE, env: {} }), { file: FILE });

describe("leafnodes configuration", () => {
  it("maps listen, authorization, reconnect and remotes with their credentials", () => {
    const { options, warnings } = mapped(`
leafnodes {
  listen: "0.0.0.0:7422"
  authorization { user: spoke, password: pw }
  reconnect: "250ms"
  compression: s2_auto
  remotes: [
    { url: "nats-leaf://u:p@hub1:7422", deny_imports: ["private.>"], deny_exports: "secret.>" }
    { urls: ["tls://hub2:7422", "hub3:7422"], nkey: "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4", reconnect: "2s" }
  ]
}`);
    assert.deepEqual(options.leafnodes, {
      host: "0.0.0.0",
      port: 7422,
      authorization: { user: "spoke", password: "pw" },
      remotes: [
        { urls: ["nats-leaf://u:p@hub1:7422"], denyImports: ["private.>"], denyExports: ["secret.>"], reconnectDelay: 250 },
        { urls: ["tls://hub2:7422", "hub3:7422"], nkeySeed: "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4", reconnectDelay: 2000 },
      ],
    });
    assert.deepEqual(warnings, [`${FILE}:6:3: "compression" in "leafnodes" is not supported yet; ignored`]);
  });

  it("reports a remote without a URL and unknown keys, with their positions", () => {
    assert.throws(() => mapped("leafnodes { remotes: [ { credentials: x.creds } ] }"), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /a leafnode remote needs a url/);
      return true;
    });
    assert.throws(() => mapped("leafnodes { bogus: 1 }"), /unknown field "bogus"/);
  });

  it("validates the option and reads creds files", () => {
    assert.throws(() => createServer({ leafnodes: { remotes: [{ urls: [] }] } }), InvalidOptionError);
    assert.throws(() => createServer({ leafnodes: { remotes: [{ urls: ["h:1"], nkeySeed: "nope" }] } }), InvalidOptionError);
    assert.throws(() => createServer({ leafnodes: { port: 70000 } }), InvalidOptionError);
    assert.equal(parseLeafUrl("hub").port, "7422");
    assert.equal(parseLeafUrl("nats://a:b@hub:4").username, "a");
    const seed = new TextDecoder().decode(createUser().getSeed());
    const creds = `-----BEGIN NATS USER JWT-----\neyJhbGciOi.jwt.sig\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`;
    assert.deepEqual(parseCredsFile(creds), { jwt: "eyJhbGciOi.jwt.sig", seed });
    assert.throws(() => parseCredsFile("nothing here"), InvalidOptionError);
    // No port and no remotes: nothing to do, and the server runs without leaf nodes.
    assert.equal(createServer({ leafnodes: {} }).options.leafnodes, undefined);
  });

  it("joins a hub from a configuration file", { skip: hasNatsServer() ? false : "nats-server is not installed", timeout: 30_000 }, async (t) => {
    const hub = await startHub(t);
    const dir = mkdtempSync(join(tmpdir(), "leaf-conf-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "leaf.conf");
    writeFileSync(file, `port: -1\nleafnodes {\n  remotes: [ { url: "nats-leaf://leaf:s3cret@127.0.0.1:${hub.leafPort}" } ]\n}\n`);
    const server = createServer({ configFile: file, host: "127.0.0.1" });
    t.after(() => server.close());
    await server.listen();
    await linksUp(server);
    server.subscribe("from.file");
    await hubSeesLeafInterest(hub, "from.file");
    assert.equal(server.leafNodes[0]!.role, "solicit");
  });
});

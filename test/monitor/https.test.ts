/**
 * Monitoring over https (nats-server `https_port`, `https`, `--https_port`): the same endpoints,
 * served with the certificate and key of the `tls` block, no client certificate asked for
 * (server.go startMonitoring); `https_port` in `/varz` (monitor.go); the refusals of
 * server.go StartMonitoring with its words; and Debian's nats-server 2.9.10 side by side.
 */
import assert from "node:assert/strict";
import { get, type RequestOptions } from "node:https";
import { connect } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { createServer, InvalidOptionError, type Server, type ServerOptions } from "../../src/index.ts";
import { loadConfigFile } from "../../src/config/load.ts";
import { ConfigError } from "../../src/config/config-error.ts";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";
import { hasNatsServer, startNatsServer } from "../helpers/nats-server-process.ts";
import { httpGet } from "./monitor-helpers.ts";

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

/** One https GET to 127.0.0.1, bounded in time. */
function httpsGet(port: number, path: string, options: RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: "127.0.0.1", port, path, ca: certs.ca, agent: false, timeout: 5000, ...options }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
  });
}

async function httpsServer(t: TestContext, extra: Partial<ServerOptions> = {}): Promise<{ server: Server; port: number }> {
  const { tls, ...rest } = extra;
  const server = createServer({
    host: "127.0.0.1",
    port: 0,
    https: 0,
    tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, ...tls },
    ...rest,
  });
  await server.listen();
  t.after(() => server.close());
  return { server, port: server.ports.monitoring!.port };
}

describe("https monitoring", () => {
  it("serves /varz, /connz and /healthz over https, with https_port in /varz", async (t) => {
    const { server, port } = await httpsServer(t);
    const varz = await httpsGet(port, "/varz");
    assert.equal(varz.status, 200);
    const body = JSON.parse(varz.body) as { https_port: number; http_port: number; server_id: string };
    assert.deepEqual([body.https_port, body.http_port, body.server_id], [port, 0, server.id]);
    assert.equal((await httpsGet(port, "/connz")).status, 200);
    assert.deepEqual(JSON.parse((await httpsGet(port, "/healthz")).body), { status: "ok" });
    assert.equal((await httpsGet(port, "/nope")).status, 404);
  });

  it("asks for no client certificate, even when client connections must present one", async (t) => {
    const { port } = await httpsServer(t, { tls: { caFile: certs.caFile, verify: true } });
    assert.equal((await httpsGet(port, "/healthz")).status, 200);
  });

  it("plain http on the https port gets no page; a client that does not trust the certificate fails", async (t) => {
    const { port } = await httpsServer(t);
    await assert.rejects(httpGet(port, "/varz", { timeoutMs: 3000 }));
    await assert.rejects(httpsGet(port, "/varz", { ca: undefined }), /self.signed|unable to verify/);
    assert.equal((await httpsGet(port, "/varz")).status, 200, "still serving");
  });

  it("close() does not wait for a peer still in its TLS handshake", async () => {
    const server = createServer({ host: "127.0.0.1", https: 0, tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile } });
    await server.listen();
    const silent = connect(server.ports.monitoring!.port, "127.0.0.1");
    silent.resume();
    silent.on("error", () => {});
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await server.close();
    silent.destroy();
    assert.ok(Date.now() - started < 1000, `close() took ${Date.now() - started} ms`);
  });

  it("http and https together, or https without tls: server.go StartMonitoring's refusals", () => {
    assert.throws(
      () => createServer({ http: 8222, https: 8223, tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile } }),
      (err: unknown) => err instanceof InvalidOptionError && /can't specify both HTTP \(8222\) and HTTPs \(8223\) ports/.test(err.message),
    );
    assert.throws(
      () => createServer({ https: 0 }),
      (err: unknown) => err instanceof InvalidOptionError && /TLS cert and key required for HTTPS/.test(err.message),
    );
  });

  it("from a config file: https_port and https, and the same refusals at load, at their line", (t) => {
    const file = join(certs.dir, "https.conf");
    const tls = `tls {\n  cert_file: "${certs.serverCertFile}"\n  key_file: "${certs.serverKeyFile}"\n}\n`;
    writeFileSync(file, `https_port: -1\n${tls}`);
    assert.equal(loadConfigFile(file).options.https, 0);
    writeFileSync(file, `https: "127.0.0.2:-1"\n${tls}`);
    assert.deepEqual(loadConfigFile(file).options.https, { port: 0, host: "127.0.0.2" });
    const refusal = (text: string, problem: RegExp, line: number): void => {
      writeFileSync(file, text);
      assert.throws(
        () => loadConfigFile(file),
        (err: unknown) => err instanceof ConfigError && problem.test(err.problem) && err.line === line,
      );
    };
    refusal("https_port: -1\n", /^TLS cert and key required for HTTPS$/, 1);
    refusal(`http_port: -1\nhttps_port: -1\n${tls}`, /^can't specify both HTTP \(-1\) and HTTPs \(-1\) ports$/, 2);
    t.diagnostic("config refusals checked");
  });

  it("matches nats-server 2.9.10: https_port in /varz, http_port 0, the same refusals", async (t) => {
    if (!hasNatsServer()) {
      assert.notEqual(process.env["CI"], "true", "nats-server is not installed");
      t.skip("nats-server not installed");
      return;
    }
    const tls = `tls {\n  cert_file: "${certs.serverCertFile}"\n  key_file: "${certs.serverKeyFile}"\n}\n`;
    const reference = await startNatsServer([], { config: `https: "127.0.0.1:-1"\n${tls}` });
    t.after(() => reference.stop());
    const m = /Starting https monitor on 127\.0\.0\.1:(\d+)/.exec(reference.log());
    assert.ok(m !== null, reference.log());
    const { port: ours } = await httpsServer(t);
    for (const port of [Number(m[1]), ours]) {
      const varz = JSON.parse((await httpsGet(port, "/varz")).body) as { https_port: number; http_port: number };
      assert.equal(varz.http_port, 0);
      assert.ok(varz.https_port !== 0, `https_port on ${port}`);
    }
    // nats-server refuses both at start, with the words we use.
    await assert.rejects(startNatsServer([], { config: "https_port: -1\n", startTimeoutMs: 5000 }), /TLS cert and key required for HTTPS/);
    await assert.rejects(
      startNatsServer([], { config: `http_port: -1\nhttps_port: -1\n${tls}`, startTimeoutMs: 5000 }),
      /can't specify both HTTP \(-1\) and HTTPs \(-1\) ports/,
    );
  });
});

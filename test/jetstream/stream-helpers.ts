/**
 * Shared set-up for the stream-side JetStream tests: a broker with JetStream in a temp store
 * directory, and the official client (`@nats-io/jetstream`) connected either in-process
 * (`server.connect()`) or over TCP on 127.0.0.1 port 0. Everything is closed and removed when
 * the test ends.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";
import type { JetStreamOptions } from "../../src/index.ts";

export type Transport = "in-process" | "tcp";
export const TRANSPORTS: readonly Transport[] = ["in-process", "tcp"];

export interface JsHarness {
  server: Server;
  nc: NatsConnection;
  jsm: JetStreamManager;
  js: JetStreamClient;
  storeDir: string;
  /** A raw request: the reply's text, or its status line for status messages. */
  request(subject: string, body?: string): Promise<{ text: string; json: Record<string, unknown>; status: number }>;
}

/** A temp directory removed when the test ends. */
export function tempDir(t: TestContext, prefix = "js-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startJetStream(
  t: TestContext,
  transport: Transport,
  jsOptions: JetStreamOptions = {},
  serverOptions: ServerOptions = {},
): Promise<JsHarness> {
  const storeDir = jsOptions.storeDir ?? tempDir(t);
  const server = createServer({ ...(transport === "tcp" && { port: 0 }), ...serverOptions, jetstream: { ...jsOptions, storeDir } });
  await server.listen();
  const nc = transport === "tcp" ? await connect({ servers: server.url!, reconnect: false }) : await server.connect();
  t.after(async () => {
    await nc.close().catch(() => undefined);
    await server.close();
  });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const request = async (subject: string, body = ""): Promise<{ text: string; json: Record<string, unknown>; status: number }> => {
    const msg = await nc.request(subject, body, { timeout: 2000 });
    const text = msg.string();
    let json: Record<string, unknown> = {};
    try {
      json = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      json = {};
    }
    return { text, json, status: msg.headers?.code ?? 0 };
  };
  return { server, nc, jsm, js, storeDir, request };
}

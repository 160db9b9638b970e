/**
 * A live chat between a web page and anything else on the bus. The host app embeds the broker
 * with a TCP port (for `nats` CLI and server-side clients) and a WebSocket port (for the page),
 * and serves the page over plain node:http: the HTML, its script, and the official browser
 * client (nats.ws) straight from node_modules, with no build step and no CDN.
 *
 *   npm run example:browser          (or: npx tsx examples/browser/server.ts)
 *   then open http://127.0.0.1:3000 and, from a terminal:
 *     nats sub chat.room --server nats://127.0.0.1:4222
 *     nats pub chat.room "hello from TCP" --server nats://127.0.0.1:4222
 *
 * Ports come from the environment: PAGE_PORT (3000), NATS_PORT (4222), WS_PORT (8080).
 * With TLS_CERT and TLS_KEY (PEM files; the certificate must name the host you open), the
 * page is served over https and the page connects over wss://, as in production:
 *
 *   TLS_CERT=cert.pem TLS_KEY=key.pem npm run example:browser   then open https://127.0.0.1:3000
 *
 * In your project, import from "nats-embedded" instead of "../../src/index.ts".
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createServer, type Server } from "../../src/index.ts";

/** The subject the page and every other client chat on. */
export const CHAT_SUBJECT = "chat.room";

export interface ChatExampleOptions {
  /** Address everything binds to. Default 127.0.0.1. */
  host?: string;
  /** Port of the web page; 0 picks a free one. Default 3000. */
  pagePort?: number;
  /** NATS TCP port; 0 picks a free one. Default 4222. */
  natsPort?: number;
  /** NATS WebSocket port; 0 picks a free one. Default 8080. */
  websocketPort?: number;
  /**
   * A certificate and its key (PEM files): the page is served over https and the WebSocket
   * listener over TLS (wss://), both with this certificate. Plain http and ws:// without it.
   */
  tls?: { certFile: string; keyFile: string };
}

export interface ChatExample {
  readonly broker: Server;
  /** Where to open the page. */
  readonly pageUrl: string;
  /** `nats://host:port` for TCP clients. */
  readonly natsUrl: string;
  /** `ws://host:port` (or `wss://` with `tls`) the page connects to. */
  readonly websocketUrl: string;
  close(): Promise<void>;
}

/** The page's files: name served → file on disk and its content type. */
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const FILES: Record<string, { path: () => string; type: string }> = {
  "/": { path: () => here("./index.html"), type: "text/html; charset=utf-8" },
  "/app.js": { path: () => here("./app.js"), type: "text/javascript; charset=utf-8" },
  // The official browser client, one self-contained ES module in the nats.ws package.
  "/nats.ws.js": { path: () => fileURLToPath(import.meta.resolve("nats.ws")), type: "text/javascript; charset=utf-8" },
};

/** Starts the broker and the page server. */
export async function startChatExample(options: ChatExampleOptions = {}): Promise<ChatExample> {
  const host = options.host ?? "127.0.0.1";
  let websocketPort = 0;

  const tls = options.tls;
  const scheme = tls === undefined ? "http" : "https";
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? "/", "http://page").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/config.json") {
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(JSON.stringify({ websocketPort, secure: tls !== undefined, subject: CHAT_SUBJECT }));
      return;
    }
    const file = FILES[path];
    if (file === undefined) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    readFile(file.path()).then(
      (body) => res.writeHead(200, { "Content-Type": file.type, "Content-Length": body.length }).end(req.method === "HEAD" ? undefined : body),
      () => res.writeHead(500).end(),
    );
  };
  const page =
    tls === undefined
      ? createHttpServer(onRequest)
      : createHttpsServer({ cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) }, onRequest);
  await new Promise<void>((resolve, reject) => {
    page.once("error", reject);
    page.listen({ host, port: options.pagePort ?? 3000 }, () => {
      page.off("error", reject);
      resolve();
    });
  });
  const address = page.address();
  const pagePort = typeof address === "object" && address !== null ? address.port : 0;

  // Only this page may open WebSockets from a browser (non-browser clients send no Origin).
  const origins = [`${scheme}://${host}:${pagePort}`];
  if (host === "127.0.0.1") origins.push(`${scheme}://localhost:${pagePort}`);
  const broker = createServer({
    host,
    port: options.natsPort ?? 4222,
    websocket: {
      port: options.websocketPort ?? 8080,
      allowedOrigins: origins,
      // wss:// with the page's certificate; plain ws:// only when there is none.
      ...(tls === undefined ? { noTls: true } : { tls: { certFile: tls.certFile, keyFile: tls.keyFile } }),
    },
  });
  try {
    await broker.listen();
  } catch (err) {
    page.close();
    throw err;
  }
  websocketPort = broker.ports.websocket!.port;

  return {
    broker,
    pageUrl: `${scheme}://${host}:${pagePort}/`,
    natsUrl: broker.url!,
    websocketUrl: `${tls === undefined ? "ws" : "wss"}://${host}:${websocketPort}`,
    async close() {
      page.closeAllConnections();
      await Promise.all([new Promise<void>((resolve) => page.close(() => resolve())), broker.close()]);
    },
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const port = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
  const chat = await startChatExample({
    pagePort: port("PAGE_PORT", 3000),
    natsPort: port("NATS_PORT", 4222),
    websocketPort: port("WS_PORT", 8080),
    ...(process.env["TLS_CERT"] !== undefined && process.env["TLS_KEY"] !== undefined && { tls: { certFile: process.env["TLS_CERT"], keyFile: process.env["TLS_KEY"] } }),
  });
  // The host app is on the bus too, in-process: it logs the conversation.
  chat.broker.subscribe(CHAT_SUBJECT, {
    callback: (_err, msg) => console.log(`[${CHAT_SUBJECT}] ${msg.headers?.get("Chat-From") ?? "anonymous"}: ${msg.string()}`),
  });
  console.log(`chat page:   ${chat.pageUrl}`);
  console.log(`TCP clients: ${chat.natsUrl}   (nats pub ${CHAT_SUBJECT} "hi" --server ${chat.natsUrl})`);
  console.log(`WebSocket:   ${chat.websocketUrl}`);
  const stop = (): void => void chat.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

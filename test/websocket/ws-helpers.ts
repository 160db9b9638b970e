/**
 * Helpers for the WebSocket tests: a raw HTTP exchange on a socket (to see the exact refusal
 * bytes), and a `ws` client that records every message and the close frame.
 */
import { connect } from "node:net";
import WebSocket, { type ClientOptions } from "ws";

/** What came back on a raw socket: all bytes, and whether the server closed it. */
export interface RawExchange {
  text: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  closedByServer: boolean;
}

/** Sends `request` as is and collects the reply until the server closes or `waitMs` passes. */
export function rawExchange(port: number, request: string | Buffer, waitMs = 500): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    const chunks: Buffer[] = [];
    let closedByServer = false;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const [head = "", ...rest] = text.split("\r\n\r\n");
      const lines = head.split("\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? "")?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(":");
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ text, status, headers, body: rest.join("\r\n\r\n"), closedByServer });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on("data", (d) => chunks.push(d));
    socket.on("end", () => {
      closedByServer = true;
      finish();
    });
    socket.on("close", () => {
      closedByServer = true;
      finish();
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export const TEST_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** An upgrade request's text; `headers` entries set to undefined are left out. */
export function upgradeRequest(
  port: number,
  options: { path?: string; method?: string; headers?: Record<string, string | undefined> } = {},
): string {
  const headers: Record<string, string | undefined> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": TEST_KEY,
    "Sec-WebSocket-Version": "13",
    ...options.headers,
  };
  let text = `${options.method ?? "GET"} ${options.path ?? "/"} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

/** A `ws` client that keeps everything it receives. */
export interface WsProbe {
  readonly ws: WebSocket;
  /** Every message, in order, with whether it came as a binary frame. */
  readonly messages: { binary: boolean; data: Buffer }[];
  /** Negotiated extensions header of the 101 response. */
  readonly extensions: string | undefined;
  /** All message bytes so far, as text. */
  text(): string;
  /** Resolves once the received text satisfies `predicate`. */
  waitFor(predicate: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the close status and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  send(data: string | Buffer, binary?: boolean): void;
}

/** Opens a WebSocket and resolves once it is open (rejects with the HTTP status on refusal). */
export function openWs(url: string, options: ClientOptions = {}): Promise<WsProbe> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    const messages: { binary: boolean; data: Buffer }[] = [];
    const waiters = new Set<() => void>();
    let extensions: string | undefined;
    ws.on("upgrade", (res) => {
      extensions = res.headers["sec-websocket-extensions"];
    });
    ws.on("message", (data, binary) => {
      messages.push({ binary, data: Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]) });
      for (const w of [...waiters]) w();
    });
    const closed = new Promise<{ code: number; reason: string }>((res) => {
      ws.on("close", (code, reason) => {
        res({ code, reason: reason.toString() });
        for (const w of [...waiters]) w();
      });
    });
    ws.on("error", (err) => reject(err));
    ws.on("unexpected-response", (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    const text = (): string => Buffer.concat(messages.map((m) => m.data)).toString("latin1");
    ws.on("open", () =>
      resolve({
        ws,
        messages,
        get extensions() {
          return extensions;
        },
        text,
        closed,
        send: (data, binary = true) => ws.send(data, { binary }),
        waitFor: (predicate, timeoutMs = 5000) =>
          new Promise<string>((res, rej) => {
            const check = (): void => {
              const t = text();
              if (predicate(t)) {
                clearTimeout(timer);
                waiters.delete(check);
                res(t);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              rej(new Error(`timed out; received so far: ${JSON.stringify(text())}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
      }),
    );
  });
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

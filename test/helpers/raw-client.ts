/**
 * A raw TCP NATS client for protocol-edge tests.
 *
 * It speaks no protocol on its own: it writes exactly the bytes it is given and
 * records exactly the bytes it receives. Every wait is bounded in time, and every
 * socket is destroyed by `destroy()` (also used by `exchange` / `runSession` in a
 * `finally`), so a misbehaving server can never hang a test.
 */
import net from "node:net";

/** One step of a raw-protocol script. `conn` selects the connection (default 0). */
export type Step =
  /** Write these bytes. */
  | { send: string | Buffer; conn?: number }
  /**
   * Write the bytes one at a time (each byte a separate write, `gapMs` apart),
   * to exercise a parser that must handle ops split across reads.
   */
  | { sendBytewise: string | Buffer; conn?: number; gapMs?: number }
  /**
   * Wait until the text received on the connection, from the position after the
   * previous `waitFor` match on that connection, contains / matches `waitFor`.
   */
  | { waitFor: string | RegExp; conn?: number; timeoutMs?: number }
  /** Sleep; use only for short settling delays, prefer `waitFor` markers. */
  | { sleep: number }
  /** Wait until the server has closed the connection. */
  | { waitClosed: true; conn?: number; timeoutMs?: number };

const DEFAULT_TIMEOUT_MS = 2000;

function describe(expected: string | RegExp): string {
  return typeof expected === "string" ? JSON.stringify(expected) : String(expected);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class RawClient {
  readonly #socket: net.Socket;
  #chunks: Buffer[] = [];
  #size = 0;
  #closed = false;
  #error: Error | undefined;
  readonly #listeners = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
      this.#notify();
    });
    socket.on("error", (err: Error) => {
      // ECONNRESET etc.: remember it; the "close" event follows.
      this.#error ??= err;
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#notify();
    });
  }

  /** Open a TCP connection; rejects if it cannot connect within `timeoutMs`. */
  static connect(port: number, host = "127.0.0.1", timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawClient> {
    return new Promise<RawClient>((resolve, reject) => {
      const socket = net.connect({ port, host });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`RawClient: connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(`RawClient: connect to ${host}:${port} failed: ${err.message}`));
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        resolve(new RawClient(socket));
      });
    });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /** Write raw bytes. Writing to a closed socket is silently ignored. */
  send(data: string | Buffer): void {
    if (this.#closed || this.#socket.destroyed || !this.#socket.writable) return;
    this.#socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** Write the bytes one write at a time, `gapMs` apart. */
  async sendBytewise(data: string | Buffer, gapMs = 1): Promise<void> {
    const buf = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    for (let i = 0; i < buf.length; i++) {
      this.send(buf.subarray(i, i + 1));
      await delay(gapMs);
    }
  }

  /** Everything received so far. */
  received(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#size)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  /** Everything received so far, decoded as latin1 (byte-exact). */
  text(): string {
    return this.received().toString("latin1");
  }

  /** True once the socket is closed (by the server or by us). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The socket error seen, if any (e.g. ECONNRESET). */
  get error(): Error | undefined {
    return this.#error;
  }

  /**
   * Resolve when the accumulated text (from `fromOffset` on) contains / matches
   * `expected`. Resolves with the offset just after the match. Rejects after
   * `timeoutMs`, or when the socket closes without a match, with a message showing
   * what was received.
   */
  waitFor(expected: string | RegExp, timeoutMs = DEFAULT_TIMEOUT_MS, fromOffset = 0): Promise<number> {
    const find = (): number => {
      const text = this.text().slice(fromOffset);
      if (typeof expected === "string") {
        const at = text.indexOf(expected);
        return at < 0 ? -1 : fromOffset + at + expected.length;
      }
      const re = new RegExp(expected.source, expected.flags.replace("g", "").replace("y", ""));
      const m = re.exec(text);
      return m === null ? -1 : fromOffset + m.index + m[0].length;
    };
    return new Promise<number>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | undefined, at: number): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.#listeners.delete(check);
        if (err) reject(err);
        else resolve(at);
      };
      const check = (): void => {
        const at = find();
        if (at >= 0) finish(undefined, at);
        else if (this.#closed) {
          finish(
            new Error(
              `RawClient: connection closed while waiting for ${describe(expected)}; received ${JSON.stringify(
                this.text(),
              )}`,
            ),
            -1,
          );
        }
      };
      timer = setTimeout(() => {
        finish(
          new Error(
            `RawClient: timed out after ${timeoutMs} ms waiting for ${describe(expected)}; received ${JSON.stringify(
              this.text(),
            )}`,
          ),
          -1,
        );
      }, timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }

  /** Resolve when the server has closed the socket; reject after `timeoutMs`. */
  waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#closed) {
        resolve();
        return;
      }
      const check = (): void => {
        if (!this.#closed) return;
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(
          new Error(
            `RawClient: connection still open after ${timeoutMs} ms; received ${JSON.stringify(this.text())}`,
          ),
        );
      }, timeoutMs);
      this.#listeners.add(check);
    });
  }

  /** Resolve `true` if the socket closes within `ms`, else `false` (never rejects). */
  async closesWithin(ms: number): Promise<boolean> {
    try {
      await this.waitClosed(ms);
      return true;
    } catch {
      return false;
    }
  }

  /** Half-close (send FIN). */
  end(): void {
    if (!this.#socket.destroyed) this.#socket.end();
  }

  /** Destroy the socket immediately. Safe to call more than once. */
  destroy(): void {
    this.#socket.destroy();
    this.#closed = true;
    this.#notify();
  }

  /**
   * Run a single-connection script on this client (steps' `conn` must be 0 or
   * absent). Resolves with the received text. Does not destroy the client.
   */
  async exchange(script: Step[]): Promise<string> {
    const cursor = { at: 0 };
    for (const step of script) {
      const conn = "conn" in step && step.conn !== undefined ? step.conn : 0;
      if (conn !== 0) throw new Error(`RawClient.exchange: step uses connection ${conn}; use runSession`);
      await runStep(this, step, cursor);
    }
    return this.text();
  }
}

async function runStep(client: RawClient, step: Step, cursor: { at: number }): Promise<void> {
  if ("send" in step) client.send(step.send);
  else if ("sendBytewise" in step) await client.sendBytewise(step.sendBytewise, step.gapMs);
  else if ("waitFor" in step) cursor.at = await client.waitFor(step.waitFor, step.timeoutMs, cursor.at);
  else if ("sleep" in step) await delay(step.sleep);
  else await client.waitClosed(step.timeoutMs);
}

export interface SessionResult {
  /** Received text (latin1) per connection index. */
  transcripts: string[];
  /** Whether the server had closed each connection by the end of the session. */
  closed: boolean[];
}

export interface SessionOptions {
  host?: string;
  /**
   * After a connection is opened, wait for the server's first line (INFO) before
   * running the next step, so later writes never race the greeting. Default true.
   */
  awaitInfo?: boolean;
  /**
   * At the end, for every connection still open, send `PING\r\n` and wait for the
   * matching `PONG\r\n`, so all output caused by earlier steps has arrived.
   * Default true.
   */
  flush?: boolean;
  /** After the flush, how long to wait for a close the server may be doing anyway. Default 50 ms. */
  closeGraceMs?: number;
}

/**
 * Run a multi-connection script against `port`. Connection `i` is opened the first
 * time a step refers to it. All sockets are destroyed at the end, whatever happens.
 */
export async function runSession(port: number, script: Step[], options: SessionOptions = {}): Promise<SessionResult> {
  const host = options.host ?? "127.0.0.1";
  const clients: RawClient[] = [];
  const cursors: { at: number }[] = [];
  const get = async (index: number): Promise<RawClient> => {
    while (clients.length <= index) {
      const client = await RawClient.connect(port, host);
      clients.push(client);
      const cursor = { at: 0 };
      cursors.push(cursor);
      if (options.awaitInfo !== false) cursor.at = await client.waitFor(/^INFO [^\r\n]*\r\n/);
    }
    const client = clients[index];
    if (client === undefined) throw new Error(`no connection ${index}`);
    return client;
  };
  try {
    for (const step of script) {
      const index = "conn" in step && step.conn !== undefined ? step.conn : 0;
      const client = await get(index);
      const cursor = cursors[index];
      if (cursor === undefined) throw new Error(`no cursor ${index}`);
      await runStep(client, step, cursor);
    }
    if (clients.length === 0) await get(0);
    if (options.flush !== false) {
      for (const client of clients) {
        if (client.closed) continue;
        const before = client.text().length;
        client.send("PING\r\n");
        try {
          await client.waitFor("PONG\r\n", DEFAULT_TIMEOUT_MS, before);
        } catch (err) {
          // A connection the server closes in the meantime is reported via `closed`.
          if (!client.closed) throw err;
        }
      }
      const grace = options.closeGraceMs ?? 50;
      await Promise.all(clients.map((c) => (c.closed ? Promise.resolve(true) : c.closesWithin(grace))));
    }
    return { transcripts: clients.map((c) => c.text()), closed: clients.map((c) => c.closed) };
  } finally {
    for (const client of clients) client.destroy();
  }
}

/**
 * The fuzz properties, shared by `fuzz.test.ts` (fixed seed, small) and `scripts/fuzz.ts` (long).
 *
 * - {@link parserProperty}: the parser alone. No exception escapes `parse()`, the code it
 *   returns is one of {@link ParseError}'s, and the same bytes give the same ops and the same
 *   code whole, split at random offsets (with empty chunks in between) and byte by byte.
 * - {@link serverProperty}: a live server over memory pipes, several clients sending random
 *   streams interleaved with event-loop turns, then leaving (end or destroy). Nothing reaches
 *   the host (`uncaughtException`, `unhandledRejection`, the server's `error` event), a fresh
 *   client still gets `PONG` for `PING`, and every connection and subscription is gone after.
 */
import fc from "fast-check";
import { connect as netConnect } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket, createWebSocketStream } from "ws";
import { ParseError, ProtocolParser, type ParseErrorCode, type ProtocolHandler } from "../../src/protocol/parser.ts";
import { createServer, type Server, type ServerOptions } from "../../src/index.ts";
import { cutsArb, splitAt, streamArb } from "./arbitraries.ts";

const CODES = new Set<number>(Object.values(ParseError));

export interface ParseRun {
  ops: string[];
  code: ParseErrorCode;
}

class Recorder implements ProtocolHandler {
  readonly ops: string[] = [];
  onConnect(json: string): void {
    this.ops.push(`CONNECT ${json}`);
  }
  onPub(subject: string, reply: string, headerSize: number, data: Buffer, start: number, end: number): void {
    this.ops.push(`PUB ${subject}|${reply}|${headerSize}|${data.toString("hex", start, end)}`);
  }
  onSub(subject: string, queue: string | undefined, sid: string): void {
    this.ops.push(`SUB ${subject}|${queue ?? "-"}|${sid}`);
  }
  onUnsub(sid: string, max: number): void {
    this.ops.push(`UNSUB ${sid}|${max}`);
  }
  onPing(): void {
    this.ops.push("PING");
  }
  onPong(): void {
    this.ops.push("PONG");
  }
  onClientError(text: string): void {
    this.ops.push(`-ERR ${text}`);
  }
}

export interface ParserConfig {
  headers: boolean;
  requireConnect: boolean;
  maxControlLine: number;
  maxPayload: number;
}

/** Feeds the chunks in order, stopping at the first error, as the connection does. */
export function runParser(chunks: Buffer[], config: ParserConfig): ParseRun {
  const recorder = new Recorder();
  const parser = new ProtocolParser(recorder, { maxControlLine: config.maxControlLine, maxPayload: config.maxPayload });
  parser.headers = config.headers;
  parser.requireConnect = config.requireConnect;
  let code: ParseErrorCode = ParseError.None;
  for (const chunk of chunks) {
    code = parser.parse(chunk);
    if (!CODES.has(code)) throw new Error(`parse() returned ${String(code)}, not a ParseError code`);
    if (code !== ParseError.None) break;
    // A connection never holds more than the limits allow for a split line or payload.
    const bound = config.maxControlLine + 2 + Math.max(config.maxPayload, 0);
    if (parser.bufferedBytes > bound) throw new Error(`parser buffers ${parser.bufferedBytes} bytes, over ${bound}`);
  }
  return { ops: recorder.ops, code };
}

export const parserConfigArb: fc.Arbitrary<ParserConfig> = fc.record({
  headers: fc.boolean(),
  requireConnect: fc.boolean(),
  maxControlLine: fc.constantFrom(32, 64, 4096),
  maxPayload: fc.constantFrom(0, 16, 1024, 1024 * 1024),
});

export function parserProperty(): fc.IPropertyWithHooks<[Buffer, number[], boolean, ParserConfig]> {
  return fc.property(streamArb, cutsArb, fc.boolean(), parserConfigArb, (input, cuts, withEmpty, config) => {
    const whole = runParser([input], config);
    let chunks = splitAt(input, cuts);
    if (withEmpty) chunks = chunks.flatMap((c) => [Buffer.alloc(0), c]);
    const split = runParser(chunks, config);
    assertSameRun(whole, split, "split");
    if (input.length <= 256) {
      const bytewise = runParser([...input].map((b) => Buffer.from([b])), config);
      assertSameRun(whole, bytewise, "byte by byte");
    }
  });
}

function assertSameRun(whole: ParseRun, other: ParseRun, how: string): void {
  if (whole.code !== other.code || whole.ops.length !== other.ops.length || whole.ops.some((op, i) => op !== other.ops[i])) {
    throw new Error(
      `whole and ${how} parses differ:\n whole: code ${whole.code} ops ${JSON.stringify(whole.ops)}\n ${how}: code ${other.code} ops ${JSON.stringify(other.ops)}`,
    );
  }
}

/** Collects whatever reaches the host process while a live-server fuzz runs. */
export class HostWatch {
  readonly escaped: unknown[] = [];
  readonly #onError = (err: unknown): void => void this.escaped.push(err);
  start(): this {
    process.on("uncaughtException", this.#onError);
    process.on("unhandledRejection", this.#onError);
    return this;
  }
  stop(): void {
    process.off("uncaughtException", this.#onError);
    process.off("unhandledRejection", this.#onError);
  }
}

/** How fuzzing clients reach the server: memory pipes, or the real listeners. */
export type FuzzTransport = "memory" | "tcp" | "websocket";

export interface LiveTarget {
  server: Server;
  /** CONNECT line a fresh client needs on this server. */
  connect: string;
  /** `error` events the server emitted. */
  errors: Error[];
  /** A new client connection over the target's transport. */
  open(): Duplex;
}

/**
 * Three servers: small limits, the same with token authentication (CONNECT first, auth
 * timeout), and with an asynchronous authenticator. Over TCP or WebSocket they must be
 * started with {@link listenTargets}.
 */
export function liveTargets(transport: FuzzTransport = "memory"): LiveTarget[] {
  const limits: ServerOptions = { maxPayload: 1024, maxControlLine: 256, maxSubscriptions: 16, maxPending: 256 * 1024 };
  const base: ServerOptions =
    transport === "tcp"
      ? { ...limits, port: 0, host: "127.0.0.1" }
      : transport === "websocket"
        ? { ...limits, websocket: { port: 0, host: "127.0.0.1", noTls: true } }
        : limits;
  const make = (options: ServerOptions, connect: string): LiveTarget => {
    const server = createServer(options);
    const errors: Error[] = [];
    server.on("error", (err) => errors.push(err));
    const open = (): Duplex => {
      if (transport === "memory") return server.inProcessConn();
      if (transport === "tcp") return netConnect(server.port!, "127.0.0.1");
      // Binary frames both ways; writes wait for the handshake inside the stream.
      const ws = new WebSocket(`ws://127.0.0.1:${server.ports.websocket!.port}`);
      return createWebSocketStream(ws);
    };
    return { server, connect, errors, open };
  };
  return [
    make(base, 'CONNECT {"verbose":false}\r\n'),
    make({ ...base, authorization: { token: "s3cret", timeout: 1000 } }, 'CONNECT {"verbose":false,"auth_token":"s3cret"}\r\n'),
    // An asynchronous authenticator: the parser pauses on CONNECT and the rest of the chunk
    // is held and parsed after it resolves.
    make(
      {
        ...base,
        authorization: {
          timeout: 1000,
          authenticate: async (c) => {
            await new Promise((r) => setImmediate(r));
            return c.authToken === "s3cret" ? { user: "u" } : false;
          },
        },
      },
      'CONNECT {"verbose":false,"auth_token":"s3cret"}\r\n',
    ),
  ];
}

export interface Step {
  client: number;
  data: Buffer;
  /** Let the event loop turn after this write (so the server parses it before the next). */
  yieldAfter: boolean;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  client: fc.nat({ max: 3 }),
  data: streamArb,
  yieldAfter: fc.boolean(),
});

export const scriptArb = fc.record({
  target: fc.nat({ max: 2 }),
  steps: fc.array(stepArb, { maxLength: 16 }),
  endings: fc.array(fc.constantFrom<"end" | "destroy">("end", "destroy"), { minLength: 4, maxLength: 4 }),
});

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(predicate: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Starts the listeners of targets made for TCP or WebSocket. */
export async function listenTargets(targets: LiveTarget[]): Promise<void> {
  await Promise.all(targets.map((t) => t.server.listen()));
}

/** Opens a client that drains (and optionally records) what the server sends. */
function pipeClient(target: LiveTarget, record = false): { end: Duplex; text: () => string } {
  const end = target.open();
  let text = "";
  end.on("data", (chunk: Buffer) => {
    if (record) text += chunk.toString("latin1");
  });
  end.on("error", () => {});
  return { end, text: () => text };
}

/** A fresh client gets PONG for PING: the server still serves. */
export async function assertServes(target: LiveTarget): Promise<void> {
  const fresh = pipeClient(target, true);
  try {
    fresh.end.write(`${target.connect}PING\r\n`);
    await until(() => fresh.text().includes("PONG\r\n"), `a fresh client's PONG (got ${JSON.stringify(fresh.text())})`, 2000);
  } finally {
    fresh.end.destroy();
  }
}

export function serverProperty(targets: LiveTarget[], watch: HostWatch) {
  return fc.asyncProperty(scriptArb, async ({ target: which, steps, endings }) => {
    const target = targets[which]!;
    const { server } = target;
    const baseSubs = server.numSubscriptions;
    const clients = new Map<number, Duplex>();
    const transcripts = new Map<number, () => string>();
    const written = new Map<number, Buffer[]>();
    try {
      for (const step of steps) {
        let end = clients.get(step.client);
        if (end === undefined) {
          const c = pipeClient(target, true);
          end = c.end;
          clients.set(step.client, end);
          transcripts.set(step.client, c.text);
          written.set(step.client, []);
        }
        if (!end.destroyed && end.writable) {
          end.write(step.data);
          written.get(step.client)!.push(step.data);
        }
        if (step.yieldAfter) await turn();
      }
      await turn();
      await assertServes(target);
      // The connection turns any exception thrown while handling an op into 'Unknown Protocol
      // Operation': so that reply must be one the parser alone gives for the same bytes.
      for (const [i, text] of transcripts) {
        if (!text().includes("-ERR 'Unknown Protocol Operation'")) continue;
        const alone = runParser([Buffer.concat(written.get(i)!)], { headers: true, requireConnect: false, maxControlLine: 256, maxPayload: 1024 });
        if (alone.code !== ParseError.UnknownOperation) {
          throw new Error(
            `client ${i} got 'Unknown Protocol Operation' but the parser alone returns ${alone.code} for ${JSON.stringify(Buffer.concat(written.get(i)!).toString("latin1"))} (ops ${JSON.stringify(alone.ops)})`,
          );
        }
      }
    } finally {
      for (const [i, end] of clients) {
        const how = endings[i] ?? "destroy";
        if (how === "end" && !end.destroyed) end.end();
        else end.destroy();
      }
    }
    await until(() => server.numClients === 0, `numClients to return to 0 (is ${server.numClients})`, 3000);
    await until(
      () => server.numSubscriptions === baseSubs,
      `numSubscriptions to return to ${baseSubs} (is ${server.numSubscriptions})`,
      3000,
    );
    if (watch.escaped.length > 0) throw new Error(`reached the host: ${String(watch.escaped[0])}`);
    if (target.errors.length > 0) throw new Error(`server 'error' event: ${target.errors[0]!.message}`);
  });
}

/**
 * One raw NATS connection for the load processes: CONNECT, PING/PONG round trips, keepalive
 * answers, and MSG counting through {@link MsgScanner}. Everything else about the protocol is
 * left out on purpose: the load generator must cost the broker's time, not its own.
 */
import net from "node:net";
import { connectFrame } from "./frames.ts";
import { MsgScanner } from "./msg-scanner.ts";

const PONG = Buffer.from("PONG\r\n", "latin1");
const PING = Buffer.from("PING\r\n", "latin1");
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface RawConnectionEvents {
  /** A MSG arrived; `seq` is the publisher's sequence number (-1 if the payload had none). */
  onMsg(seq: number): void;
  /** Called once per read that carried at least one MSG, after they were counted. */
  onMsgRead(): void;
  /** The server sent -ERR or closed the connection: the run cannot be trusted any more. */
  onFailure(message: string): void;
}

export class RawConnection {
  readonly socket: net.Socket;
  #pongWaiters: Array<() => void> = [];
  #closing = false;
  #msgsInRead = 0;

  private constructor(socket: net.Socket, events: RawConnectionEvents) {
    this.socket = socket;
    const scanner = new MsgScanner({
      onMsg: (seq) => {
        this.#msgsInRead++;
        events.onMsg(seq);
      },
      onLine: (line) => {
        if (line === "PING") socket.write(PONG);
        else if (line === "PONG") this.#pongWaiters.shift()?.();
        else if (line.startsWith("-ERR")) events.onFailure(`server error: ${line}`);
        // INFO and +OK need no answer.
      },
    });
    socket.on("data", (chunk: Buffer) => {
      this.#msgsInRead = 0;
      scanner.feed(chunk);
      if (this.#msgsInRead > 0) events.onMsgRead();
    });
    socket.on("error", (err) => {
      if (!this.#closing) events.onFailure(`socket error: ${err.message}`);
    });
    socket.on("close", () => {
      if (!this.#closing) events.onFailure("connection closed by the server");
    });
  }

  /** Connects and completes CONNECT + PING/PONG, so the server knows the client when this resolves. */
  static async open(port: number, name: string, events: RawConnectionEvents): Promise<RawConnection> {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.setNoDelay(true);
    const conn = new RawConnection(socket, events);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect to 127.0.0.1:${port} timed out`)), HANDSHAKE_TIMEOUT_MS);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    socket.write(connectFrame(name));
    await conn.ping();
    return conn;
  }

  /** Writes PING and resolves on the matching PONG: everything sent before was processed. */
  ping(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no PONG within the handshake timeout")), HANDSHAKE_TIMEOUT_MS);
      this.#pongWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.write(PING);
    });
  }

  /**
   * Writes PING without a timeout of its own: after a big batch the PONG can take as long as
   * the broker needs, and the coordinator's per-run timeout bounds the wait.
   */
  pingUnbounded(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#pongWaiters.push(resolve);
      this.socket.write(PING);
    });
  }

  close(): void {
    this.#closing = true;
    this.socket.destroy();
  }
}

/** Resolves when the socket can take more, rejects if it closes first. */
export function drained(socket: net.Socket): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onDrain = (): void => {
      socket.off("close", onClose);
      resolve();
    };
    const onClose = (): void => {
      socket.off("drain", onDrain);
      reject(new Error("connection closed while writing"));
    };
    socket.once("drain", onDrain);
    socket.once("close", onClose);
  });
}

/**
 * The TCP listener. It knows nothing of NATS: each accepted socket is handed to the server's
 * `handle()` seam like any other byte stream.
 */
import { createServer, type Server as NetServer, type Socket } from "node:net";

/** Opens a TCP listener; resolves once it accepts connections, rejects if it cannot bind. */
export function listenTcp(host: string, port: number, onSocket: (socket: Socket) => void): Promise<NetServer> {
  return new Promise((resolve, reject) => {
    const server = createServer({ noDelay: true, allowHalfOpen: false }, onSocket);
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen({ host, port }, () => {
      server.off("error", onError);
      resolve(server);
    });
  });
}

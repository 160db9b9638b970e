/** A leaf protocol handler that writes each op it is handed as one line, for parser tests. */
import type { LeafProtocolHandler } from "../../src/protocol/leaf-parser.ts";

export function recorder(): { ops: string[]; handler: LeafProtocolHandler } {
  const ops: string[] = [];
  return {
    ops,
    handler: {
      onInfo: (json) => ops.push(`INFO ${json}`),
      onConnect: (json) => ops.push(`CONNECT ${json}`),
      onPing: () => ops.push("PING"),
      onPong: () => ops.push("PONG"),
      onOk: () => ops.push("+OK"),
      onErr: (text) => ops.push(`-ERR ${text}`),
      onLeafSub: (subject, queue, weight) => ops.push(`LS+ ${subject} ${queue ?? "-"} ${weight}`),
      onLeafUnsub: (subject, queue) => ops.push(`LS- ${subject} ${queue ?? "-"}`),
      onLeafMsg: (subject, reply, queues, headerSize, data, start, end) =>
        ops.push(`MSG ${subject} r=${reply} q=${queues?.join(",") ?? "-"} h=${headerSize} ${data.toString("latin1", start, end)}`),
    },
  };
}

/** Frames of the leaf node protocol that the client encoder has no use for (leafnode.go writeLeafSub, sendLeafMsg). */

/** Loop detection subjects start with this (leafnode.go leafNodeLoopDetectionSubjectPrefix). */
export const LDS_PREFIX = "$LDS.";

/** The key interest is counted under: the subject, or `subject queue` (leafnode.go keyFromSub). */
export function interestKey(subject: string, queue: string | undefined): string {
  return queue === undefined ? subject : `${subject} ${queue}`;
}

/** `LS+ <subject>` or `LS+ <subject> <queue> <weight>`. */
export function encodeLeafSub(subject: string, queue: string | undefined, weight: number): Buffer {
  return Buffer.from(queue === undefined ? `LS+ ${subject}\r\n` : `LS+ ${subject} ${queue} ${weight}\r\n`, "latin1");
}

/** `LS- <subject>` or `LS- <subject> <queue>`. */
export function encodeLeafUnsub(subject: string, queue: string | undefined): Buffer {
  return Buffer.from(queue === undefined ? `LS- ${subject}\r\n` : `LS- ${subject} ${queue}\r\n`, "latin1");
}

/**
 * The start of an `LMSG`/`HMSG` control line, up to the field the outbound buffer writes next
 * (reply, header size, size). With queue groups the reply is part of the prefix:
 * `LMSG <subject> + <reply> <q…> ` or `LMSG <subject> | <q…> `.
 */
export function leafMsgPrefix(headers: boolean, subject: string, reply: string, queues: readonly string[]): Buffer {
  const op = headers ? "HMSG" : "LMSG";
  if (queues.length === 0) return Buffer.from(`${op} ${subject} `, "latin1");
  const mid = reply === "" ? "|" : `+ ${reply}`;
  return Buffer.from(`${op} ${subject} ${mid} ${queues.join(" ")} `, "latin1");
}

/**
 * fast-check generators for the NATS client protocol, shared by `fuzz.test.ts` (a fixed-seed
 * slice run by `npm test`) and `scripts/fuzz.ts` (the long run).
 *
 * Frames are built valid first (CONNECT, PUB, HPUB, SUB, UNSUB, PING, PONG with random but
 * plausible fields), then optionally mutated byte-wise or with a lying size field; pure noise
 * and random chunk splits are mixed in. Subjects use a tiny token alphabet so that frames from
 * different clients actually route to each other in the live-server fuzz.
 */
import fc from "fast-check";

const TOKENS = ["a", "b", "c", "foo", "*", ">"];
const ODD_TOKENS = ["", "\u00e9", "a b", "x".repeat(40), "a\r", "\u0000"];

export const tokenArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 40, arbitrary: fc.constantFrom(...TOKENS) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_TOKENS) },
  { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 6 }) },
);

export const subjectArb: fc.Arbitrary<string> = fc
  .array(tokenArb, { minLength: 1, maxLength: 4 })
  .map((tokens) => tokens.join("."));

const sepArb = fc.constantFrom(" ", " ", " ", "\t", "  ", " \t ");
const eolArb = fc.constantFrom("\r\n", "\r\n", "\r\n", "\n");
const sidArb = fc.oneof(
  { weight: 20, arbitrary: fc.nat({ max: 30 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom("", "x", "-1", "99999999999") },
);

/** Case mangling of the op name (ops are case-insensitive). */
const opCase = (op: string): fc.Arbitrary<string> =>
  fc.constantFrom(op, op, op.toLowerCase(), op[0]!.toLowerCase() + op.slice(1));

/** The size field of a PUB/HPUB: usually right, sometimes a lie. */
const sizeFieldArb = (real: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 40, arbitrary: fc.constant(String(real)) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }).map((d) => String(Math.max(0, real + d))) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("-1", "abc", "", "0x10", "1e3", "9007199254740993", "99999999999999999999", "0000000001", "999999999"),
    },
  );

const payloadArb = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.constantFrom(new Uint8Array(0), Buffer.from("\r\n"), Buffer.from("PING\r\n")) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 1100 }).map((n) => new Uint8Array(n).fill(0x61)) },
);

const connectArb = fc
  .record(
    {
      verbose: fc.oneof(fc.boolean(), fc.constant("yes")),
      pedantic: fc.boolean(),
      headers: fc.boolean(),
      echo: fc.boolean(),
      protocol: fc.constantFrom(0, 1, 2),
      no_responders: fc.boolean(),
      name: fc.string({ maxLength: 8 }),
      auth_token: fc.constantFrom("s3cret", "wrong"),
    },
    { requiredKeys: [] },
  )
  .chain((fields) =>
    fc.oneof(
      { weight: 30, arbitrary: fc.constant(JSON.stringify(fields)) },
      { weight: 1, arbitrary: fc.constantFrom("{bad json", "[]", "null", '{"__proto__":{"x":1},"constructor":{"prototype":{"y":1}}}', "") },
    ),
  )
  .chain((json) => fc.tuple(opCase("CONNECT"), sepArb, eolArb).map(([op, sep, eol]) => `${op}${sep}${json}${eol}`));

const pubArb = fc
  .tuple(opCase("PUB"), subjectArb, fc.option(subjectArb, { nil: undefined }), payloadArb, sepArb, eolArb)
  .chain(([op, subject, reply, payload, sep, eol]) =>
    sizeFieldArb(payload.length).map((size) => {
      const fields = [subject, ...(reply === undefined ? [] : [reply]), size].join(sep);
      return Buffer.concat([Buffer.from(`${op} ${fields}${eol}`, "latin1"), payload, Buffer.from("\r\n")]);
    }),
  );

const hpubArb = fc
  .tuple(
    opCase("HPUB"),
    subjectArb,
    fc.option(subjectArb, { nil: undefined }),
    fc.constantFrom("NATS/1.0\r\n\r\n", "NATS/1.0\r\nk: v\r\n\r\n", "", "garbage"),
    payloadArb,
    sepArb,
    eolArb,
  )
  .chain(([op, subject, reply, hdr, payload, sep, eol]) =>
    fc.tuple(sizeFieldArb(hdr.length), sizeFieldArb(hdr.length + payload.length)).map(([h, total]) => {
      const fields = [subject, ...(reply === undefined ? [] : [reply]), h, total].join(sep);
      return Buffer.concat([Buffer.from(`${op} ${fields}${eol}${hdr}`, "latin1"), payload, Buffer.from("\r\n")]);
    }),
  );

const subArb = fc
  .tuple(opCase("SUB"), subjectArb, fc.option(fc.constantFrom("q", "w", "_sys_"), { nil: undefined }), sidArb, sepArb, eolArb)
  .map(([op, subject, queue, sid, sep, eol]) => `${op} ${[subject, ...(queue === undefined ? [] : [queue]), sid].join(sep)}${eol}`);

const unsubArb = fc
  .tuple(opCase("UNSUB"), sidArb, fc.option(fc.constantFrom("0", "1", "3", "x", "-1", "9999999999"), { nil: undefined }), sepArb, eolArb)
  .map(([op, sid, max, sep, eol]) => `${op} ${[sid, ...(max === undefined ? [] : [max])].join(sep)}${eol}`);

const simpleArb = fc
  .tuple(fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom("PING", "PONG", "ping", "PING foo", "+OK", "INFO {}") },
      { weight: 1, arbitrary: fc.constantFrom("-ERR 'x'", "MSG a 1 0", "", "FOO") },
    ), eolArb)
  .map(([op, eol]) => op + eol);

const toBuf = (frame: string | Buffer): Buffer => (typeof frame === "string" ? Buffer.from(frame, "latin1") : frame);

/** One well-formed (or nearly) frame. */
export const validFrameArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    { weight: 1, arbitrary: connectArb },
    { weight: 4, arbitrary: pubArb },
    { weight: 2, arbitrary: hpubArb },
    { weight: 3, arbitrary: subArb },
    { weight: 2, arbitrary: unsubArb },
    { weight: 2, arbitrary: simpleArb },
  )
  .map(toBuf);

/** Byte-level mutation of a frame: flip, delete, insert, truncate or duplicate. */
const mutate = (frame: Buffer): fc.Arbitrary<Buffer> =>
  fc.tuple(fc.nat({ max: Math.max(0, frame.length) }), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 2, 3, 4)).map(([at, byte, kind]) => {
    const i = Math.min(at, frame.length);
    switch (kind) {
      case 0: {
        const copy = Buffer.from(frame);
        if (i < copy.length) copy[i] = byte;
        return copy;
      }
      case 1:
        return Buffer.concat([frame.subarray(0, i), frame.subarray(i + 1)]);
      case 2:
        return Buffer.concat([frame.subarray(0, i), Buffer.from([byte]), frame.subarray(i)]);
      case 3:
        return frame.subarray(0, i);
      default:
        return Buffer.concat([frame, frame.subarray(0, i)]);
    }
  });

export const frameArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 30, arbitrary: validFrameArb },
  { weight: 2, arbitrary: validFrameArb.chain(mutate) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) },
);

/** A byte stream: frames back to back (the usual case) or pure noise. */
export const streamArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.array(frameArb, { maxLength: 12 }).map((frames) => Buffer.concat(frames)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)) },
);

/** Splits `buf` at the given (sorted, deduplicated, in-range) offsets. */
export function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    if (p > prev) chunks.push(buf.subarray(prev, p));
    prev = Math.max(prev, p);
  }
  if (prev < buf.length) chunks.push(buf.subarray(prev));
  return chunks;
}

export const cutsArb: fc.Arbitrary<number[]> = fc.array(fc.nat({ max: 4096 }), { maxLength: 16 });

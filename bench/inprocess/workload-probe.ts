/**
 * What users publish, one contender per process: order events on `orders.<id>.created`, the
 * payload as users hand it over (a Node Buffer, a Uint8Array that is not a Buffer, a JSON
 * string), to one subject with an exact subscriber or cycling over many subjects with one
 * wildcard subscriber.
 *
 *   nats-embedded  `server.publish(subject, payload)` → `server.subscribe("orders.*.created", { callback })`
 *   eventemitter3  `ee.emit(subject, payload)` → `ee.on(subject, fn)` once per subject: it has no
 *                  wildcards, so this is how its users get the same effect
 *   mqemitter      `mq.emit({ topic, payload }, done)` → `mq.on("orders/+/created", fn)`
 *
 * Subjects and payloads are built before the clock starts, one per distinct subject (a JSON
 * string is stringified once per subject, not per message): what is timed is the bus, not
 * `JSON.stringify` or the allocator. Every subscriber counts the message and adds up its payload
 * length: `msg.data.length` for bytes, and `msg.string().length` for a JSON string, as a user
 * who published text reads it back (`msg.string()`, `msg.json()`), just as eventemitter3's
 * listener reads the string it was given; at the end the count and the bytes must match what was published, so a run that
 * delivered nothing, or to the wrong listener, fails rather than reporting a rate.
 */
import { EventEmitter } from "eventemitter3";
import MQEmitter from "mqemitter";
import { median } from "../lib/stats.ts";
import { loadBroker } from "./broker.ts";
import { mqttTopic } from "./mqtt-topic.ts";
import { nowNs, ONE_SUBJECT, WILDCARD, type PayloadKind, type ProbeResult, type WorkloadConfig } from "./protocol.ts";
import { publishLoop } from "./publish-loop.ts";

type Payload = Uint8Array | string;

interface Workload {
  subjects: string[];
  payloads: Payload[];
  /** What the subscriber listens on: the one subject, or the wildcard. */
  pattern: string;
  /** Payload bytes of subject i, for checking what the subscriber added up. */
  sizes: number[];
}

/** One contender set up: a publish function (cycling through the subjects) and its subscriber's tallies. */
interface Bench {
  publish: () => void;
  delivered: () => number;
  bytes: () => number;
  close: () => Promise<void>;
}

const encoder = new TextEncoder();

/** Subject i's payload: 16 bytes for the binary kinds, a small order as JSON (27–29 bytes). */
function payloadFor(kind: PayloadKind, id: number): Payload {
  const text = `order-${String(id).padStart(10, "0")}`;
  if (kind === "buffer") return Buffer.from(text);
  // TextEncoder gives a plain Uint8Array: what browsers-first and isomorphic code passes.
  if (kind === "uint8array") return encoder.encode(text);
  return JSON.stringify({ id, status: "created" });
}

function buildWorkload(config: WorkloadConfig): Workload {
  const ids = config.subjects === 1 ? [1] : Array.from({ length: config.subjects }, (_, i) => i);
  const subjects = ids.map((id) => `orders.${id}.created`);
  const payloads = ids.map((id) => payloadFor(config.payload, id));
  // The premise of the Uint8Array workloads: the payload must not be a Buffer in disguise.
  if (config.payload === "uint8array" && payloads.some((p) => Buffer.isBuffer(p))) throw new Error("Uint8Array payload is a Buffer");
  // JSON stays ASCII, so a string's length and its UTF-8 byte length (what ours counts) agree.
  const sizes = payloads.map((p) => (typeof p === "string" ? Buffer.byteLength(p) : p.length));
  return { subjects, payloads, pattern: config.subjects === 1 ? ONE_SUBJECT : WILDCARD, sizes };
}

async function natsEmbedded(config: WorkloadConfig, w: Workload): Promise<Bench> {
  const { createServer } = await loadBroker(config.root);
  const server = createServer();
  let delivered = 0;
  let bytes = 0;
  const text = config.payload === "json";
  server.subscribe(w.pattern, {
    callback: text
      ? (_err, msg) => {
          delivered++;
          bytes += msg.string().length;
        }
      : (_err, msg) => {
          delivered++;
          bytes += msg.data.length;
        },
  });
  const { subjects, payloads } = w;
  const n = subjects.length;
  let i = 0;
  return {
    publish: () => {
      server.publish(subjects[i]!, payloads[i]);
      if (++i === n) i = 0;
    },
    delivered: () => delivered,
    bytes: () => bytes,
    close: () => server.close(),
  };
}

async function eventEmitter3(_config: WorkloadConfig, w: Workload): Promise<Bench> {
  const ee = new EventEmitter();
  let delivered = 0;
  let bytes = 0;
  // One function, registered on every subject: 1,000 listeners counting into the same tally.
  const onOrder = (data: Payload): void => {
    delivered++;
    bytes += data.length;
  };
  for (const subject of w.subjects) ee.on(subject, onOrder);
  const { subjects, payloads } = w;
  const n = subjects.length;
  let i = 0;
  return {
    publish: () => {
      ee.emit(subjects[i]!, payloads[i]);
      if (++i === n) i = 0;
    },
    delivered: () => delivered,
    bytes: () => bytes,
    close: async () => void ee.removeAllListeners(),
  };
}

async function mqEmitter(_config: WorkloadConfig, w: Workload): Promise<Bench> {
  const mq = MQEmitter();
  let delivered = 0;
  let bytes = 0;
  mq.on(mqttTopic(w.pattern), (msg: MQEmitter.Message, done: () => void) => {
    delivered++;
    bytes += (msg["payload"] as Payload).length;
    done();
  });
  const topics = w.subjects.map(mqttTopic);
  const { payloads } = w;
  const n = topics.length;
  let i = 0;
  const noop = (): void => {};
  return {
    publish: () => {
      mq.emit({ topic: topics[i]!, payload: payloads[i] }, noop);
      if (++i === n) i = 0;
    },
    delivered: () => delivered,
    bytes: () => bytes,
    close: () => new Promise<void>((resolve) => mq.close(() => resolve())),
  };
}

const SETUP = {
  "nats-embedded": natsEmbedded,
  eventemitter3: eventEmitter3,
  mqemitter: mqEmitter,
} as const;

/** Payload bytes of the first `published` messages: whole cycles through the subjects, then a prefix. */
function expectedBytes(sizes: readonly number[], published: number): number {
  const cycle = sizes.reduce((a, b) => a + b, 0);
  let total = Math.floor(published / sizes.length) * cycle;
  for (let i = 0; i < published % sizes.length; i++) total += sizes[i]!;
  return total;
}

export async function runWorkload(config: WorkloadConfig): Promise<ProbeResult> {
  const workload = buildWorkload(config);
  const setupStart = nowNs();
  const bench = await SETUP[config.contender](config, workload);
  const setupMs = (nowNs() - setupStart) / 1e6;
  // Let set-up work scheduled on the loop (mqemitter's setImmediate) settle first.
  await new Promise((resolve) => setImmediate(resolve));

  const loop = publishLoop(bench.publish, config);
  // One subscriber sees every message once, so deliveries = messages published.
  const expected = loop.totalPublished;
  if (expected === 0 || bench.delivered() !== expected) {
    throw new Error(`${config.contender}: ${bench.delivered()} deliveries, expected ${expected} (one subscriber, every message)`);
  }
  const bytes = expectedBytes(workload.sizes, expected);
  if (bench.bytes() !== bytes) throw new Error(`${config.contender}: subscriber added up ${bench.bytes()} payload bytes, expected ${bytes}`);
  await bench.close();
  const rates = loop.sliceRates;
  return {
    type: "result",
    metrics: { deliveryRate: median(rates)! },
    details: {
      meanDeliveryRate: loop.published / loop.seconds,
      minSliceRate: rates[0]!,
      maxSliceRate: rates[rates.length - 1]!,
      published: loop.published,
      seconds: loop.seconds,
      meanPayloadBytes: bytes / expected,
      setupMs,
    },
  };
}

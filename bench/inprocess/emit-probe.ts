/**
 * Direct publish → in-process subscriber, one contender per process:
 *
 *   nats-embedded  `server.publish(subject, payload)` → `server.subscribe(subject, { callback })`
 *   eventemitter3  `ee.emit(subject, payload)` → `ee.on(subject, fn)` (exact names only)
 *   mqemitter      `mq.emit({ topic, payload }, done)` → `mq.on(topic, (msg, cb) => …)`
 *   aedes          `broker.publish(packet, done)` → `broker.subscribe(topic, (packet, cb) => …)`
 *
 * Every subscriber does the same work: count the message and add up its payload length (so
 * nothing is optimised away); mqemitter and Aedes listeners call their `done` callback at once,
 * as their APIs require. The MQTT-style contenders get the same subjects written the MQTT way
 * (`/` separators, `+` and `#` wildcards). The publisher hands over the same 16-byte Buffer
 * every time: none of the four copies it.
 *
 * Rate = messages delivered (all subscribers together) per second: the median over several
 * time slices after a warm-up. At the end every subscriber must have received every message.
 */
import { EventEmitter } from "eventemitter3";
import MQEmitter from "mqemitter";
import { Aedes, type PublishPacket } from "aedes";
import { median } from "../lib/stats.ts";
import { loadBroker } from "./broker.ts";
import { mqttTopic } from "./mqtt-topic.ts";
import { nowNs, type EmitConfig, type ProbeResult } from "./protocol.ts";
import { publishLoop } from "./publish-loop.ts";

export const SUBJECT = "bench.direct.one";

/** One contender set up: a publish function and the tallies its subscribers keep. */
interface Bench {
  publish: () => void;
  delivered: () => number;
  bytes: () => number;
  close: () => Promise<void>;
}

/**
 * `count` subjects that never match {@link SUBJECT}: `bench.<w>.<w>.<w>` over a 20-word
 * vocabulary without "direct" (so they share the first trie level with the benchmark subject),
 * 10% with a `*` token, 5% ending in `>` after two tokens. Seeded, so every contender and every
 * run gets the same set.
 */
export function otherSubjects(count: number): string[] {
  const words = Array.from({ length: 20 }, (_, i) => `w${i}`);
  let seed = 0x2545f491;
  const next = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const roll = next(100);
    if (roll < 5) out.push(`bench.${words[next(20)]}.>`);
    else if (roll < 15) out.push(`bench.${words[next(20)]}.*.${words[next(20)]}`);
    else out.push(`bench.${words[next(20)]}.${words[next(20)]}.${words[next(20)]}`);
  }
  return out;
}

async function natsEmbedded(config: EmitConfig, payload: Buffer): Promise<Bench> {
  const { createServer } = await loadBroker(config.root);
  const server = createServer();
  let delivered = 0;
  let bytes = 0;
  const ignore = (): void => {};
  for (const subject of otherSubjects(config.otherSubscriptions)) server.subscribe(subject, { callback: ignore });
  for (let i = 0; i < config.subscribers; i++) {
    server.subscribe(SUBJECT, {
      callback: (_err, msg) => {
        delivered++;
        bytes += msg.data.length;
      },
    });
  }
  return {
    publish: () => void server.publish(SUBJECT, payload),
    delivered: () => delivered,
    bytes: () => bytes,
    close: () => server.close(),
  };
}

async function eventEmitter3(config: EmitConfig, payload: Buffer): Promise<Bench> {
  const ee = new EventEmitter();
  let delivered = 0;
  let bytes = 0;
  const ignore = (): void => {};
  for (const subject of otherSubjects(config.otherSubscriptions)) ee.on(subject, ignore);
  for (let i = 0; i < config.subscribers; i++) {
    ee.on(SUBJECT, (data: Buffer) => {
      delivered++;
      bytes += data.length;
    });
  }
  return {
    publish: () => void ee.emit(SUBJECT, payload),
    delivered: () => delivered,
    bytes: () => bytes,
    close: async () => void ee.removeAllListeners(),
  };
}

async function mqEmitter(config: EmitConfig, payload: Buffer): Promise<Bench> {
  const mq = MQEmitter();
  let delivered = 0;
  let bytes = 0;
  const ignore = (_msg: MQEmitter.Message, done: () => void): void => done();
  for (const subject of otherSubjects(config.otherSubscriptions)) mq.on(mqttTopic(subject), ignore);
  const topic = mqttTopic(SUBJECT);
  for (let i = 0; i < config.subscribers; i++) {
    mq.on(topic, (msg: MQEmitter.Message, done: () => void) => {
      delivered++;
      bytes += (msg["payload"] as Buffer).length;
      done();
    });
  }
  const noop = (): void => {};
  return {
    publish: () => void mq.emit({ topic, payload }, noop),
    delivered: () => delivered,
    bytes: () => bytes,
    close: () => new Promise<void>((resolve) => mq.close(() => resolve())),
  };
}

async function aedes(config: EmitConfig, payload: Buffer): Promise<Bench> {
  const broker = await Aedes.createBroker();
  let delivered = 0;
  let bytes = 0;
  const subscribe = (topic: string, fn: (packet: { payload: string | Buffer }, cb: () => void) => void): Promise<void> =>
    new Promise((resolve) => broker.subscribe(topic, fn, resolve));
  const ignore = (_packet: unknown, cb: () => void): void => cb();
  await Promise.all(otherSubjects(config.otherSubscriptions).map((s) => subscribe(mqttTopic(s), ignore)));
  const topic = mqttTopic(SUBJECT);
  for (let i = 0; i < config.subscribers; i++) {
    await subscribe(topic, (packet, cb) => {
      delivered++;
      bytes += packet.payload.length;
      cb();
    });
  }
  const noop = (): void => {};
  return {
    publish: () => {
      const packet: PublishPacket = { cmd: "publish", topic, payload, qos: 0, dup: false, retain: false };
      broker.publish(packet, noop);
    },
    delivered: () => delivered,
    bytes: () => bytes,
    close: () => new Promise<void>((resolve) => broker.close(() => resolve())),
  };
}

const SETUP = {
  "nats-embedded": natsEmbedded,
  eventemitter3: eventEmitter3,
  mqemitter: mqEmitter,
  aedes,
} as const;

export async function runEmit(config: EmitConfig): Promise<ProbeResult> {
  const payload = Buffer.alloc(config.payloadSize, 120);
  const setupStart = nowNs();
  const bench = await SETUP[config.contender](config, payload);
  const setupMs = (nowNs() - setupStart) / 1e6;
  // Let set-up work scheduled on the loop (Aedes' and mqemitter's setImmediate) settle first.
  await new Promise((resolve) => setImmediate(resolve));

  const loop = publishLoop(bench.publish, config);
  const rates = loop.sliceRates.map((r) => r * config.subscribers);
  const { published, seconds } = loop;

  const expected = loop.totalPublished * config.subscribers;
  if (expected === 0 || bench.delivered() !== expected) {
    throw new Error(`${config.contender}: ${bench.delivered()} deliveries, expected ${expected} (every subscriber, every message)`);
  }
  if (bench.bytes() !== expected * config.payloadSize) throw new Error(`${config.contender}: payload bytes do not add up`);
  await bench.close();
  return {
    type: "result",
    metrics: { deliveryRate: median(rates)! },
    details: {
      meanDeliveryRate: (published * config.subscribers) / seconds,
      publishRate: median(rates)! / config.subscribers,
      minSliceRate: rates[0]!,
      maxSliceRate: rates[rates.length - 1]!,
      published,
      seconds,
      setupMs,
    },
  };
}

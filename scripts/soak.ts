/**
 * Soak (`npm run soak`): hundreds of clients, official (`@nats-io/transport-node`) and raw
 * sockets, connect, subscribe, publish random sizes up to max_payload with sequence numbers,
 * and leave at random, for a bounded time. Then it checks, and prints as JSON:
 *
 * - every message sent to an interested, non-slow subscriber was delivered exactly once and in
 *   order (per subscriber and publisher: no gap, no duplicate, nothing missing at the end);
 * - no connection, subscription or timer is left; heap and RSS after GC against the start, and
 *   against the end of the first round (the time is split in `--rounds`, every client leaving
 *   at the end of each): the first round pays for one-time growth (JIT, pools, the closed-
 *   connection ring), later rounds must not grow further.
 *
 * The broker runs in a child process of its own (scripts/soak-server.ts), as in a host app: the
 * memory figures are the broker's, not those of the hundreds of clients generating the load.
 *
 *   node --import tsx scripts/soak.ts [--seconds 60] [--clients 300] [--rounds 3] [--max-payload 131072]
 *
 * Exits 1 when a check fails.
 */
import { fork, type ChildProcess } from "node:child_process";
import { connect as netConnect, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { connect as natsConnect, type NatsConnection } from "@nats-io/transport-node";
import type { SoakCommand, SoakReport } from "./soak-server.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    clients: { type: "string", default: "300" },
    "max-payload": { type: "string", default: String(128 * 1024) },
    rounds: { type: "string", default: "3" },
    "heap-margin-mb": { type: "string", default: "24" },
    "growth-margin-mb": { type: "string", default: "4" },
    "rss-growth-margin-mb": { type: "string", default: "32" },
  },
});
const SECONDS = Number(values.seconds);
const TARGET = Number(values.clients);
const MAX_PAYLOAD = Number(values["max-payload"]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rand = (n: number): number => Math.floor(Math.random() * n);

/** The broker's process, and a way to ask it for its state. */
const broker: ChildProcess = fork(new URL("./soak-server.ts", import.meta.url), [String(MAX_PAYLOAD)], {
  execArgv: ["--expose-gc", "--import", "tsx"],
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const slowCids = new Set<number>();
const serverErrors: string[] = [];
const escaped: string[] = [];
let onReport: ((report: SoakReport) => void) | undefined;
broker.on("message", (report: SoakReport) => {
  if (report.type === "slow-consumer") slowCids.add(report.cid);
  else if (report.type === "server-error") serverErrors.push(report.message);
  else if (report.type === "escaped") escaped.push(`broker: ${report.message}`);
  else onReport?.(report);
});
function ask<T extends SoakReport["type"]>(command: SoakCommand | undefined, answer: T): Promise<Extract<SoakReport, { type: T }>> {
  return new Promise((resolve) => {
    onReport = (report) => {
      if (report.type !== answer) return;
      onReport = undefined;
      resolve(report as Extract<SoakReport, { type: T }>);
    };
    if (command !== undefined) broker.send(command);
  });
}
const { port } = await ask(undefined, "ready");
const url = `nats://127.0.0.1:${port}`;
process.on("uncaughtException", (e) => void escaped.push(String(e)));
process.on("unhandledRejection", (e) => void escaped.push(String(e)));

const initial = await ask({ type: "state" }, "state");
const start = initial.memory;
const startTimers = initial.timers;

/** Publisher id -> its connection's cid. */
const publisherCids = new Map<number, number>();
/** Publisher id -> messages published so far (seq of the last one). */
const sent = new Map<number, number>();
let nextPub = 1;
let nextSub = 1;
const violations: string[] = [];
let delivered = 0;
let published = 0;
let publishedBytes = 0;
let connections = 0;

function payload(pub: number, seq: number): Buffer {
  const r = Math.random();
  const size = r < 0.9 ? 12 + rand(1024) : r < 0.99 ? 12 + rand(16 * 1024) : r < 0.995 ? MAX_PAYLOAD : 12 + rand(MAX_PAYLOAD - 11);
  const buf = Buffer.alloc(size, 0x61);
  buf.writeUInt32BE(pub, 0);
  buf.writeUInt32BE(seq, 4);
  buf.writeUInt32BE(size, 8);
  return buf;
}

/** What one subscriber expects: per publisher, the next seq and the bound on its first seq. */
class Tracker {
  readonly id = nextSub++;
  readonly next = new Map<number, number>();
  /** Publisher counts when the subscription was confirmed; undefined until then. */
  snapshot: Map<number, number> | undefined;
  cid = -1;
  constructor(readonly wants: (pub: number) => boolean) {}
  confirm(): void {
    this.snapshot = new Map(sent);
  }
  receive(data: Uint8Array): void {
    delivered++;
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const pub = buf.readUInt32BE(0);
    const seq = buf.readUInt32BE(4);
    if (buf.readUInt32BE(8) !== buf.length) violations.push(`sub ${this.id}: pub ${pub} seq ${seq} has ${buf.length} bytes, not ${buf.readUInt32BE(8)}`);
    if (!this.wants(pub)) violations.push(`sub ${this.id}: got pub ${pub} it is not subscribed to`);
    const expected = this.next.get(pub);
    if (expected === undefined) {
      // Everything published after the subscription was confirmed must arrive.
      const bound = this.snapshot === undefined ? Infinity : (this.snapshot.get(pub) ?? 0) + 1;
      if (seq > bound) violations.push(`sub ${this.id}: pub ${pub} first seq ${seq}, expected at most ${bound}`);
    } else if (seq !== expected) {
      violations.push(`sub ${this.id}: pub ${pub} seq ${seq}, expected ${expected}`);
    }
    this.next.set(pub, seq + 1);
  }
  /** At the end, after every publisher flushed and this subscriber flushed. */
  checkComplete(): void {
    if (this.snapshot === undefined || slowCids.has(this.cid)) return;
    for (const [pub, count] of sent) {
      if (!this.wants(pub) || count <= (this.snapshot.get(pub) ?? 0)) continue;
      // A publisher that also subscribes can itself be cut as a slow consumer: what it wrote
      // after the cut never reached the server, so only its subscribers' order is checked.
      if (slowCids.has(publisherCids.get(pub) ?? -1)) continue;
      const got = (this.next.get(pub) ?? 1) - 1;
      if (got !== count) violations.push(`sub ${this.id}: pub ${pub} ended at seq ${got} of ${count}`);
    }
  }
}

/** One client, official or raw, with optional publisher and subscriber roles. */
interface Actor {
  readonly kind: "official" | "raw";
  publish(data: Buffer, subject: string): void;
  subscribe(subject: string, tracker: Tracker): void;
  flush(): Promise<void>;
  cid(): number;
  close(graceful: boolean): Promise<void>;
}

async function officialActor(): Promise<Actor> {
  const nc: NatsConnection = await natsConnect({ servers: url, reconnect: false, maxPingOut: 100 });
  return {
    kind: "official",
    publish: (data, subject) => nc.publish(subject, data),
    subscribe: (subject, tracker) => void nc.subscribe(subject, { callback: (_err, msg) => tracker.receive(msg.data) }),
    flush: () => nc.flush(),
    cid: () => nc.info?.client_id ?? -1,
    close: async (graceful) => {
      if (graceful) await nc.flush().catch(() => {});
      await nc.close().catch(() => {});
    },
  };
}

async function rawActor(): Promise<Actor> {
  const socket: Socket = netConnect(port, "127.0.0.1");
  socket.setNoDelay(true);
  socket.on("error", () => {});
  let buf: Buffer = Buffer.alloc(0);
  let cid = -1;
  const pongs: (() => void)[] = [];
  const subs = new Map<string, Tracker>();
  let nextSid = 1;
  let closed = false;
  socket.on("close", () => {
    closed = true;
    for (const p of pongs.splice(0)) p();
  });
  const info = new Promise<void>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let at = 0;
      for (;;) {
        const nl = buf.indexOf("\r\n", at);
        if (nl < 0) break;
        const line = buf.toString("latin1", at, nl);
        if (line.startsWith("MSG ")) {
          const f = line.split(" ");
          const size = Number(f[f.length - 1]);
          if (nl + 2 + size + 2 > buf.length) break;
          subs.get(f[2]!)?.receive(buf.subarray(nl + 2, nl + 2 + size));
          at = nl + 2 + size + 2;
          continue;
        }
        at = nl + 2;
        if (line === "PING") socket.write("PONG\r\n");
        else if (line === "PONG") pongs.shift()?.();
        else if (line.startsWith("INFO ")) {
          cid = (JSON.parse(line.slice(5)) as { client_id: number }).client_id;
          resolve();
        } else if (line.startsWith("-ERR")) violations.push(`raw client ${cid} got ${line}`);
      }
      buf = at >= buf.length ? Buffer.alloc(0) : buf.subarray(at);
    });
  });
  await info;
  socket.write('CONNECT {"verbose":false,"pedantic":false}\r\n');
  const flush = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      pongs.push(resolve);
      socket.write("PING\r\n");
    });
  return {
    kind: "raw",
    publish: (data, subject) => {
      socket.write(`PUB ${subject} ${data.length}\r\n`);
      socket.write(data);
      socket.write("\r\n");
    },
    subscribe: (subject, tracker) => {
      const sid = String(nextSid++);
      subs.set(sid, tracker);
      socket.write(`SUB ${subject} ${sid}\r\n`);
    },
    flush,
    cid: () => cid,
    close: async (graceful) => {
      if (graceful) {
        await flush();
        socket.end();
      } else socket.destroy();
      await new Promise<void>((r) => (closed ? r() : socket.once("close", () => r())));
    },
  };
}

interface Member {
  actor: Actor;
  pub: number | undefined;
  trackers: Tracker[];
  timer: NodeJS.Timeout | undefined;
  /** When it leaves by itself; cancelled at the end of a round. */
  lifetime: NodeJS.Timeout | undefined;
}
const members = new Set<Member>();
const trackersAlive = new Set<Tracker>();

async function spawn(): Promise<void> {
  const actor = Math.random() < 0.5 ? await officialActor() : await rawActor();
  connections++;
  const member: Member = { actor, pub: undefined, trackers: [], timer: undefined, lifetime: undefined };
  members.add(member);
  const role = Math.random();
  if (role < 0.6) {
    // Subscriber: one publisher's subject, soak.*, or soak.>.
    const pubs = [...sent.keys()];
    // Mostly one publisher's subject; wildcards fan everything out, so fewer of them.
    const k = Math.random();
    const kind = k < 0.7 ? 0 : k < 0.85 ? 1 : 2;
    const target = pubs.length > 0 ? pubs[rand(pubs.length)]! : 1;
    const subject = kind === 0 ? `soak.${target}` : kind === 1 ? "soak.*" : "soak.>";
    const tracker = new Tracker(kind === 0 ? (p) => p === target : () => true);
    actor.subscribe(subject, tracker);
    await actor.flush();
    tracker.cid = actor.cid();
    tracker.confirm();
    member.trackers.push(tracker);
    trackersAlive.add(tracker);
  }
  if (role > 0.4) {
    const pub = nextPub++;
    member.pub = pub;
    publisherCids.set(pub, actor.cid());
    sent.set(pub, 0);
    const tick = (): void => {
      const n = 1 + rand(3);
      for (let i = 0; i < n; i++) {
        const seq = sent.get(pub)! + 1;
        sent.set(pub, seq);
        const data = payload(pub, seq);
        try {
          actor.publish(data, `soak.${pub}`);
        } catch {
          // The official client throws once the broker has cut it (a slow consumer that also
          // publishes): that message was never sent, and this publisher is done.
          sent.set(pub, seq - 1);
          return;
        }
        published++;
        publishedBytes += data.length;
      }
      member.timer = setTimeout(tick, 50 + rand(200));
    };
    tick();
  }
  const lifetime = 1000 + rand(14_000);
  member.lifetime = setTimeout(() => void leave(member), lifetime).unref();
}

async function leave(member: Member, graceful = Math.random() < 0.5): Promise<void> {
  if (!members.delete(member)) return;
  clearTimeout(member.timer);
  clearTimeout(member.lifetime);
  for (const t of member.trackers) trackersAlive.delete(t);
  // A leaving publisher always flushes: what it sent counts as sent.
  const how = `${member.actor.kind} cid ${member.actor.cid()} ${graceful || member.pub !== undefined ? "graceful" : "abrupt"}`;
  closing.add(how);
  await bounded(member.actor, "close", member.actor.close(graceful || member.pub !== undefined));
  closing.delete(how);
}

/**
 * nats.js 3.4 can leave flush()/close() pending forever when the server cut the connection
 * (seen for slow consumers): the socket is gone but the promise never settles. Each such wait
 * is bounded and recorded; the broker side is checked on its own (no connection left).
 */
async function bounded(actor: Actor, op: "flush" | "close", work: Promise<void>): Promise<void> {
  const cid = actor.cid();
  const settled = await Promise.race([work.then(() => true, () => true), sleep(30_000).then(() => false)]);
  if (!settled) hungClientOps.push({ op, kind: actor.kind, cid, cutAsSlowConsumer: slowCids.has(cid) });
}
/** Client operations that never settled (see bounded()). */
const hungClientOps: Array<{ op: string; kind: string; cid: number; cutAsSlowConsumer: boolean }> = [];
/** Clients in the middle of leaving, for the stall report. */
const closing = new Set<string>();

const ROUNDS = Number(values.rounds);
const startedAt = Date.now();
let peakClients = 0;
let lastReport = startedAt;
let clientsLeft = 0;
let subsLeft = 0;
let timersWithServer = 0;
/** Memory after each round, every client gone (the server still up). */
const afterRounds: NodeJS.MemoryUsage[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const deadline = startedAt + ((SECONDS * 1000) / ROUNDS) * round;
  while (Date.now() < deadline) {
    const spawns: Promise<void>[] = [];
    for (let i = members.size; i < TARGET && spawns.length < 50; i++) spawns.push(spawn().catch((e) => void violations.push(`spawn: ${String(e)}`)));
    await Promise.all(spawns);
    peakClients = Math.max(peakClients, members.size);
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      console.error(`${Math.round((lastReport - startedAt) / 1000)} s: ${members.size} clients, ${published} published, ${delivered} delivered`);
    }
    await sleep(20);
  }

  // Stop publishing, flush every publisher, then every subscriber, then check completeness.
  const stall = setInterval(() => console.error(`round ${round}: still winding down, ${members.size} clients, leaving: ${[...closing].slice(0, 5).join("; ")}`), 10_000);
  // No one leaves by itself from here on: a flush racing a close of the same official client
  // never settles (nats.js 3.4).
  for (const m of members) {
    clearTimeout(m.timer);
    clearTimeout(m.lifetime);
  }
  await Promise.all([...members].filter((m) => m.pub !== undefined).map((m) => bounded(m.actor, "flush", m.actor.flush())));
  await Promise.all([...members].filter((m) => m.trackers.length > 0).map((m) => bounded(m.actor, "flush", m.actor.flush())));
  for (const t of trackersAlive) t.checkComplete();
  await Promise.all([...members].map((m) => leave(m)));
  sent.clear();

  const deadlineClean = Date.now() + 10_000;
  let state = await ask({ type: "state" }, "state");
  while ((state.clients > 0 || state.subscriptions > 0) && Date.now() < deadlineClean) {
    await sleep(50);
    state = await ask({ type: "state" }, "state");
  }
  clientsLeft = Math.max(clientsLeft, state.clients);
  subsLeft = Math.max(subsLeft, state.subscriptions);
  await sleep(100);
  state = await ask({ type: "state" }, "state");
  timersWithServer = Math.max(timersWithServer, state.timers - startTimers);
  afterRounds.push(state.memory);
  clearInterval(stall);
  console.error(`round ${round}/${ROUNDS} done: heap ${(afterRounds.at(-1)!.heapUsed / 1048576).toFixed(1)} MB, rss ${(afterRounds.at(-1)!.rss / 1048576).toFixed(1)} MB`);
}
const closed = await ask({ type: "close" }, "closed");
const end = closed.memory;
const mb = (n: number): number => Number((n / 1048576).toFixed(1));
const heapDelta = mb(end.heapUsed - start.heapUsed);
const rssDelta = mb(end.rss - start.rss);
/** Growth from the end of the first round to the end of the last: what a leak would show. */
const first = afterRounds[0]!;
const last = afterRounds.at(-1)!;
const heapGrowthAfterRound1 = mb(last.heapUsed - first.heapUsed);
const rssGrowthAfterRound1 = mb(last.rss - first.rss);
const result = {
  seconds: SECONDS,
  targetClients: TARGET,
  peakClients,
  connections,
  published,
  publishedMB: mb(publishedBytes),
  delivered,
  maxPayload: MAX_PAYLOAD,
  slowConsumers: slowCids.size,
  violations: violations.length,
  firstViolations: violations.slice(0, 10),
  clientsLeft,
  subscriptionsLeft: subsLeft,
  timersLeft: timersWithServer,
  heapStartMB: mb(start.heapUsed),
  heapEndMB: mb(end.heapUsed),
  heapDeltaMB: heapDelta,
  rssStartMB: mb(start.rss),
  rssEndMB: mb(end.rss),
  rssDeltaMB: rssDelta,
  rounds: ROUNDS,
  heapAfterRoundsMB: afterRounds.map((m) => mb(m.heapUsed)),
  rssAfterRoundsMB: afterRounds.map((m) => mb(m.rss)),
  heapGrowthAfterRound1MB: heapGrowthAfterRound1,
  rssGrowthAfterRound1MB: rssGrowthAfterRound1,
  /** Where the RSS is: V8's reserved heap (young generation included) and Buffer memory outside it. */
  heapTotalAfterRoundsMB: afterRounds.map((m) => mb(m.heapTotal)),
  externalAfterRoundsMB: afterRounds.map((m) => mb(m.external)),
  heapTotalStartMB: mb(start.heapTotal),
  externalStartMB: mb(start.external),
  gc: true,
  hungClientOps,
  escaped,
  serverErrors,
};
const ok =
  violations.length === 0 &&
  clientsLeft === 0 &&
  subsLeft === 0 &&
  timersWithServer <= 0 &&
  escaped.length === 0 &&
  serverErrors.length === 0 &&
  heapDelta < Number(values["heap-margin-mb"]) &&
  (ROUNDS < 2 || (heapGrowthAfterRound1 < Number(values["growth-margin-mb"]) && rssGrowthAfterRound1 < Number(values["rss-growth-margin-mb"])));
console.log(JSON.stringify({ ok, ...result }, null, 2));
process.exit(ok ? 0 : 1);

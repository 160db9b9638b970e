/**
 * The consumer side's pure rules, without a broker: ack subjects and bodies, pull request
 * bodies, config defaults, validation and update rules, the delivery bookkeeping (ack floor,
 * redelivery queue, persistence round trip), the flow control window and the status messages.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ackSubject, parseAckBody, parseAckSubject, parseGoDuration } from "../../src/jetstream/consumer/ack.ts";
import {
  applyConsumerDefaults,
  checkConsumerConfig,
  checkConsumerUpdate,
  configToJson,
  parseConsumerConfig,
  type ConsumerConfig,
  type StreamConfigView,
} from "../../src/jetstream/consumer/config.ts";
import { DeliveryState } from "../../src/jetstream/consumer/pending.ts";
import { ConsumerStatus, headersOnly } from "../../src/jetstream/consumer/status.ts";
import { PullRequestQueue, WaitingRequest, parseNextRequest } from "../../src/jetstream/consumer/pull-requests.ts";
import { ByteRateLimiter, FlowControlWindow } from "../../src/jetstream/consumer/push-delivery.ts";

const STREAM: StreamConfigView = { name: "ORDERS", retention: "limits", subjects: ["orders.>"] };

function config(raw: Record<string, unknown>): ConsumerConfig {
  const parsed = parseConsumerConfig(raw);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.error));
  applyConsumerDefaults(parsed.value, STREAM);
  return parsed.value;
}

function text(headers: { encode(): Uint8Array }): string {
  return Buffer.from(headers.encode()).toString("latin1");
}

describe("ack subjects and bodies", () => {
  it("writes and reads nats-server's v1 ack subject, and reads v2", () => {
    const subject = ackSubject("ORDERS", "proc", 2, 17, 40, 1795354932095254710n, 3);
    assert.equal(subject, "$JS.ACK.ORDERS.proc.2.17.40.1795354932095254710.3");
    assert.deepEqual(parseAckSubject(subject), {
      stream: "ORDERS",
      consumer: "proc",
      deliveryCount: 2,
      streamSeq: 17,
      consumerSeq: 40,
      timeNs: 1795354932095254710n,
      pending: 3,
    });
    const v2 = parseAckSubject("$JS.ACK.hub.ACCHASH.ORDERS.proc.1.5.6.100.0.rand");
    assert.equal(v2?.stream, "ORDERS");
    assert.equal(v2?.streamSeq, 5);
    for (const bad of ["$JS.ACK.ORDERS.proc.1.2.3", "$JS.ACK.ORDERS.proc.x.2.3.4.5", "foo.bar", "$JS.NAK.a.b.1.2.3.4.5"]) {
      assert.equal(parseAckSubject(bad), undefined, bad);
    }
  });

  it("reads every ack body nats-server knows", () => {
    assert.deepEqual(parseAckBody(""), { kind: "ack" });
    assert.deepEqual(parseAckBody("+ACK"), { kind: "ack" });
    assert.deepEqual(parseAckBody("-NAK"), { kind: "nak", delayNs: undefined });
    assert.deepEqual(parseAckBody('-NAK {"delay":2000000000}'), { kind: "nak", delayNs: 2_000_000_000 });
    assert.deepEqual(parseAckBody("-NAK 1.5s"), { kind: "nak", delayNs: 1_500_000_000 });
    assert.deepEqual(parseAckBody("-NAK {broken"), { kind: "nak", delayNs: undefined });
    assert.deepEqual(parseAckBody("+WPI"), { kind: "progress" });
    assert.deepEqual(parseAckBody('+NXT {"batch":2}'), { kind: "next", request: ' {"batch":2}' });
    assert.deepEqual(parseAckBody("+TERM bad input"), { kind: "term", reason: "bad input" });
    assert.deepEqual(parseAckBody("hello"), { kind: "unknown" });
    assert.equal(parseGoDuration("1m30s"), 90e9);
    assert.equal(parseGoDuration("250ms"), 250e6);
    assert.equal(parseGoDuration("soon"), undefined);
  });
});

describe("pull requests", () => {
  it("reads a number, JSON, or nothing, and refuses bad heartbeats", () => {
    assert.deepEqual(parseNextRequest(""), { batch: 1, expiresNs: 0, maxBytes: 0, noWait: false, heartbeatNs: 0 });
    assert.deepEqual(parseNextRequest(" 7 "), { batch: 7, expiresNs: 0, maxBytes: 0, noWait: false, heartbeatNs: 0 });
    assert.deepEqual(parseNextRequest('{"batch":3,"expires":5000000000,"no_wait":true,"max_bytes":100,"idle_heartbeat":1000000000}'), {
      batch: 3,
      expiresNs: 5e9,
      maxBytes: 100,
      noWait: true,
      heartbeatNs: 1e9,
      // A JSON body always carries the priority group fields, as Go's request struct does.
      priority: { group: "", minPending: 0, minAckPending: 0, id: "", priority: 0 },
    });
    assert.deepEqual(parseNextRequest('{"batch":1,"expires":1000000000,"idle_heartbeat":600000000}'), { error: "heartbeat value too large" });
    assert.ok("error" in parseNextRequest("{nope"));
    assert.ok("error" in parseNextRequest('{"batch":"ten"}'));
  });

  it("bounds the waiting queue by max_waiting", () => {
    const queue = new PullRequestQueue(2);
    const request = parseNextRequest("1");
    assert.ok(!("error" in request));
    const a = new WaitingRequest("a", request, 0);
    const b = new WaitingRequest("b", request, 0);
    assert.ok(queue.add(a));
    assert.ok(queue.add(b));
    assert.equal(queue.add(new WaitingRequest("c", request, 0)), false);
    assert.equal(queue.isFull, true);
    queue.remove(a);
    assert.equal(queue.peek(), b);
    assert.deepEqual(queue.drain().map((r) => r.reply), ["b"]);
    assert.equal(queue.length, 0);
  });
});

describe("consumer config", () => {
  it("fills nats-server's defaults", () => {
    const pull = config({ durable_name: "d", ack_policy: "explicit" });
    assert.deepEqual(configToJson(pull), {
      durable_name: "d",
      deliver_policy: "all",
      ack_policy: "explicit",
      ack_wait: 30e9,
      max_deliver: -1,
      replay_policy: "instant",
      max_waiting: 512,
      max_ack_pending: 1000,
      num_replicas: 0,
    });
    const ephemeralPush = config({ deliver_subject: "out", ack_policy: "none" });
    assert.equal(ephemeralPush.inactive_threshold, 5e9);
    assert.equal(ephemeralPush.max_waiting, undefined);
    assert.equal(ephemeralPush.max_ack_pending, undefined);
    assert.equal(ephemeralPush.ack_wait, undefined);
    const backoff = config({ durable_name: "b", ack_policy: "explicit", backoff: [1e9, 5e9], max_deliver: 4 });
    assert.equal(backoff.ack_wait, 1e9);
  });

  it("validates as checkConsumerCfg does", () => {
    const check = (raw: Record<string, unknown>, stream: StreamConfigView = STREAM) => checkConsumerConfig(config(raw), stream)?.err_code;
    assert.equal(check({ durable_name: "ok", ack_policy: "explicit" }), undefined);
    assert.equal(check({ deliver_subject: "a.*" }), 10079);
    assert.equal(check({ deliver_subject: "orders.x" }), 10081);
    assert.equal(check({ deliver_subject: "d", max_waiting: 5 }), 10080);
    assert.equal(check({ deliver_subject: "d", ack_policy: "none", max_ack_pending: 5 }), 10082);
    assert.equal(check({ deliver_subject: "d", idle_heartbeat: 50e6 }), 10083);
    assert.equal(check({ idle_heartbeat: 1e9 }), 10088);
    assert.equal(check({ flow_control: true }), 10089);
    assert.equal(check({ ack_policy: "none" }, { ...STREAM, retention: "workqueue" }), 10084);
    assert.equal(check({ filter_subject: "a", filter_subjects: ["b"] }), 10136);
    assert.equal(check({ filter_subjects: ["a.>", "a.b"] }), 10138);
    assert.equal(check({ filter_subjects: [""] }), 10139);
    assert.equal(check({ deliver_policy: "last_per_subject" }), 10094);
    assert.equal(check({ deliver_policy: "by_start_time" }), 10094);
    assert.equal(check({ deliver_policy: "all", opt_start_seq: 4 }), 10094);
    assert.equal(check({ ack_policy: "explicit", backoff: [1e9, 2e9], max_deliver: 1 }), 10116);
    assert.equal(check({ deliver_subject: "d", flow_control: true }), 10108);
    assert.equal(check({ durable_name: "a", name: "b" }), 10132);
    assert.equal(check({ name: "has.dot" }), 10052);
    assert.equal(check({ max_expires: 10 }), 10115);
    assert.equal(check({ ack_policy: "explicit", max_ack_pending: 50 }, { ...STREAM, consumer_limits: { max_ack_pending: 10 } }), 10121);
  });

  it("reads a wrongly typed config as invalid JSON, and a missing one as required", () => {
    for (const raw of [{ ack_wait: "30s" }, { deliver_policy: "sometimes" }, { filter_subjects: "a" }, { flow_control: "yes" }, { opt_start_time: "yesterday" }]) {
      const parsed = parseConsumerConfig(raw);
      assert.ok(!parsed.ok && parsed.error.err_code === 10025, JSON.stringify(raw));
    }
    const missing = parseConsumerConfig(undefined);
    assert.ok(!missing.ok && missing.error.err_code === 10078);
  });

  it("allows only nats-server's updatable fields to change", () => {
    const base = config({ durable_name: "d", ack_policy: "explicit" });
    assert.equal(checkConsumerUpdate(base, config({ durable_name: "d", ack_policy: "explicit", ack_wait: 5e9, max_deliver: 3 }), false), undefined);
    assert.equal(checkConsumerUpdate(base, config({ durable_name: "d", ack_policy: "all" }), false), "ack policy can not be updated");
    assert.equal(checkConsumerUpdate(base, config({ durable_name: "d", ack_policy: "explicit", deliver_policy: "new" }), false), "deliver policy can not be updated");
    assert.equal(checkConsumerUpdate(base, config({ durable_name: "d", ack_policy: "explicit", max_waiting: 10 }), false), "max waiting can not be updated");
    const push = config({ durable_name: "p", deliver_subject: "a" });
    const moved = config({ durable_name: "p", deliver_subject: "b" });
    assert.equal(checkConsumerUpdate(push, moved, false), undefined, "an unbound push consumer may move");
    assert.deepEqual(checkConsumerUpdate(push, moved, true), { code: 400, err_code: 10013, description: "consumer name already in use" });
  });
});

describe("delivery bookkeeping", () => {
  it("moves the ack floor only past the lowest outstanding delivery", () => {
    const s = new DeliveryState();
    s.startAt(1);
    for (let seq = 1; seq <= 3; seq++) {
      s.track(seq, s.consumerSeq, 0);
      s.consumerSeq++;
      s.streamSeq = seq + 1;
    }
    s.pending.delete(2);
    s.moveAckFloor(2, 2);
    assert.deepEqual([s.ackFloorConsumer, s.ackFloorStream], [0, 0], "1 is still out");
    s.pending.delete(1);
    s.moveAckFloor(1, 1);
    assert.deepEqual([s.ackFloorConsumer, s.ackFloorStream], [2, 2], "up to just below 3");
    s.pending.delete(3);
    s.moveAckFloor(3, 3);
    assert.deepEqual([s.ackFloorConsumer, s.ackFloorStream], [3, 3]);
  });

  it("queues each redelivery once, in order, and survives a persistence round trip", () => {
    const s = new DeliveryState();
    s.startAt(10);
    s.queueRedelivery(12);
    s.queueRedelivery(11);
    s.queueRedelivery(12);
    assert.equal(s.redeliveryCount, 2);
    s.unqueue(12);
    assert.equal(s.nextRedelivery(), 11);
    assert.equal(s.nextRedelivery(), undefined);
    s.track(10, 1, 1_700_000_000_000);
    s.redelivered.set(10, 3);
    s.consumerSeq = 2;
    s.streamSeq = 11;
    const restored = new DeliveryState();
    restored.restore(s.snapshot());
    assert.deepEqual(restored.snapshot(), s.snapshot());
    assert.equal(restored.deliveryCount(10), 3);
    assert.equal(restored.pending.get(10)?.timeMs, 1_700_000_000_000);
  });
});

describe("flow control and status messages", () => {
  it("asks past half the window, stalls past it, and doubles it on each answer", () => {
    const fc = new FlowControlWindow("S", "c", 1600);
    assert.equal(fc.replyWildcard, "$JS.FC.S.c.*");
    assert.equal(fc.delivered(40), false);
    assert.equal(fc.delivered(20), true, "over half of the 100-byte starting window");
    const reply = fc.newRequest();
    assert.match(reply, /^\$JS\.FC\.S\.c\.[0-9A-Za-z]{4}$/);
    fc.delivered(50);
    assert.equal(fc.stalled, true);
    assert.equal(fc.outstanding, reply);
    assert.equal(fc.answered("$JS.FC.S.c.zzzz"), false, "only the outstanding request counts");
    assert.equal(fc.answered(reply), true);
    assert.equal(fc.stalled, false);
    assert.equal(fc.outstanding, undefined);
  });

  it("limits a push consumer's bytes a second after its burst", () => {
    // 8000 bits a second = 1 byte a ms, with a 100-byte burst.
    const limiter = new ByteRateLimiter(8000, 100, 0);
    assert.equal(limiter.reserve(60, 0), 0);
    assert.equal(limiter.reserve(40, 0), 0, "the burst is used up exactly");
    assert.equal(limiter.reserve(50, 0), 50, "then 50 bytes cost 50 ms");
    assert.equal(limiter.reserve(10, 100), 0, "after waiting the debt off and more");
    assert.equal(limiter.reserve(500, 1000), 0, "a message over the burst only takes the burst");
  });

  it("writes nats-server's status lines", () => {
    assert.equal(text(ConsumerStatus.noMessages()), "NATS/1.0 404 No Messages\r\n\r\n");
    assert.equal(text(ConsumerStatus.requestTimeout(4, 0)), "NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 4\r\nNats-Pending-Bytes: 0\r\n\r\n");
    assert.equal(text(ConsumerStatus.exceededMaxWaiting()), "NATS/1.0 409 Exceeded MaxWaiting\r\n\r\n");
    assert.equal(text(ConsumerStatus.consumerDeleted()), "NATS/1.0 409 Consumer Deleted\r\n\r\n");
    assert.equal(text(ConsumerStatus.flowControl()), "NATS/1.0 100 FlowControl Request\r\n\r\n");
    assert.equal(
      text(ConsumerStatus.idleHeartbeat(3, 9, "$JS.FC.S.c.abcd")),
      "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 3\r\nNats-Last-Stream: 9\r\nNats-Consumer-Stalled: $JS.FC.S.c.abcd\r\n\r\n",
    );
    assert.equal(text(headersOnly(undefined, 12)), "NATS/1.0\r\nNats-Msg-Size: 12\r\n\r\n");
    assert.equal(text(headersOnly(Buffer.from("NATS/1.0\r\nA: b\r\n\r\n"), 3)), "NATS/1.0\r\nA: b\r\nNats-Msg-Size: 3\r\n\r\n");
  });
});

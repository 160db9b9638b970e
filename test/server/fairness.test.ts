/**
 * One client pipelining a huge batch cannot hold up the others: input is parsed a slice per
 * event-loop turn, so the loop's delay stays small while the batch goes through.
 */
import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { describe, it } from "node:test";
import { createServer } from "../../src/index.ts";
import { eventually } from "../helpers/broker.ts";

describe("fairness", () => {
  it("a 32 MB pipelined write over a memory pipe keeps the event loop responsive", async (t) => {
    const server = createServer();
    t.after(() => server.close());
    let received = 0;
    server.subscribe("flood", { callback: () => void received++ });
    const pipe = server.inProcessConn();
    pipe.resume();
    const frame = "PUB flood 16\r\n0123456789abcdef\r\n";
    const n = Math.floor((32 * 1024 * 1024) / frame.length);
    const batch = Buffer.from(frame.repeat(n));
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    let ticks = 0;
    const ticker = setInterval(() => void ticks++, 5);
    pipe.write('CONNECT {"verbose":false}\r\n');
    pipe.write(batch);
    await eventually(() => received === n, `all ${n} messages`, 60_000);
    clearInterval(ticker);
    delay.disable();
    // Almost every turn is short; the longest may also hold a moment the OS gave the CPU to
    // another process (a busy 2-core CI machine), but stays far below the seconds that parsing
    // the whole 32 MB in one turn takes.
    const p99Ms = delay.percentile(99) / 1e6;
    const maxMs = delay.max / 1e6;
    assert.ok(p99Ms < 50, `event loop delay reached ${p99Ms.toFixed(1)} ms at the 99th percentile`);
    assert.ok(maxMs < 400, `event loop delay reached ${maxMs.toFixed(1)} ms`);
    assert.ok(ticks > 10, `timers kept running during the batch (${ticks} ticks)`);
  });
});

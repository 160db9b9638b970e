/**
 * Tracing across accounts: a service import (`si`) and a stream export (`se`) are reported, and
 * the trace goes on into the other account only where the export (service) or the import
 * (stream) allows it, as nats-server's `allow_trace`.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import type { ServerOptions } from "../../src/index.ts";
import { startBroker } from "../helpers/broker.ts";
import { client, sleep, steps, traces } from "./helpers.ts";

const users = (name: string) => [{ user: name, password: "pw" }];

async function twoAccounts(t: TestContext, allowTrace: boolean) {
  const options: ServerOptions = {
    accounts: {
      A: { users: users("a"), exports: [{ service: "svc.>", allowTrace }, { stream: "news.>" }] },
      B: {
        users: users("b"),
        imports: [
          { service: { account: "A", subject: "svc.>" }, to: "ask.>" },
          { stream: { account: "A", subject: "news.>" }, prefix: "fromA", allowTrace },
        ],
      },
    },
  };
  const server = await startBroker(t, options);
  const a = await client(t, server.url, { user: "a", pass: "pw", name: "in-A" });
  const b = await client(t, server.url, { user: "b", pass: "pw", name: "in-B" });
  return { server, a, b };
}

describe("message tracing across accounts", () => {
  it("service import allowed: si names the exporter, the responder is an egress with its account", async (t) => {
    const { a, b } = await twoAccounts(t, true);
    a.subscribe("svc.echo", { callback: (_e, m) => void m.respond(`echo ${m.string()}`) });
    await a.flush();
    const wait = await traces(b, "tr.b");
    assert.equal((await b.request("ask.echo", "hi", { timeout: 2000, traceDestination: "tr.b" })).string(), "echo hi");
    const [event] = await wait(1);
    assert.deepEqual([event!.events[0]!.acc, event!.events[0]!.subj], ["B", "ask.echo"]);
    assert.deepEqual(steps(event!, "si").map((e) => [e.acc, e.from, e.to]), [["A", "ask.echo", "svc.echo"]]);
    assert.deepEqual(steps(event!, "eg").map((e) => [e.name, e.sub, e.acc]), [["in-A", "svc.echo", "A"]]);
  });

  it("service import not allowed (the default): the trace stops at si; trace-only goes no further", async (t) => {
    const { a, b } = await twoAccounts(t, false);
    let served = 0;
    a.subscribe("svc.echo", { callback: (_e, m) => void (served++, m.respond("r")) });
    await a.flush();
    const wait = await traces(b, "tr.b");
    assert.equal((await b.request("ask.echo", "hi", { timeout: 2000, traceDestination: "tr.b" })).string(), "r");
    b.publish("ask.echo", "only", { traceDestination: "tr.b", traceOnly: true });
    const events = await wait(2);
    for (const event of events) {
      assert.equal(steps(event, "si").length, 1);
      assert.equal(steps(event, "eg").length, 0);
    }
    assert.equal(served, 1);
  });

  it("stream import: se names the importer and the subject there; allowed, its subscribers are egress", async (t) => {
    const { a, b } = await twoAccounts(t, true);
    const got: string[] = [];
    b.subscribe("fromA.news.>", { callback: (_e, m) => void got.push(m.subject) });
    await b.flush();
    const wait = await traces(a, "tr.a");
    a.publish("news.today", "x", { traceDestination: "tr.a" });
    a.publish("news.today", "y", { traceDestination: "tr.a", traceOnly: true });
    const events = await wait(2);
    for (const event of events) {
      assert.deepEqual(steps(event, "se").map((e) => [e.acc, e.to]), [["B", "fromA.news.today"]]);
      assert.deepEqual(steps(event, "eg").map((e) => [e.name, e.sub, e.acc]), [["in-B", "fromA.news.>", "B"]]);
    }
    assert.deepEqual(got, ["fromA.news.today"]);
  });

  it("stream import not allowed: delivered untraced, the importer's subscribers missing from the trace", async (t) => {
    const { a, b } = await twoAccounts(t, false);
    const got: (string | undefined)[] = [];
    b.subscribe("fromA.news.>", { callback: (_e, m) => void got.push(m.headers?.get("Nats-Trace-Dest")) });
    await b.flush();
    const wait = await traces(a, "tr.a");
    a.publish("news.today", "x", { traceDestination: "tr.a" });
    a.publish("news.today", "y", { traceDestination: "tr.a", traceOnly: true });
    const events = await wait(2);
    await sleep(50);
    for (const event of events) {
      assert.equal(steps(event, "se").length, 1);
      assert.equal(steps(event, "eg").length, 0);
    }
    // The one delivered carries the destination disabled, so that no server further on traces it.
    assert.deepEqual(got, ["trace disabled"]);
  });
});

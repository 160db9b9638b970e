/**
 * Fixed-seed slice of the fuzzing (`npm run fuzz` runs the long version, see scripts/fuzz.ts):
 * the parser alone, and a live server over memory pipes. Seeds that once failed stay below as
 * regression tests.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { HostWatch, listenTargets, liveTargets, parserProperty, serverProperty, type FuzzTransport, type LiveTarget } from "./properties.ts";

const SEED = 20261122;

describe("fuzz (fixed seed)", () => {
  it("parser: no throw, a ParseError code, same ops whole / split / byte by byte", () => {
    fc.assert(parserProperty(), { seed: SEED, numRuns: 10_000 });
  });

  /** The same scripts over each transport: memory pipes most, the real listeners a slice each. */
  const runs: Array<[FuzzTransport, string, number]> = [
    ["memory", "memory pipes", 500],
    ["tcp", "TCP", 300],
    ["websocket", "WebSocket", 200],
  ];
  for (const [transport, label, numRuns] of runs) {
    describe(`live server over ${label}`, () => {
      let targets: LiveTarget[] = [];
      const watch = new HostWatch();
      before(async () => {
        watch.start();
        targets = liveTargets(transport);
        if (transport !== "memory") await listenTargets(targets);
      });
      after(async () => {
        watch.stop();
        await Promise.all(targets.map((t) => t.server.close()));
      });

      it("random scripts from 4 clients: nothing escapes, PING answered, counts back to 0", async () => {
        await fc.assert(serverProperty(targets, watch), { seed: SEED, numRuns });
        assert.deepEqual(watch.escaped, []);
        for (const t of targets) {
          assert.equal(t.server.numClients, 0);
          assert.equal(t.server.numSubscriptions, 0);
        }
      });
    });
  }
});

/**
 * Fixed-seed slice of the fuzzing (`npm run fuzz` runs the long version, see scripts/fuzz.ts):
 * the parser alone, and a live server over memory pipes. Seeds that once failed stay below as
 * regression tests.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { HostWatch, liveTargets, parserProperty, serverProperty, type LiveTarget } from "./properties.ts";

const SEED = 20261122;

describe("fuzz (fixed seed)", () => {
  it("parser: no throw, a ParseError code, same ops whole / split / byte by byte", () => {
    fc.assert(parserProperty(), { seed: SEED, numRuns: 10_000 });
  });

  describe("live server over memory pipes", () => {
    let targets: LiveTarget[] = [];
    const watch = new HostWatch();
    before(() => {
      watch.start();
      targets = liveTargets();
    });
    after(async () => {
      watch.stop();
      await Promise.all(targets.map((t) => t.server.close()));
    });

    it("random scripts from 4 clients: nothing escapes, PING answered, counts back to 0", async () => {
      await fc.assert(serverProperty(targets, watch), { seed: SEED, numRuns: 500 });
      assert.deepEqual(watch.escaped, []);
      for (const t of targets) {
        assert.equal(t.server.numClients, 0);
        assert.equal(t.server.numSubscriptions, 0);
      }
    });
  });
});

/**
 * The long fuzz run (`npm run fuzz`): the same properties as test/hardening/fuzz.test.ts, with
 * many more inputs. Bounded in time; prints progress and the seed; exits 1 on the first
 * failure with fast-check's counterexample (turn it into a regression test in fuzz.test.ts).
 *
 *   tsx scripts/fuzz.ts [--inputs 1000000] [--server-inputs 10000] [--seconds 900] [--seed N] [--transport memory|tcp|websocket]
 */
import { parseArgs } from "node:util";
import fc from "fast-check";
import { HostWatch, listenTargets, liveTargets, parserProperty, serverProperty, type FuzzTransport } from "../test/hardening/properties.ts";

const { values } = parseArgs({
  options: {
    inputs: { type: "string", default: "1000000" },
    "server-inputs": { type: "string", default: "10000" },
    /** memory (default), tcp or websocket: how the live scripts reach the server. */
    transport: { type: "string", default: "memory" },
    seconds: { type: "string", default: "900" },
    seed: { type: "string" },
  },
});
const parserInputs = Number(values.inputs);
const serverInputs = Number(values["server-inputs"]);
const deadline = Date.now() + Number(values.seconds) * 1000;
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const started = Date.now();
console.log(JSON.stringify({ seed, parserInputs, serverInputs, seconds: Number(values.seconds) }));

function report(kind: string, batchSeed: number, err: unknown): never {
  console.error(`\nFAILED (${kind}) with seed ${batchSeed}: reproduce with fc.assert(..., { seed: ${batchSeed} })`);
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

let parserDone = 0;
const PARSER_BATCH = 20_000;
for (let batch = 0; parserDone < parserInputs && Date.now() < deadline; batch++) {
  const numRuns = Math.min(PARSER_BATCH, parserInputs - parserDone);
  const batchSeed = (seed + batch) | 0;
  try {
    fc.assert(parserProperty(), { seed: batchSeed, numRuns });
  } catch (err) {
    report("parser", batchSeed, err);
  }
  parserDone += numRuns;
  const s = (Date.now() - started) / 1000;
  process.stdout.write(`parser: ${parserDone}/${parserInputs} inputs, ${s.toFixed(1)} s, ${Math.round(parserDone / s)}/s\n`);
}
const parserSeconds = (Date.now() - started) / 1000;

const watch = new HostWatch().start();
const transport = values.transport as FuzzTransport;
if (!["memory", "tcp", "websocket"].includes(transport)) throw new Error(`--transport must be memory, tcp or websocket, not ${transport}`);
const targets = liveTargets(transport);
if (transport !== "memory") await listenTargets(targets);
let serverDone = 0;
const SERVER_BATCH = 1000;
const serverStarted = Date.now();
for (let batch = 0; serverDone < serverInputs && Date.now() < deadline; batch++) {
  const numRuns = Math.min(SERVER_BATCH, serverInputs - serverDone);
  const batchSeed = (seed + 1_000_003 + batch) | 0;
  try {
    await fc.assert(serverProperty(targets, watch), { seed: batchSeed, numRuns });
  } catch (err) {
    report("live server", batchSeed, err);
  }
  serverDone += numRuns;
  const s = (Date.now() - serverStarted) / 1000;
  process.stdout.write(`server: ${serverDone}/${serverInputs} scripts, ${s.toFixed(1)} s\n`);
}
watch.stop();
await Promise.all(targets.map((t) => t.server.close()));
const result = {
  seed,
  parserInputs: parserDone,
  parserSeconds: Number(parserSeconds.toFixed(1)),
  serverScripts: serverDone,
  serverSeconds: Number(((Date.now() - serverStarted) / 1000).toFixed(1)),
  complete: parserDone >= parserInputs && serverDone >= serverInputs,
};
console.log(JSON.stringify(result));
if (!result.complete) console.log("stopped by --seconds before every input ran");

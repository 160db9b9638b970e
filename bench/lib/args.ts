/** Command-line options of `npm run bench` (bench/run.ts). */
import { parseArgs } from "node:util";
import type { Mode } from "./scenarios.ts";

export const USAGE = `Usage: npm run bench -- [options]

  --quick            smoke run (~1 min): small counts, 2 runs each; outputs go to a temp dir
  --runs <n>         runs per scenario per server or contender (default 5 full, 2 quick)
  --only <ids>       comma-separated scenario ids, or "e2e" / "inprocess" for either set,
                     or "jetstream" / "kv" / "leafnode" / "accounts" / "cluster" for a feature benchmark
                     (outputs go to a temp dir)
  --profile <id>     run scenario <id> once against nats-embedded under node --cpu-prof,
                     print the top self-time functions; writes no results
  --out <dir>        write results, chart and table under <dir> instead of the repository
  -h, --help         this text

End-to-end ids (nats-embedded vs nats-server over TCP, fresh server per run):
  pub-16 pub-1k pubsub-16 pubsub-1k fanout-4 queue-4 req-rep idle-conns
In-process ids (fresh process per sample, bench/inprocess/):
  buffer-1 uint8array-1 json-1   what users publish, one subject: vs eventemitter3
  buffer-1k-wildcard uint8array-1k-wildcard json-1k-wildcard
                                 1,000 subjects, one orders.*.created subscriber:
                                 vs eventemitter3 (listener per subject), mqemitter
  direct-1 direct-4 direct-10k   server.publish → subscriber vs eventemitter3, mqemitter, Aedes
  rr-16                          request/reply: direct API, server.connect(), nats-server
  startup                        createServer + connect + first request vs spawning nats-server,
                                 in a warm process and from a fresh one
  import                         fresh node: import, import + createServer(), vs bare node
`;

export interface BenchArgs {
  mode: Mode;
  runs: number;
  only: string[] | undefined;
  profile: string | undefined;
  out: string | undefined;
  help: boolean;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean" },
      runs: { type: "string" },
      only: { type: "string" },
      profile: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  const mode: Mode = values.quick === true ? "quick" : "full";
  const runs = values.runs === undefined ? (mode === "quick" ? 2 : 5) : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a positive integer, got "${values.runs}"`);
  const only = values.only?.split(",").map((s) => s.trim()).filter((s) => s !== "");
  return { mode, runs, only, profile: values.profile, out: values.out, help: values.help === true };
}

/**
 * The benchmark: nats-embedded against its references, side by side, in one run.
 *
 *   npm run bench                   # full: 5 alternating runs of every scenario (~10 min on 2 cores, then ~6 min of feature benchmarks)
 *   npm run bench -- --quick        # smoke run (~1 min), results to a temp dir
 *   npm run bench -- --only inprocess      # one set (or a list of scenario ids), results to a temp dir
 *   npm run bench -- --profile pubsub-16   # one profiled run of our broker, top self-time functions
 *
 * End to end: each sample starts a fresh server (ours through its CLI, nats-server from
 * Debian), drives one scenario with separate load processes (bench/load/), reads the server's
 * CPU and peak RSS from /proc, and stops it. The two servers alternate which goes first in each
 * run, so drift over time (thermal, page cache, other tenants) falls on both.
 *
 * In-process (bench/inprocess/): the broker inside the measuring process. First what users
 * publish (Buffer, Uint8Array, JSON string; one subject, or 1,000 with a wildcard subscriber)
 * against eventemitter3 and mqemitter; then eventemitter3, mqemitter and Aedes (direct
 * publish → subscriber), nats-server over loopback (request/reply), a spawned nats-server
 * (start-up for a test) and bare Node (import cost). Each sample is a fresh probe process;
 * contenders take turns going first.
 *
 * A full run writes bench/results/<date>.json, docs/bench-ratios.svg and the README tables.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseBenchArgs, USAGE, type BenchArgs } from "./lib/args.ts";
import { installCleanup, killAll } from "./lib/children.ts";
import { collectEnvironment, loadAverage } from "./lib/environment.ts";
import { capIdleConnections, SERVER_NOFILE } from "./lib/limits.ts";
import { planOutputs, writeOutputs } from "./lib/outputs.ts";
import { formatProfile, summarizeProfile } from "./lib/profile-summary.ts";
import { Progress } from "./lib/progress.ts";
import { markdownTable } from "./lib/report-markdown.ts";
import { summarize, type BenchResults } from "./lib/results.ts";
import { runSample, type SampleRecord } from "./lib/sampler.ts";
import { buildScenarios, SIZES, type Sizes } from "./lib/scenarios.ts";
import type { Scenario } from "./lib/scenario.ts";
import { SERVER_KINDS, type ServerKind } from "./lib/server-process.ts";
import { buildInProcessScenarios, IN_PROCESS_SIZES, type InProcessScenario, type InProcessSizes } from "./inprocess/plan.ts";
import { probeCount, runInProcess } from "./inprocess/runner.ts";
import { featureSuites, runFeatureSuite, type FeatureSuite } from "./lib/feature-suites.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Hard bounds: the whole run, and one sample (server start and stop included). The user
 * workloads and import cost added about 4 minutes to a full run and 1 to a quick one.
 */
const BUDGET_MS = { full: 30 * 60_000, quick: 6 * 60_000 } as const;
const SAMPLE_TIMEOUT_MS = { full: 60_000, quick: 30_000 } as const;

let progress: Progress | undefined;

interface Plan {
  scenarios: Scenario[];
  /** The mode's sizes after any cap (idle connections vs open-files limits). */
  sizes: Sizes;
  inProcess: InProcessScenario[];
  inProcessSizes: InProcessSizes;
  /** JetStream, KV and leaf node suites, run after the rest (bench/lib/feature-suites.ts). */
  features: FeatureSuite[];
}

/** `--only` names scenario ids, or "e2e" / "inprocess" for a whole set. */
const SET_NAMES = { e2e: "e2e", inprocess: "inprocess" } as const;

function selectScenarios(args: BenchArgs, notes: string[]): Plan {
  const sizes = { ...SIZES[args.mode] };
  const cap = capIdleConnections(sizes.idleConnections);
  sizes.idleConnections = cap.connections;
  if (cap.note !== undefined) notes.push(cap.note);
  const all = buildScenarios(sizes);
  const inProcessSizes = IN_PROCESS_SIZES[args.mode];
  const allInProcess = buildInProcessScenarios(inProcessSizes);
  if (args.profile !== undefined && !all.some((s) => s.id === args.profile)) {
    throw new Error(`--profile takes an end-to-end scenario id, got "${args.profile}"\n\n${USAGE}`);
  }
  const allFeatures = featureSuites(ROOT, new Date().toISOString());
  const wanted = args.profile !== undefined ? [args.profile] : args.only;
  if (wanted === undefined) return { scenarios: all, sizes, inProcess: allInProcess, inProcessSizes, features: allFeatures };
  const features = allFeatures.filter((f) => wanted.includes(f.id));
  const ids = wanted.filter((id) => !features.some((f) => f.id === id)).flatMap((id) =>
    id === SET_NAMES.e2e ? all.map((s) => s.id) : id === SET_NAMES.inprocess ? allInProcess.map((s) => s.id) : [id],
  );
  const unknown = ids.filter((id) => !all.some((s) => s.id === id) && !allInProcess.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown scenario id(s): ${unknown.join(", ")}\n\n${USAGE}`);
  return {
    scenarios: all.filter((s) => ids.includes(s.id)),
    sizes,
    inProcess: args.profile !== undefined ? [] : allInProcess.filter((s) => ids.includes(s.id)),
    inProcessSizes,
    features: args.profile !== undefined ? [] : features,
  };
}

/** Runs the scenario once against our broker under --cpu-prof and prints where its CPU went. */
async function profile(scenario: Scenario, args: BenchArgs): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "nats-embedded-prof-"));
  process.stderr.write(`profiling nats-embedded on ${scenario.id} (profile dir ${dir})\n`);
  const record = await runSample(scenario, "nats-embedded", 1, {
    launch: { root: ROOT, nofile: SERVER_NOFILE, cpuProfileDir: dir },
    timeoutMs: SAMPLE_TIMEOUT_MS[args.mode],
  });
  if (!record.ok) {
    process.stderr.write(`profiled run failed: ${record.error}\n`);
    return 1;
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) {
    process.stderr.write(`no .cpuprofile in ${dir} (did the broker exit gracefully?)\n`);
    return 1;
  }
  process.stdout.write(`${scenario.title}: ${JSON.stringify(record.metrics)} (profiled, so slower than unprofiled)\n`);
  process.stdout.write(`${join(dir, file)}\n${formatProfile(summarizeProfile(join(dir, file), 20))}\n`);
  return 0;
}

async function benchmark(args: BenchArgs, plan: Plan, notes: string[]): Promise<number> {
  let failures = plan.scenarios.length + plan.inProcess.length > 0 ? await mainPlan(args, plan, notes) : 0;
  for (const suite of plan.features) {
    process.stdout.write(`\n## ${suite.id} (${suite.script})\n`);
    if ((await runFeatureSuite(ROOT, suite, args.mode === "quick")) !== 0) {
      failures++;
      process.stderr.write(`\n!!! FAILED: the ${suite.id} benchmark\n`);
    }
  }
  return failures > 0 ? 1 : 0;
}

async function mainPlan(args: BenchArgs, { scenarios, sizes, inProcess, inProcessSizes }: Plan, notes: string[]): Promise<number> {
  const started = Date.now();
  const date = new Date().toISOString();
  const environment = collectEnvironment(ROOT);
  const total = scenarios.length * args.runs * SERVER_KINDS.length + probeCount(inProcess, args.runs);
  progress = new Progress(total);
  const results: BenchResults = {
    benchmark: "end-to-end",
    date,
    mode: args.mode,
    runs: args.runs,
    durationSec: 0,
    environment,
    sizes,
    notes,
    scenarios: [],
  };
  let failures = 0;
  for (const scenario of scenarios) {
    const samples: Record<ServerKind, SampleRecord[]> = { "nats-embedded": [], "nats-server": [] };
    for (let run = 1; run <= args.runs; run++) {
      // Alternate which server goes first, so slow drift does not favour one of them.
      const order: readonly ServerKind[] = run % 2 === 1 ? SERVER_KINDS : [...SERVER_KINDS].reverse();
      for (const kind of order) {
        progress.show(`${scenario.id} · ${kind} · run ${run}/${args.runs}`);
        const record = await runSample(scenario, kind, run, {
          launch: { root: ROOT, nofile: SERVER_NOFILE },
          timeoutMs: SAMPLE_TIMEOUT_MS[args.mode],
        });
        progress.step();
        if (!record.ok) {
          failures++;
          progress.note(`\n!!! FAILED: ${scenario.id} against ${kind}, run ${run}:\n${record.error}\n`);
        }
        samples[kind].push(record);
      }
    }
    results.scenarios.push(summarize(scenario, samples));
  }
  if (inProcess.length > 0) {
    const run = await runInProcess(inProcess, { root: ROOT, runs: args.runs, sizes: inProcessSizes, progress });
    results.inProcess = run.results;
    failures += run.failures;
  }
  progress.finish();
  results.durationSec = (Date.now() - started) / 1000;
  results.environment.loadAverageAtEnd = loadAverage();

  const plan = planOutputs(ROOT, results, { partial: args.only !== undefined, out: args.out });
  const said = writeOutputs(ROOT, plan, results);
  process.stdout.write(`\n${markdownTable(results, plan.json)}\n\n${said.join("\n")}\n`);
  if (failures > 0) process.stderr.write(`\n${failures} sample(s) FAILED: see the errors above and in ${plan.json}\n`);
  return failures;
}

async function main(): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  installCleanup((reason) => {
    progress?.clear();
    process.stderr.write(`bench aborted: ${reason}\n`);
  });
  const budget = BUDGET_MS[args.mode];
  const watchdog = setTimeout(() => {
    progress?.clear();
    process.stderr.write(`bench aborted: over the ${budget / 60_000} min time limit\n`);
    killAll();
    process.exit(3);
  }, budget);
  try {
    // Caveats that hold for every run; kept with the numbers so nobody reads them without.
    buildBroker();
    const notes: string[] = [
      "nats-embedded runs as shipped: the compiled build (`node dist/cli.js`, from `npm run build`).",
      "Broker, load processes and coordinator share the machine's cores; where a load process's own CPU time (pubCpuSec/subCpuSec in the JSON) is close to the run's wall time, the rate is client-bound and the ratio understates the broker gap.",
    ];
    const plan = selectScenarios(args, notes);
    for (const note of notes) process.stderr.write(`note: ${note}\n`);
    return args.profile !== undefined ? await profile(plan.scenarios[0]!, args) : await benchmark(args, plan, notes);
  } finally {
    clearTimeout(watchdog);
  }
}

/** Compiles the broker as it ships (`dist/`), so the benchmark measures no TypeScript loader. */
function buildBroker(): void {
  process.stderr.write("building dist/ (npm run build)\n");
  // The same build as the published package (scripts/build.ts: esbuild bundles with split
  // chunks), not tsc's one file per module: the import cost differs by tens of milliseconds.
  execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "scripts", "build.ts")], {
    cwd: ROOT,
    stdio: "inherit",
  });
}

main().then(
  (code) => {
    killAll();
    process.exit(code);
  },
  (err: unknown) => {
    progress?.clear();
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killAll();
    process.exit(1);
  },
);

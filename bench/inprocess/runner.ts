/**
 * Runs the in-process scenarios: for each scenario, `runs` rounds; in each round every contender
 * is measured once in a fresh probe process, and the order of contenders rotates from round to
 * round so that each goes first as often as the others. A failed probe is recorded and
 * reported, and the rest go on.
 */
import { fork } from "node:child_process";
import { join } from "node:path";
import { track } from "../lib/children.ts";
import type { Progress } from "../lib/progress.ts";
import { TARGETS, type InProcessScenario, type InProcessSizes } from "./plan.ts";
import { isProbeReport, type ProbeConfig } from "./protocol.ts";
import { checkTargets, summarizeInProcess, type InProcessResults, type ProbeSample } from "./results.ts";

export interface InProcessRunOptions {
  root: string;
  runs: number;
  sizes: InProcessSizes;
  progress: Progress;
}

/** Probe samples this plan will take, for the progress bar. */
export function probeCount(scenarios: readonly InProcessScenario[], runs: number): number {
  return scenarios.reduce((n, s) => n + s.contenders.length * runs, 0);
}

export async function runInProcess(scenarios: readonly InProcessScenario[], options: InProcessRunOptions): Promise<{ results: InProcessResults; failures: number }> {
  const { root, runs, progress } = options;
  let failures = 0;
  const summaries = [];
  for (const scenario of scenarios) {
    const samples = new Map<string, ProbeSample[]>(scenario.contenders.map((c) => [c.id, []]));
    for (let run = 1; run <= runs; run++) {
      const n = scenario.contenders.length;
      const order = scenario.contenders.map((_, i) => scenario.contenders[(i + run - 1) % n]!);
      for (const contender of order) {
        progress.show(`${scenario.id} · ${contender.id} · run ${run}/${runs}`);
        const sample = await runProbe(root, scenario.config(contender, root), run, scenario.timeoutMs);
        progress.step();
        if (!sample.ok) {
          failures++;
          progress.note(`\n!!! FAILED: in-process ${scenario.id} with ${contender.id}, run ${run}:\n${sample.error}\n`);
        }
        samples.get(contender.id)!.push(sample);
      }
    }
    summaries.push(summarizeInProcess(scenario, samples));
  }
  return {
    results: { runs, sizes: options.sizes, scenarios: summaries, targets: checkTargets(TARGETS, summaries) },
    failures,
  };
}

/** One probe process: its single report, or a failed sample on error, early exit or time-out. */
function runProbe(root: string, config: ProbeConfig, run: number, timeoutMs: number): Promise<ProbeSample> {
  const started = Date.now();
  const sample = (fields: Partial<ProbeSample>): ProbeSample => ({ run, ok: false, metrics: {}, details: {}, wallSec: (Date.now() - started) / 1000, ...fields });
  return new Promise((resolve) => {
    const child = track(
      fork(join(root, "bench", "inprocess", "probe.ts"), [JSON.stringify(config)], {
        cwd: root,
        // Not the coordinator's execArgv: under the tsx CLI that carries tsx's own loader flags.
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      }),
    );
    let result: ProbeSample | undefined;
    const timer = setTimeout(() => {
      result ??= sample({ error: `probe did not report within ${timeoutMs} ms` });
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("message", (msg: unknown) => {
      if (!isProbeReport(msg) || result !== undefined) return;
      result = msg.type === "result" ? sample({ ok: true, metrics: msg.metrics, details: msg.details }) : sample({ error: msg.message });
    });
    // 'close' comes after the IPC channel has delivered its last message.
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve(result === undefined ? sample({ error: `probe exited (code ${code}, signal ${signal}) without a report` }) : { ...result, wallSec: (Date.now() - started) / 1000 });
    });
  });
}

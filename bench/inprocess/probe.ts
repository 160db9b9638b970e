/**
 * One in-process measurement in a fresh process: started by the coordinator with
 * `node --import tsx bench/inprocess/probe.ts '<json config>'`, it runs one contender of one
 * scenario and sends one report over IPC (or prints it when run by hand).
 *
 *   node --import tsx bench/inprocess/probe.ts '{"group":"emit","contender":"nats-embedded","root":".","subscribers":1,"otherSubscriptions":0,"payloadSize":16,"batch":10000,"warmupMs":200,"measureMs":500}'
 */
import { runEmit } from "./emit-probe.ts";
import { runImport } from "./import-probe.ts";
import type { ProbeConfig, ProbeReport, ProbeResult } from "./protocol.ts";
import { runRequest } from "./request-probe.ts";
import { runStartup } from "./startup-probe.ts";
import { runWorkload } from "./workload-probe.ts";

function send(report: ProbeReport): Promise<void> {
  if (process.send === undefined) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return Promise.resolve();
  }
  return new Promise((resolve) => process.send!(report, undefined, {}, () => resolve()));
}

async function main(): Promise<void> {
  const text = process.argv[2];
  if (text === undefined) throw new Error("expected the probe configuration as a JSON argument");
  const config = JSON.parse(text) as ProbeConfig;
  await send(await run(config));
}

function run(config: ProbeConfig): Promise<ProbeResult> {
  switch (config.group) {
    case "workload":
      return runWorkload(config);
    case "emit":
      return runEmit(config);
    case "request":
      return runRequest(config);
    case "startup":
      return runStartup(config);
    case "import":
      return runImport(config);
  }
}

// A coordinator that dies must not leave probes behind.
process.on("disconnect", () => process.exit(0));
main().then(
  () => process.exit(0),
  async (err: unknown) => {
    await send({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  },
);

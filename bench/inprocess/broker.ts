/**
 * The broker as shipped: probes load the compiled `dist/` (built by bench/run.ts first), not
 * the TypeScript sources through a loader, so what is measured is what users run. The import
 * is dynamic so that type-checking needs no build: the types come from `src/`, which `dist/`
 * is compiled from.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Api from "../../src/index.ts";

export type Broker = typeof Api;

export async function loadBroker(root: string): Promise<Broker> {
  const file = join(root, "dist", "index.js");
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  return (await import(pathToFileURL(file).href)) as Broker;
}

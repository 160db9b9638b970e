/**
 * nats-server's `mappings { }` (also `maps`), at the top level for `$G` and in an account
 * (opts.go parseAccountMappings): `source: destination`, or `source: [ { destination, weight,
 * cluster } ]` with weights as a number or a percent string (`"20%"`).
 */
import type { MappingDestination, SubjectMappingOptions } from "../core/subject-mappings.ts";
import { collect, itemEntry, nested, problem, wrongType } from "./checks.ts";
import { ConfigError, type ConfigProblem } from "./config-error.ts";
import { formatPosition, type ConfigEntry, type ConfigValue } from "./value.ts";

export function mappingsBlock(entry: ConfigEntry, warnings: string[]): SubjectMappingOptions {
  if (entry.value.kind !== "map") throw wrongType(entry, "a block of subject mappings");
  const out: Record<string, string | MappingDestination[]> = {};
  const problems: ConfigProblem[] = [];
  for (const sub of entry.value.entries.values()) {
    const at = nested(sub, `${entry.key}.${sub.key}`);
    collect(problems, () => {
      const value = sub.value;
      if (value.kind === "string") out[sub.key] = value.value;
      else if (value.kind === "array") out[sub.key] = value.items.map((item, i) => destination(item, `${at.key}[${i}]`, warnings));
      else if (value.kind === "map") out[sub.key] = [destination(value, at.key, warnings)];
      else throw wrongType(at, "a subject or a list of { destination, weight }");
    });
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  return out;
}

function destination(value: ConfigValue, path: string, warnings: string[]): MappingDestination {
  const entry = itemEntry(value, path);
  if (value.kind !== "map") throw wrongType(entry, "{ destination, weight }");
  let subject: string | undefined;
  let weight: number | undefined;
  for (const sub of value.entries.values()) {
    const at = nested(sub, `${path}.${sub.key}`);
    switch (sub.key.toLowerCase()) {
      case "dest":
      case "destination":
        if (sub.value.kind !== "string") throw wrongType(at, "a subject");
        subject = sub.value.value;
        break;
      case "weight":
        weight = percent(at);
        break;
      case "cluster":
        warnings.push(`${formatPosition(sub.keyPos)}: cluster-scoped mappings are not supported yet; this destination applies everywhere`);
        break;
      default:
        if (!sub.usedAsVariable) throw problem(at, `Unknown field ${JSON.stringify(sub.key)} parsing mapping destination`);
    }
  }
  if (subject === undefined) throw problem(entry, "mapping destination needs a destination subject");
  return weight === undefined ? { destination: subject } : { destination: subject, weight };
}

/** `20`, `"20%"` or `"20"`, as nats-server reads a weight. */
function percent(entry: ConfigEntry): number {
  const value = entry.value;
  if (value.kind === "integer") return value.value;
  if (value.kind === "string") {
    const n = Number(value.value.replace(/%$/, ""));
    if (Number.isInteger(n)) return n;
  }
  throw problem(entry, `Invalid weight ${JSON.stringify(entry.key)} for mapping destination`);
}

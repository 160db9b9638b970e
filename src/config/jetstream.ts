/**
 * The `jetstream` key (opts.go `parseJetStream`): `true`/`false`, `enabled`/`disabled`, or a
 * block with `store_dir`, `max_memory_store`, `max_file_store`, `domain`, `sync_interval` and
 * `enabled`. nats-server's other JetStream settings (encryption, cluster tags, account limits)
 * are warned about and ignored.
 */
import { boolean, integer, nonEmptyString, problem, wrongType } from "./checks.ts";
import { ConfigError, type ConfigProblem } from "./config-error.ts";
import { parseGoDuration } from "./duration.ts";
import { formatPosition, type ConfigEntry } from "./value.ts";
import type { JetStreamOptions } from "../jetstream/jetstream-options.ts";

/** Keys of the block nats-server knows and we ignore with a warning. */
const NOT_YET = new Set([
  "cipher",
  "key",
  "ek",
  "prev_key",
  "prev_ek",
  "max_outstanding_catchup",
  "max_catchup",
  "limits",
  "unique_tag",
  "max_buffered_msgs",
  "max_buffered_size",
  "request_queue_limit",
  "extension_hint",
  "compress_ok",
  "tpm",
  "max_ack_pending",
  "max_ha_assets",
  "max_request_batch",
]);

/** JetStream options, or undefined when the key turns JetStream off. */
export function jetStreamBlock(entry: ConfigEntry, warnings: string[]): JetStreamOptions | undefined {
  const value = entry.value;
  if (value.kind === "boolean") return value.value ? {} : undefined;
  if (value.kind === "string") {
    const word = value.value.toLowerCase();
    if (word === "enabled" || word === "enable") return {};
    if (word === "disabled" || word === "disable") return undefined;
    throw problem(entry, `Expected 'enabled' or 'disabled' for string value, got '${value.value}'`);
  }
  if (value.kind !== "map") throw wrongType(entry, "a boolean, \"enabled\" or a block");
  const options: JetStreamOptions = {};
  let enabled = true;
  const problems: ConfigProblem[] = [];
  for (const sub of value.entries.values()) {
    const name = sub.key.toLowerCase();
    try {
      switch (name) {
        case "store_dir":
        case "storedir":
          options.storeDir = nonEmptyString(sub);
          break;
        case "max_memory_store":
        case "max_mem_store":
        case "max_mem":
          options.maxMemory = size(sub);
          break;
        case "max_file_store":
        case "max_file":
          options.maxStore = size(sub);
          break;
        case "domain":
          options.domain = nonEmptyString(sub);
          break;
        case "enable":
        case "enabled":
          enabled = boolean(sub);
          break;
        case "strict":
          options.strict = boolean(sub);
          break;
        case "sync_interval":
        case "sync":
          options.syncInterval = syncInterval(sub);
          break;
        default:
          if (NOT_YET.has(name)) warnings.push(`${formatPosition(sub.keyPos)}: ${JSON.stringify(sub.key)} in "jetstream" is not supported yet; ignored`);
          else if (!sub.usedAsVariable) throw problem(sub, `unknown field ${JSON.stringify(sub.key)}`);
      }
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  return enabled ? options : undefined;
}

/** A byte limit: an integer (size suffixes such as 1G are integers to the lexer); 0 or -1 = none. */
function size(entry: ConfigEntry): number {
  const bytes = integer(entry);
  if (bytes < -1) throw problem(entry, `${JSON.stringify(entry.key)} must be -1 (no limit) or a size, got ${bytes}`);
  return bytes === 0 ? -1 : bytes;
}

/** `sync_interval`: `always`, or a Go duration (`2m`, `10s`). */
function syncInterval(entry: ConfigEntry): number | "always" {
  if (entry.value.kind !== "string") throw wrongType(entry, '"always" or a duration such as "2m"');
  const text = entry.value.value;
  if (text.toLowerCase() === "always") return "always";
  let ms: number;
  try {
    ms = Math.round(parseGoDuration(text));
  } catch (err) {
    throw problem(entry, `error parsing ${entry.key}: ${(err as Error).message}`);
  }
  if (ms < 1) throw problem(entry, `${JSON.stringify(entry.key)} must be at least 1ms`);
  return ms;
}

/**
 * Checks of one configuration value, shared by the mappers of every key and block: each failure
 * is a {@link ConfigError} naming the key (its path, inside a block: `tls.cert_file`), file, line
 * and column.
 */
import { ConfigError, type ConfigProblem } from "./config-error.ts";
import { formatGoDuration, parseGoDuration } from "./duration.ts";
import { describeValue, type ConfigEntry, type ConfigValue, type SourcePosition } from "./value.ts";

/** The longest delay Node's timers support; a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function problem(entry: ConfigEntry, message: string, at: SourcePosition = entry.keyPos): ConfigError {
  return new ConfigError(message, at, { key: entry.key });
}

export function wrongType(entry: ConfigEntry, expected: string): ConfigError {
  const value = entry.value;
  let hint = "";
  if (expected === "an integer" && value.kind === "string" && /^\d+\s*[kmgtpe]i?b?$/i.test(value.value)) {
    hint = ` (write ${value.value} without quotes for a size)`;
  }
  return problem(entry, `${JSON.stringify(entry.key)} must be ${expected}, got ${describeValue(value)}${hint}`);
}

/** The entry of a block, named by its path from the top (`authorization.timeout`). */
export function nested(entry: ConfigEntry, path: string): ConfigEntry {
  return { key: path, keyPos: entry.keyPos, value: entry.value, usedAsVariable: entry.usedAsVariable };
}

/** An item of an array, as an entry named `path` (`authorization.users[1]`) located at the item. */
export function itemEntry(value: ConfigValue, path: string): ConfigEntry {
  return { key: path, keyPos: value.pos, value, usedAsVariable: false };
}

/** Runs `step`, adding its {@link ConfigError}'s problems to `problems` instead of throwing. */
export function collect(problems: ConfigProblem[], step: () => void): void {
  try {
    step();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
}

export function integer(entry: ConfigEntry): number {
  if (entry.value.kind !== "integer") throw wrongType(entry, "an integer");
  return entry.value.value;
}

export function integerIn(entry: ConfigEntry, min: number, max: number): number {
  const value = integer(entry);
  if (value < min) throw problem(entry, `${JSON.stringify(entry.key)} must be at least ${min}, got ${value}`);
  if (value > max) throw problem(entry, `${JSON.stringify(entry.key)} value is too big (${value}, the most is ${max})`);
  return value;
}

export function boolean(entry: ConfigEntry): boolean {
  if (entry.value.kind !== "boolean") throw wrongType(entry, "a boolean (true/false, yes/no, on/off)");
  return entry.value.value;
}

export function string(entry: ConfigEntry): string {
  if (entry.value.kind !== "string") throw wrongType(entry, "a string");
  return entry.value.value;
}

export function nonEmptyString(entry: ConfigEntry): string {
  const value = string(entry);
  if (value === "") throw problem(entry, `${JSON.stringify(entry.key)} must not be empty`);
  return value;
}

export function withinTimer(entry: ConfigEntry, ms: number): number {
  if (ms > MAX_TIMER_MS) {
    throw problem(entry, `${JSON.stringify(entry.key)} of ${formatGoDuration(ms)} is longer than the longest timer Node supports (${formatGoDuration(MAX_TIMER_MS)})`);
  }
  return ms;
}

/** A Go duration string in milliseconds (unrounded), or a ConfigError with Go's message. */
export function goDuration(entry: ConfigEntry, text: string): number {
  try {
    return parseGoDuration(text);
  } catch (err) {
    throw problem(entry, `error parsing ${entry.key}: ${(err as Error).message}`);
  }
}

/**
 * A timeout as nats-server's `authorization.timeout` and `tls.timeout`: seconds as an integer
 * or a float, or a duration string (`"2s"`, `"500ms"`). Milliseconds out; 0 stands for the
 * default (undefined).
 */
export function secondsOrDuration(entry: ConfigEntry): number | undefined {
  const value = entry.value;
  let ms: number;
  if (value.kind === "integer" || value.kind === "float") ms = value.value * 1000;
  else if (value.kind === "string") ms = goDuration(entry, value.value);
  else throw wrongType(entry, 'a number of seconds or a duration such as "2s"');
  if (ms === 0) return undefined;
  if (ms < 0) throw problem(entry, `${JSON.stringify(entry.key)} must not be negative, got ${formatGoDuration(ms)}`);
  const rounded = Math.round(ms);
  if (rounded < 1) throw problem(entry, `${JSON.stringify(entry.key)} must be at least 1ms, got ${formatGoDuration(ms)}`);
  return withinTimer(entry, rounded);
}

/** A duration that must be written as a string (opts.go reads `lame_duck_*` with `v.(string)`). */
export function durationString(entry: ConfigEntry): number {
  if (entry.value.kind !== "string") throw wrongType(entry, 'a duration string such as "2m" or "30s"');
  try {
    return withinTimer(entry, Math.round(parseGoDuration(entry.value.value)));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw problem(entry, `error parsing ${entry.key}: ${(err as Error).message}`);
  }
}

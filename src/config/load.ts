/**
 * One call from a file name to options: read, parse, map. For the command line's `-c` and for
 * `createServer({ configFile })`. Synchronous, like reading a module: it runs once at start-up
 * (and on SIGHUP), reads a few bounded files, and `createServer` itself is synchronous.
 */
import { resolve } from "node:path";
import { parseConfigFile, type ParseConfigOptions } from "./parser.ts";
import { optionsFromConfig, type MappedConfig } from "./to-options.ts";

/** A configuration file's options, command-line settings and warnings. */
export interface LoadedConfig extends MappedConfig {
  /** The file, as an absolute path. */
  readonly file: string;
}

/** Reads `path` (and its includes) and maps it onto options. Throws {@link ConfigError}. */
export function loadConfigFile(path: string, options: Omit<ParseConfigOptions, "file"> = {}): LoadedConfig {
  const file = resolve(path);
  return { file, ...optionsFromConfig(parseConfigFile(file, options), { file }) };
}

/**
 * nats-server's configuration file format: parse it, map it onto `createServer` options.
 * What src/index.ts may export from here.
 */
export { ConfigError } from "./config-error.ts";
export type { ConfigProblem } from "./config-error.ts";
export { parseConfig, parseConfigFile } from "./parser.ts";
export type { ParseConfigOptions } from "./parser.ts";
export { optionsFromConfig } from "./to-options.ts";
export type { CliConfig, MappedConfig } from "./to-options.ts";
export { loadConfigFile } from "./load.ts";
export type { LoadedConfig } from "./load.ts";
export { DEFAULT_CONFIG_LIMITS } from "./limits.ts";
export type { ConfigLimits } from "./limits.ts";
export { toPlain } from "./value.ts";
export type {
  ConfigValue,
  ConfigMap,
  ConfigArray,
  ConfigEntry,
  ConfigString,
  ConfigInteger,
  ConfigFloat,
  ConfigBoolean,
  ConfigDatetime,
  SourcePosition,
  PlainValue,
  ConfigValueBase,
} from "./value.ts";

/**
 * Bounds on what loading a configuration may cost. A configuration can come from a less
 * trusted place than the code that loads it (a mounted volume, a generated file); without these
 * a file of includes including each other, a 10 GB file or `/dev/zero` would hang the process
 * or exhaust its memory.
 */
export interface ConfigLimits {
  /** Largest single file, in bytes. Larger files are refused before they are read. */
  readonly maxFileSize: number;
  /** Bytes read across a file and everything it includes. */
  readonly maxTotalSize: number;
  /** Files read for one configuration, the first one included. */
  readonly maxFiles: number;
  /** `include` inside `include` ... (a cycle is reported as such before this). */
  readonly maxIncludeDepth: number;
  /** Blocks and arrays inside one another. */
  readonly maxNesting: number;
}

export const DEFAULT_CONFIG_LIMITS: ConfigLimits = {
  maxFileSize: 4 * 1024 * 1024,
  maxTotalSize: 16 * 1024 * 1024,
  maxFiles: 256,
  maxIncludeDepth: 10,
  maxNesting: 64,
};

/**
 * The one error the configuration code throws: what is wrong and exactly where, in the
 * `file:line:column: problem` form that editors and terminals turn into a link.
 */
import { ErrorCode, NatsEmbeddedError } from "../base/errors.ts";
import { formatPosition, type SourcePosition } from "./value.ts";

/** One problem found in a configuration. */
export interface ConfigProblem {
  readonly file: string;
  /** From 1; 0 when the problem is about the file as a whole (it cannot be read, say). */
  readonly line: number;
  /** From 1; 0 with `line` 0. */
  readonly column: number;
  /** The problem without its location. */
  readonly problem: string;
  /** The option the problem is about, when it is about one (`max_payload`). */
  readonly key: string | undefined;
}

/**
 * A configuration file cannot be read, parsed, or mapped onto options. `file`, `line` and
 * `column` locate the first problem; `problems` lists every one found (the mapping reports all
 * its problems at once, as nats-server does).
 */
export class ConfigError extends NatsEmbeddedError implements ConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly problem: string;
  readonly key: string | undefined;
  readonly problems: readonly ConfigProblem[];

  constructor(problem: string, at: SourcePosition, options: { key?: string; cause?: unknown; others?: readonly ConfigProblem[] } = {}) {
    const first: ConfigProblem = { file: at.file, line: at.line, column: at.column, problem, key: options.key };
    const all = [first, ...(options.others ?? [])];
    super(
      ErrorCode.InvalidConfig,
      all.map((p) => `${formatPosition(p)}: ${p.problem}`).join("\n"),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "ConfigError";
    this.file = at.file;
    this.line = at.line;
    this.column = at.column;
    this.problem = problem;
    this.key = options.key;
    this.problems = all;
  }

  /** One error for several problems, located at the first. */
  static of(problems: readonly ConfigProblem[]): ConfigError {
    const [first, ...others] = problems;
    if (first === undefined) throw new RangeError("ConfigError.of needs at least one problem");
    return new ConfigError(first.problem, first, { key: first.key, others });
  }
}

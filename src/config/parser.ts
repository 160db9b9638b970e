/**
 * Builds the value tree from the lexer's tokens, resolving what nats-server's `conf/parse.go`
 * resolves: size suffixes, `$variables` and `include` files.
 *
 * - Size suffixes as nats-server: `k`, `m`, `g`, `t`, `p`, `e` are powers of 1000; `kb`/`ki`/
 *   `kib` (and so on) powers of 1024; any case.
 * - `$name` is the value of the key `name` defined earlier in the same block or an enclosing
 *   one (the innermost wins), else the environment variable `name`, whose text is parsed as a
 *   value (so `PORT=4222` gives an integer). `$2a$...` is a bcrypt hash, kept as a string.
 * - `include path` reads another file (relative to the including file) and merges its keys
 *   where the directive stands. Cycles, depth, file count and sizes are bounded (limits.ts).
 */
import { readSync, openSync, fstatSync, closeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError } from "./config-error.ts";
import { Lexer, TokenKind, type Token } from "./lexer.ts";
import { DEFAULT_CONFIG_LIMITS, type ConfigLimits } from "./limits.ts";
import type { ConfigArray, ConfigEntry, ConfigMap, ConfigValue, SourcePosition } from "./value.ts";

/** How to parse; every field is optional. */
export interface ParseConfigOptions {
  /** Name of the text in positions, and the base of relative includes. Default `<config>` and the working directory. */
  readonly file?: string;
  /** Where `$NAME` looks when no key defines it. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads an included file; it must refuse files over `maxBytes`. Default: the file system, bounded. */
  readonly readFile?: (path: string, maxBytes: number) => string;
  readonly limits?: Partial<ConfigLimits>;
}

/** Parses configuration text. Throws {@link ConfigError}. */
export function parseConfig(text: string, options: ParseConfigOptions = {}): ConfigMap {
  const session = new Session(options);
  const file = options.file === undefined ? "<config>" : resolve(options.file);
  session.charge(text.length, { file, line: 0, column: 0 });
  return new DocumentParser(text, file, session, options.file === undefined ? [] : [file], false).parse();
}

/** Reads and parses a configuration file (and its includes). Throws {@link ConfigError}. */
export function parseConfigFile(path: string, options: Omit<ParseConfigOptions, "file"> = {}): ConfigMap {
  const session = new Session(options);
  const file = resolve(path);
  const text = session.read(file, { file, line: 0, column: 0 }, "error opening config file");
  return new DocumentParser(text, file, session, [file], false).parse();
}

/**
 * Reads a regular file of at most `maxBytes` as UTF-8, checking the size before reading so that
 * a huge file, a FIFO or a device is refused instead of read.
 */
export function readBoundedFile(path: string, maxBytes: number): string {
  const fd = openSync(path, "r");
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error("not a regular file");
    if (stat.size > maxBytes) throw new Error(`file is ${stat.size} bytes, more than the limit of ${maxBytes}`);
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.toString("utf8", 0, read);
  } finally {
    closeSync(fd);
  }
}

/** What one load shares across its files: options, the byte and file budget, variables in flight. */
class Session {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly limits: ConfigLimits;
  readonly #readFile: (path: string, maxBytes: number) => string;
  /** Environment variables being resolved, to catch `A=$B`, `B=$A`. */
  readonly envInFlight = new Set<string>();
  #files = 0;
  #bytes = 0;

  constructor(options: Omit<ParseConfigOptions, "file">) {
    this.env = options.env ?? process.env;
    this.limits = { ...DEFAULT_CONFIG_LIMITS, ...options.limits };
    this.#readFile = options.readFile ?? readBoundedFile;
  }

  /** Counts a file of `length` characters against the budget. */
  charge(length: number, at: SourcePosition): void {
    this.#files++;
    this.#bytes += length;
    if (this.#files > this.limits.maxFiles) {
      throw new ConfigError(`configuration reads more than ${this.limits.maxFiles} files`, at);
    }
    if (length > this.limits.maxFileSize) {
      throw new ConfigError(`${at.file === "<config>" ? "configuration" : "file"} is larger than the limit of ${this.limits.maxFileSize} bytes`, at);
    }
    if (this.#bytes > this.limits.maxTotalSize) {
      throw new ConfigError(`configuration and its includes are larger than the limit of ${this.limits.maxTotalSize} bytes`, at);
    }
  }

  /** Reads `path` within the budget; `at` is where the error is reported (the include directive). */
  read(path: string, at: SourcePosition, what: string): string {
    if (this.#files >= this.limits.maxFiles) {
      throw new ConfigError(`configuration reads more than ${this.limits.maxFiles} files`, at);
    }
    const maxBytes = Math.min(this.limits.maxFileSize, this.limits.maxTotalSize - this.#bytes);
    let text: string;
    try {
      text = this.#readFile(path, maxBytes);
    } catch (err) {
      throw new ConfigError(`${what} ${JSON.stringify(path)}: ${(err as Error).message}`, at, { cause: err });
    }
    this.charge(text.length, at);
    // A UTF-8 byte order mark is not part of the configuration.
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

/** A block being filled, with the key whose value comes next. */
interface MapFrame {
  readonly map: ConfigMap;
  pendingKey: { readonly name: string; readonly pos: SourcePosition } | undefined;
}

interface ArrayFrame {
  readonly array: ConfigArray;
}

type Frame = MapFrame | ArrayFrame;

/** Multipliers of parse.go; a suffix not listed is an error. */
const SIZE_SUFFIXES: Readonly<Record<string, bigint>> = (() => {
  const out: Record<string, bigint> = { "": 1n };
  const letters = ["k", "m", "g", "t", "p", "e"];
  letters.forEach((letter, i) => {
    const power = BigInt(i + 1);
    out[letter] = 1000n ** power;
    for (const binary of [`${letter}b`, `${letter}i`, `${letter}ib`]) out[binary] = 1024n ** power;
  });
  return out;
})();

/** Keeps a value, but reports it at `pos` (a value reached through a variable, say). */
function at<V extends ConfigValue>(value: V, pos: SourcePosition): V {
  return { ...value, pos };
}

/** Parses one document (a file, or an environment variable's text). */
class DocumentParser {
  readonly #lexer: Lexer;
  readonly #file: string;
  readonly #session: Session;
  /** Files from the first one down to this one, to catch include cycles. */
  readonly #includeChain: readonly string[];
  readonly #fromEnvironment: boolean;
  readonly #frames: Frame[] = [];

  constructor(text: string, file: string, session: Session, includeChain: readonly string[], fromEnvironment: boolean) {
    this.#lexer = new Lexer(text, file, session.limits.maxNesting);
    this.#file = file;
    this.#session = session;
    this.#includeChain = includeChain;
    this.#fromEnvironment = fromEnvironment;
  }

  parse(): ConfigMap {
    const root: ConfigMap = { kind: "map", entries: new Map(), pos: { file: this.#file, line: 1, column: 1 } };
    this.#frames.push({ map: root, pendingKey: undefined });
    for (;;) {
      const token = this.#lexer.next();
      switch (token.kind) {
        case TokenKind.Eof: {
          const frame = this.#frames[this.#frames.length - 1] as MapFrame;
          if (frame.pendingKey !== undefined) {
            throw new ConfigError(`config is invalid: key ${JSON.stringify(frame.pendingKey.name)} has no value`, frame.pendingKey.pos);
          }
          return root;
        }
        case TokenKind.Key:
          (this.#frames[this.#frames.length - 1] as MapFrame).pendingKey = { name: token.text, pos: this.#pos(token) };
          break;
        case TokenKind.String:
          this.#set({ kind: "string", value: token.text, pos: this.#pos(token) });
          break;
        case TokenKind.Bool: {
          const word = token.text.toLowerCase();
          this.#set({ kind: "boolean", value: word === "true" || word === "yes" || word === "on", pos: this.#pos(token) });
          break;
        }
        case TokenKind.Integer:
          this.#set({ kind: "integer", value: this.#integer(token), raw: token.text, pos: this.#pos(token) });
          break;
        case TokenKind.Float: {
          const value = Number(token.text);
          if (!Number.isFinite(value)) throw this.#error(`float '${token.text}' is out of the range`, token);
          this.#set({ kind: "float", value, pos: this.#pos(token) });
          break;
        }
        case TokenKind.Datetime: {
          const value = new Date(token.text);
          if (Number.isNaN(value.getTime())) throw this.#error(`expected Zulu formatted DateTime, but got '${token.text}'`, token);
          this.#set({ kind: "datetime", value, pos: this.#pos(token) });
          break;
        }
        case TokenKind.Variable:
          this.#set(this.#variable(token));
          break;
        case TokenKind.ArrayStart:
          this.#frames.push({ array: { kind: "array", items: [], pos: this.#pos(token) } });
          break;
        case TokenKind.MapStart:
          this.#frames.push({ map: { kind: "map", entries: new Map(), pos: this.#pos(token) }, pendingKey: undefined });
          break;
        case TokenKind.ArrayEnd:
        case TokenKind.MapEnd: {
          const frame = this.#frames.pop()!;
          this.#set("array" in frame ? frame.array : frame.map);
          break;
        }
        case TokenKind.Include:
          this.#include(token);
          break;
      }
    }
  }

  /** Stores a finished value in the block or array being filled. */
  #set(value: ConfigValue): void {
    const frame = this.#frames[this.#frames.length - 1]!;
    if ("array" in frame) {
      frame.array.items.push(value);
      return;
    }
    const key = frame.pendingKey!;
    frame.pendingKey = undefined;
    this.#define(frame.map, { key: key.name, keyPos: key.pos, value, usedAsVariable: false });
  }

  /** A key defined twice keeps its last value, in the position of its last definition. */
  #define(map: ConfigMap, entry: ConfigEntry): void {
    map.entries.delete(entry.key);
    map.entries.set(entry.key, entry);
  }

  /** The digits and the size suffix of parse.go, checked to fit a JavaScript number exactly. */
  #integer(token: Token): number {
    const match = /^(-?\d+)(.*)$/.exec(token.text)!;
    const multiplier = SIZE_SUFFIXES[match[2]!.toLowerCase()];
    if (multiplier === undefined) throw this.#error(`expected integer, but got '${token.text}' (unknown size suffix)`, token);
    const value = BigInt(match[1]!) * multiplier;
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw this.#error(`integer '${token.text}' is out of the range`, token);
    }
    return Number(value);
  }

  /** `$name`: a key of this block or an enclosing one, else the environment. */
  #variable(token: Token): ConfigValue {
    const name = token.text;
    const pos = this.#pos(token);
    // parse.go: a bare bcrypt hash such as $2a$11$... is a password, not a reference.
    if (name.startsWith("2a$")) return { kind: "string", value: `$${name}`, pos };
    for (let i = this.#frames.length - 1; i >= 0; i--) {
      const frame = this.#frames[i]!;
      if ("array" in frame) continue;
      const entry = frame.map.entries.get(name);
      if (entry !== undefined) {
        entry.usedAsVariable = true;
        return at(entry.value, pos);
      }
    }
    const session = this.#session;
    if (session.envInFlight.has(name)) throw this.#error(`variable reference cycle for '${name}'`, token);
    const text = session.env[name];
    if (text === undefined) {
      throw this.#error(`variable reference for '${name}' can not be found: no key ${JSON.stringify(name)} before it and no environment variable`, token);
    }
    session.envInFlight.add(name);
    try {
      const parsed = new DocumentParser(`pk=${text}`, `environment variable ${name}`, session, this.#includeChain, true).parse();
      const value = parsed.entries.get("pk");
      if (value === undefined) throw this.#error(`variable reference for '${name}' can not be found`, token);
      return at(value.value, pos);
    } catch (err) {
      if (!(err instanceof ConfigError) || err.file !== `environment variable ${name}`) throw err;
      throw this.#error(`variable reference for '${name}' could not be parsed: ${err.problem}`, token, err);
    } finally {
      session.envInFlight.delete(name);
    }
  }

  /** `include path`: the file's keys, merged here. */
  #include(token: Token): void {
    if (this.#fromEnvironment) throw this.#error("include is not allowed in an environment variable's value", token);
    const pos = this.#pos(token);
    const base = this.#includeChain.length > 0 ? dirname(this.#file) : process.cwd();
    const target = resolve(base, token.text);
    if (this.#includeChain.includes(target)) {
      throw new ConfigError(`include cycle: ${[...this.#includeChain, target].join(" -> ")}`, pos);
    }
    if (this.#includeChain.length > this.#session.limits.maxIncludeDepth) {
      throw new ConfigError(`includes are nested more than ${this.#session.limits.maxIncludeDepth} deep`, pos);
    }
    const text = this.#session.read(target, pos, "error parsing include file");
    const included = new DocumentParser(text, target, this.#session, [...this.#includeChain, target], false).parse();
    const frame = this.#frames[this.#frames.length - 1] as MapFrame;
    for (const entry of included.entries.values()) this.#define(frame.map, entry);
  }

  #pos(token: Token): SourcePosition {
    return { file: this.#file, line: token.line, column: token.column };
  }

  #error(message: string, token: Token, cause?: unknown): ConfigError {
    return new ConfigError(message, this.#pos(token), cause === undefined ? {} : { cause });
  }
}

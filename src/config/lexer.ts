/**
 * The lexer of nats-server's configuration format. Our own code; the grammar (and each error
 * text) follows nats-server's `conf/lex.go`, so a file nats-server reads is read the same way:
 *
 * - `key: value`, `key = value` and `key value`; keys bare or quoted; values end at a newline,
 *   `;` or `,` (and `}` or `]` inside blocks and arrays).
 * - A top-level `{ ... }` wraps keys without adding a level: that is how JSON documents parse.
 * - Blocks `{}` and arrays `[]` nest; arrays separate values with `,` or newlines.
 * - `#` and `//` comments; double-quoted strings with escapes, single-quoted raw strings, bare
 *   strings, and `( ... )` block strings ending at a `)` alone on its line.
 * - Bare `true/false/yes/no/on/off` are booleans, bare `$name` a variable reference, and
 *   `include path` pulls in another file where it stands.
 * - Numbers: integers with size suffixes (`1k`, `64KB`), floats, and a digit-led bare word
 *   that is not a number is a string (`127.0.0.1:4222`, `3xyz`).
 *
 * Deliberate differences, each only where nats-server misbehaves: an unclosed top-level `{` is
 * an error (nats-server accepts a truncated file); `key = }` is an error (nats-server corrupts
 * its key stack); `[1]` is the integer 1 (nats-server reads the string "1"); JSON's `\/`, `\b`,
 * `\f` and `\uXXXX` escapes are accepted in strings.
 *
 * It works on the decoded text, one character code at a time, states in `as const` objects.
 */
import { ConfigError } from "./config-error.ts";

export const TokenKind = {
  Key: "key",
  String: "string",
  Integer: "integer",
  Float: "float",
  Bool: "bool",
  Datetime: "datetime",
  Variable: "variable",
  Include: "include",
  ArrayStart: "array-start",
  ArrayEnd: "array-end",
  MapStart: "map-start",
  MapEnd: "map-end",
  Eof: "eof",
} as const;
export type TokenKindValue = (typeof TokenKind)[keyof typeof TokenKind];

/** One lexical item. */
export interface Token {
  readonly kind: TokenKindValue;
  /**
   * The key, the decoded string, the variable name (without `$`), the include path, or the text
   * as written for numbers, booleans and datetimes (`64KB`, `yes`). Empty for the others.
   */
  readonly text: string;
  /** Where the item starts, from 1. */
  readonly line: number;
  readonly column: number;
}

/** What the lexer is inside of; the top of the stack decides how keys and value ends read. */
const Context = { Top: 0, Block: 1, Map: 2, Array: 3 } as const;
type ContextValue = (typeof Context)[keyof typeof Context];

/** What the lexer expects next. */
const State = { KeyStart: 0, KeyEnd: 1, Value: 2, ValueEnd: 3, ArrayValue: 4, Done: 5 } as const;
type StateValue = (typeof State)[keyof typeof State];

const EOF = -1;
const Ch = {
  Tab: 0x09,
  NL: 0x0a,
  CR: 0x0d,
  Space: 0x20,
  DoubleQuote: 0x22,
  Hash: 0x23,
  Dollar: 0x24,
  SingleQuote: 0x27,
  ParenOpen: 0x28,
  ParenClose: 0x29,
  Comma: 0x2c,
  Minus: 0x2d,
  Dot: 0x2e,
  Slash: 0x2f,
  Zero: 0x30,
  Nine: 0x39,
  Colon: 0x3a,
  Semicolon: 0x3b,
  Equals: 0x3d,
  BracketOpen: 0x5b,
  Backslash: 0x5c,
  BracketClose: 0x5d,
  BraceOpen: 0x7b,
  BraceClose: 0x7d,
} as const;

/** Go's `unicode.IsSpace`, which nats-server uses between keys and values. */
function isSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Blanks within a line: the only thing allowed between a separator and its value. */
function isBlank(c: number): boolean {
  return c === Ch.Space || c === Ch.Tab;
}

function isNewline(c: number): boolean {
  return c === Ch.NL || c === Ch.CR;
}

function isDigit(c: number): boolean {
  return c >= Ch.Zero && c <= Ch.Nine;
}

function isSeparator(c: number): boolean {
  return c === Ch.Colon || c === Ch.Equals;
}

/** The first letter of a size suffix: k, m, g, t, p, e in either case (parse.go's multipliers). */
function isSizeSuffix(c: number): boolean {
  const lower = c | 0x20;
  return lower === 0x6b || lower === 0x6d || lower === 0x67 || lower === 0x74 || lower === 0x70 || lower === 0x65;
}

/** The letters that may follow a size suffix: `b` (`KB`) and `i` (`Ki`, `KiB`). */
function isSizeSuffixTail(c: number): boolean {
  const lower = c | 0x20;
  return lower === 0x62 || lower === 0x69;
}

/** What may follow a number for it to be a number (anything else makes the word a string). */
function endsNumber(c: number): boolean {
  return (
    c === EOF ||
    isNewline(c) ||
    isBlank(c) ||
    c === Ch.BraceClose ||
    c === Ch.BracketClose ||
    c === Ch.Semicolon ||
    c === Ch.Comma ||
    isDigit(c)
  );
}

/** What ends a bare (unquoted) string. A `'` also ends it, and is swallowed, as nats-server. */
function endsBareString(c: number): boolean {
  return (
    c === EOF ||
    isNewline(c) ||
    isBlank(c) ||
    c === Ch.Semicolon ||
    c === Ch.Comma ||
    c === Ch.BracketClose ||
    c === Ch.BraceClose
  );
}

const BOOLEAN_WORDS = new Set(["true", "false", "yes", "no", "on", "off"]);

/** `'x'` for an error message, with the invisible characters spelled out. */
function shown(c: number): string {
  if (c === EOF) return "EOF";
  if (c === Ch.NL) return "'\\n'";
  if (c === Ch.CR) return "'\\r'";
  if (c === Ch.Tab) return "'\\t'";
  return `'${String.fromCodePoint(c)}'`;
}

interface OpenContext {
  readonly kind: ContextValue;
  readonly line: number;
  readonly column: number;
}

/** Collects a string that may contain escapes; runs of `\xHH` bytes are decoded as UTF-8. */
class StringBuilder {
  #parts: string[] = [];
  #bytes: number[] = [];
  #escaped = false;

  get escaped(): boolean {
    return this.#escaped;
  }

  text(s: string): void {
    if (s === "") return; // between two \x escapes: their bytes stay one sequence
    this.#flushBytes();
    this.#parts.push(s);
  }

  escape(s: string): void {
    this.#flushBytes();
    this.#parts.push(s);
    this.#escaped = true;
  }

  byte(b: number): void {
    this.#bytes.push(b);
    this.#escaped = true;
  }

  finish(): string {
    this.#flushBytes();
    return this.#parts.join("");
  }

  #flushBytes(): void {
    if (this.#bytes.length === 0) return;
    const bytes = Uint8Array.from(this.#bytes);
    this.#bytes = [];
    try {
      this.#parts.push(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      // Not UTF-8: one character per byte, as Latin-1.
      this.#parts.push(String.fromCharCode(...bytes));
    }
  }
}

/** Turns configuration text into tokens; throws {@link ConfigError} at the first lexical error. */
export class Lexer {
  readonly #src: string;
  readonly #file: string;
  readonly #maxNesting: number;
  #pos = 0;
  #line = 1;
  #lineStart = 0;
  #state: StateValue = State.KeyStart;
  readonly #contexts: OpenContext[] = [{ kind: Context.Top, line: 1, column: 1 }];

  constructor(src: string, file: string, maxNesting = 64) {
    this.#src = src;
    this.#file = file;
    this.#maxNesting = maxNesting;
  }

  /** Every token up to and including `Eof`. */
  static tokenize(src: string, file = "<config>"): Token[] {
    const lexer = new Lexer(src, file);
    const out: Token[] = [];
    for (;;) {
      const token = lexer.next();
      out.push(token);
      if (token.kind === TokenKind.Eof) return out;
    }
  }

  /** The next token; `Eof` forever once the input is done. */
  next(): Token {
    for (;;) {
      let token: Token | undefined;
      switch (this.#state) {
        case State.KeyStart:
          token = this.#keyStart();
          break;
        case State.KeyEnd:
          token = this.#keyEnd();
          break;
        case State.Value:
          token = this.#value();
          break;
        case State.ValueEnd:
          token = this.#valueEnd();
          break;
        case State.ArrayValue:
          token = this.#arrayValue();
          break;
        case State.Done:
          return this.#token(TokenKind.Eof, "", this.#line, this.#column());
      }
      if (token !== undefined) return token;
    }
  }

  // --- states -------------------------------------------------------------------------------

  /** Before a key: blanks, newlines, comments, and the braces of blocks. */
  #keyStart(): Token | undefined {
    const context = this.#context();
    this.#skipSpaceAndComments();
    const c = this.#peek();
    const line = this.#line;
    const column = this.#column();
    switch (c) {
      case EOF:
        if (context.kind === Context.Top) {
          this.#state = State.Done;
          return this.#token(TokenKind.Eof, "", line, column);
        }
        throw this.#unclosed(context);
      case Ch.BraceOpen:
        if (context.kind === Context.Map) break; // a key that starts with '{', as nats-server
        this.#advance();
        this.#push(Context.Block, line, column);
        return undefined;
      case Ch.BraceClose:
        this.#advance();
        if (context.kind === Context.Top) {
          // nats-server tolerates a stray '}' at the very end (JSON written with one too many).
          this.#skipSpaceAndComments();
          if (this.#peek() !== EOF) throw this.#error("Unexpected '}' with no block to close", line, column);
          return undefined;
        }
        this.#contexts.pop();
        if (context.kind === Context.Block) return undefined;
        this.#state = State.ValueEnd;
        return this.#token(TokenKind.MapEnd, "", line, column);
      case Ch.BracketClose:
        if (context.kind === Context.Map) throw this.#error("Unexpected array end ']' processing map.");
        break;
      case Ch.Colon:
      case Ch.Equals:
        throw this.#error(`Unexpected key separator ${shown(c)}`);
      case Ch.Slash:
        if (context.kind !== Context.Map) throw this.#error("Unexpected '/': comments start with '//' or '#'");
        break;
    }
    return this.#key(context);
  }

  /** A key, quoted or bare; a bare `include` followed by a blank is the include directive. */
  #key(context: OpenContext): Token {
    const line = this.#line;
    const column = this.#column();
    const quote = this.#peek();
    if (quote === Ch.DoubleQuote || quote === Ch.SingleQuote) {
      this.#advance();
      const end = this.#src.indexOf(String.fromCharCode(quote), this.#pos);
      if (end < 0) throw this.#error("Unexpected EOF processing quoted key: the quote is never closed", line, column);
      const text = this.#src.slice(this.#pos, end);
      this.#advanceTo(end + 1);
      this.#state = State.KeyEnd;
      return this.#token(TokenKind.Key, text, line, column);
    }
    const start = this.#pos;
    let c = this.#peek();
    while (c !== EOF && !isSpace(c) && !isSeparator(c)) {
      this.#advance();
      c = this.#peek();
    }
    const text = this.#src.slice(start, this.#pos);
    if (c === EOF && context.kind === Context.Map) throw this.#error("Unexpected EOF processing map key.");
    if (isSpace(c) && text.toLowerCase() === "include") return this.#include(line, column);
    this.#state = State.KeyEnd;
    return this.#token(TokenKind.Key, text, line, column);
  }

  /** Between a key and its value: blanks and newlines, then at most one `:` or `=`. */
  #keyEnd(): Token | undefined {
    const context = this.#context();
    this.#skipSpace();
    const c = this.#peek();
    if (isSeparator(c)) {
      this.#advance();
      // Inside a block the value may start on the next line; at the top level it may not.
      if (context.kind === Context.Map) this.#skipSpace();
    } else if (c === EOF) {
      if (context.kind === Context.Map) throw this.#unclosed(context);
      // A key with no value: the parser reports it, with the key's position.
      this.#state = State.Done;
      return this.#token(TokenKind.Eof, "", this.#line, this.#column());
    }
    this.#state = State.Value;
    return undefined;
  }

  /** A value of any kind. */
  #value(): Token | undefined {
    while (isBlank(this.#peek())) this.#advance();
    const c = this.#peek();
    const line = this.#line;
    const column = this.#column();
    switch (c) {
      case EOF: {
        const context = this.#context();
        if (context.kind !== Context.Top) throw this.#unclosed(context);
        // `key =` at the very end is an empty string, as nats-server.
        this.#state = State.ValueEnd;
        return this.#token(TokenKind.String, "", line, column);
      }
      case Ch.NL:
      case Ch.CR:
        throw this.#error("Expected value but found new line");
      case Ch.BracketOpen:
        this.#advance();
        this.#push(Context.Array, line, column);
        this.#state = State.ArrayValue;
        return this.#token(TokenKind.ArrayStart, "", line, column);
      case Ch.BraceOpen:
        this.#advance();
        this.#push(Context.Map, line, column);
        this.#state = State.KeyStart;
        return this.#token(TokenKind.MapStart, "", line, column);
      case Ch.BraceClose:
        throw this.#error("Expected value but found '}'");
      case Ch.Dot:
        throw this.#error("Floats must start with a digit");
    }
    this.#state = State.ValueEnd;
    if (c === Ch.SingleQuote) return this.#singleQuoted(line, column);
    if (c === Ch.DoubleQuote) return this.#doubleQuoted(line, column);
    if (c === Ch.ParenOpen) return this.#blockString(line, column);
    if (c === Ch.Minus) return this.#negativeNumber(line, column);
    if (isDigit(c)) return this.#number(line, column);
    return this.#bareString(this.#pos, new StringBuilder(), line, column);
  }

  /** After a value: what may end it depends on what it is inside of. */
  #valueEnd(): Token | undefined {
    const context = this.#context();
    while (isBlank(this.#peek())) this.#advance();
    if (this.#atComment()) {
      this.#skipComment();
      this.#state = context.kind === Context.Array ? State.ArrayValue : State.KeyStart;
      return undefined;
    }
    const c = this.#peek();
    const line = this.#line;
    const column = this.#column();
    switch (context.kind) {
      case Context.Top:
        if (c === EOF || isNewline(c) || c === Ch.Semicolon || c === Ch.Comma || c === Ch.BraceClose) {
          if (c !== EOF) this.#advance();
          this.#state = State.KeyStart;
          return undefined;
        }
        throw this.#error(`Expected a top-level value to end with a new line, comment or EOF, but got ${shown(c)} instead.`);
      case Context.Block:
        if (isNewline(c) || c === Ch.Semicolon || c === Ch.Comma) {
          this.#advance();
          this.#state = State.KeyStart;
          return undefined;
        }
        if (c === Ch.BraceClose) {
          this.#advance();
          this.#contexts.pop();
          this.#state = State.KeyStart;
          return undefined;
        }
        if (c === EOF) throw this.#unclosed(context);
        throw this.#error(`Expected a block-level value to end with a new line, comment or EOF, but got ${shown(c)} instead.`);
      case Context.Map:
        if (isNewline(c) || c === Ch.Semicolon || c === Ch.Comma) {
          this.#advance();
          this.#state = State.KeyStart;
          return undefined;
        }
        if (c === Ch.BraceClose) {
          this.#advance();
          this.#contexts.pop();
          return this.#token(TokenKind.MapEnd, "", line, column);
        }
        if (c === EOF) throw this.#unclosed(context);
        throw this.#error(`Expected a map value terminator ',' or a map terminator '}', but got ${shown(c)} instead.`);
      case Context.Array:
        if (isNewline(c) || c === Ch.Comma) {
          this.#advance();
          this.#state = State.ArrayValue;
          return undefined;
        }
        if (c === Ch.BracketClose) {
          this.#advance();
          this.#contexts.pop();
          return this.#token(TokenKind.ArrayEnd, "", line, column);
        }
        if (c === EOF) throw this.#unclosed(context);
        throw this.#error(`Expected an array value terminator ',' or an array terminator ']', but got ${shown(c)} instead.`);
    }
  }

  /** Before an array element: blanks, newlines and comments; `]` ends the array. */
  #arrayValue(): Token | undefined {
    this.#skipSpaceAndComments();
    const c = this.#peek();
    if (c === Ch.Comma) throw this.#error("Unexpected array value terminator ','.");
    if (c === Ch.BracketClose) {
      const line = this.#line;
      const column = this.#column();
      this.#advance();
      this.#contexts.pop();
      this.#state = State.ValueEnd;
      return this.#token(TokenKind.ArrayEnd, "", line, column);
    }
    if (c === EOF) throw this.#unclosed(this.#context());
    this.#state = State.Value;
    return undefined;
  }

  // --- values -------------------------------------------------------------------------------

  /** `'...'`: everything up to the next `'`, newlines included, no escapes. */
  #singleQuoted(line: number, column: number): Token {
    this.#advance();
    const end = this.#src.indexOf("'", this.#pos);
    if (end < 0) throw this.#error("Unexpected EOF: the string's quote is never closed", line, column);
    const text = this.#src.slice(this.#pos, end);
    this.#advanceTo(end + 1);
    return this.#token(TokenKind.String, text, line, column);
  }

  /** `"..."`: up to the next unescaped `"`, with escapes. */
  #doubleQuoted(line: number, column: number): Token {
    this.#advance();
    const out = new StringBuilder();
    let run = this.#pos;
    for (;;) {
      const c = this.#peek();
      if (c === EOF) throw this.#error("Unexpected EOF: the string's quote is never closed", line, column);
      if (c === Ch.DoubleQuote) {
        out.text(this.#src.slice(run, this.#pos));
        this.#advance();
        return this.#token(TokenKind.String, out.finish(), line, column);
      }
      if (c === Ch.Backslash) {
        out.text(this.#src.slice(run, this.#pos));
        this.#escape(out);
        run = this.#pos;
        continue;
      }
      this.#advance();
    }
  }

  /**
   * An unquoted word from `start` (which may be behind the cursor, when a number turned out to
   * be a word). Escapes are allowed; without any, it may be a boolean or a `$variable`.
   */
  #bareString(start: number, out: StringBuilder, line: number, column: number): Token {
    let run = start;
    for (;;) {
      const c = this.#peek();
      if (c === Ch.Backslash) {
        out.text(this.#src.slice(run, this.#pos));
        this.#escape(out);
        run = this.#pos;
        continue;
      }
      if (endsBareString(c) || c === Ch.SingleQuote) {
        out.text(this.#src.slice(run, this.#pos));
        if (c === Ch.SingleQuote) this.#advance();
        break;
      }
      this.#advance();
    }
    const text = out.finish();
    if (!out.escaped) {
      if (BOOLEAN_WORDS.has(text.toLowerCase())) return this.#token(TokenKind.Bool, text, line, column);
      if (text.charCodeAt(0) === Ch.Dollar) return this.#token(TokenKind.Variable, text.slice(1), line, column);
    }
    return this.#token(TokenKind.String, text, line, column);
  }

  /** `\x..`, `\t`, `\n`, `\r`, `\"`, `\\` as nats-server, plus JSON's `\/`, `\b`, `\f`, `\uXXXX`. */
  #escape(out: StringBuilder): void {
    this.#advance(); // the backslash
    const c = this.#peek();
    if (c !== EOF) this.#advance();
    switch (c) {
      case 0x78: {
        // x
        const hex = this.#src.slice(this.#pos, this.#pos + 2);
        if (hex.length < 2 || /[\r\n]/.test(hex)) throw this.#error("Expected two hexadecimal digits after '\\x', but hit end of line");
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw this.#error(`Expected two hexadecimal digits after '\\x', but got '${hex}'`);
        this.#advanceTo(this.#pos + 2);
        out.byte(Number.parseInt(hex, 16));
        return;
      }
      case 0x75: {
        // u
        const hex = this.#src.slice(this.#pos, this.#pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.#error(`Expected four hexadecimal digits after '\\u', but got '${hex}'`);
        this.#advanceTo(this.#pos + 4);
        out.escape(String.fromCharCode(Number.parseInt(hex, 16)));
        return;
      }
      case 0x74:
        return out.escape("\t");
      case 0x6e:
        return out.escape("\n");
      case 0x72:
        return out.escape("\r");
      case 0x62:
        return out.escape("\b");
      case 0x66:
        return out.escape("\f");
      case Ch.DoubleQuote:
        return out.escape('"');
      case Ch.Backslash:
        return out.escape("\\");
      case Ch.Slash:
        return out.escape("/");
    }
    throw this.#error(
      `Invalid escape character ${shown(c)}. Only the following escape characters are allowed: ` +
        '\\xXX, \\t, \\n, \\r, \\", \\\\ (and JSON\'s \\/, \\b, \\f, \\uXXXX).',
    );
  }

  /** `( ... )`: everything up to a `)` alone on its line, as written. */
  #blockString(line: number, column: number): Token {
    this.#advance();
    const start = this.#pos;
    let from = start;
    for (;;) {
      const close = this.#src.indexOf("\n)", from);
      if (close < 0) throw this.#error("Unexpected EOF processing block.", line, column);
      const after = this.#src.charCodeAt(close + 2);
      if (close + 2 >= this.#src.length || after === Ch.NL || after === Ch.CR) {
        const text = this.#src.slice(start, close + 1);
        this.#advanceTo(close + 2);
        return this.#token(TokenKind.String, text, line, column);
      }
      from = close + 1;
    }
  }

  /**
   * A word that starts with a digit: an integer (with an optional size suffix), a float, an
   * ISO 8601 datetime, an IP address (`127.0.0.1:4222` is a string), or any other word.
   */
  #number(line: number, column: number): Token {
    const start = this.#pos;
    this.#skipDigits();
    const c = this.#peek();
    if (c === Ch.Minus) {
      if (this.#pos - start !== 4) throw this.#error("All ISO8601 dates must be in full Zulu form.");
      return this.#datetime(start, line, column);
    }
    if (c === Ch.Dot) return this.#float(start, line, column);
    if (isSizeSuffix(c)) return this.#sizedInteger(start, line, column);
    if (endsNumber(c)) return this.#token(TokenKind.Integer, this.#src.slice(start, this.#pos), line, column);
    return this.#bareString(start, new StringBuilder(), line, column);
  }

  #negativeNumber(line: number, column: number): Token {
    const start = this.#pos;
    this.#advance();
    const c = this.#peek();
    if (!isDigit(c)) {
      if (c === Ch.Dot) throw this.#error("Floats must start with a digit, not '.'.");
      throw this.#error(`Expected a digit but got ${shown(c)}.`);
    }
    this.#skipDigits();
    const next = this.#peek();
    if (next === Ch.Dot) return this.#float(start, line, column);
    if (isSizeSuffix(next)) return this.#sizedInteger(start, line, column);
    return this.#token(TokenKind.Integer, this.#src.slice(start, this.#pos), line, column);
  }

  /** `64K`, `1MB`, `2GiB`...; a word like `3Gyz` is a string after all. */
  #sizedInteger(start: number, line: number, column: number): Token {
    this.#advance();
    while (isSizeSuffixTail(this.#peek())) this.#advance();
    if (endsNumber(this.#peek())) return this.#token(TokenKind.Integer, this.#src.slice(start, this.#pos), line, column);
    return this.#bareString(start, new StringBuilder(), line, column);
  }

  /** After the digits and a `.`: a float, or with a second `.` an IP address (a string). */
  #float(start: number, line: number, column: number): Token {
    this.#advance();
    const c = this.#peek();
    if (!isDigit(c)) throw this.#error(`Floats must have a digit after the '.', but got ${shown(c)} instead.`);
    this.#skipDigits();
    if (this.#peek() !== Ch.Dot) return this.#token(TokenKind.Float, this.#src.slice(start, this.#pos), line, column);
    for (;;) {
      const d = this.#peek();
      if (!(isDigit(d) || d === Ch.Dot || d === Ch.Colon || d === Ch.Minus)) break;
      this.#advance();
    }
    return this.#token(TokenKind.String, this.#src.slice(start, this.#pos), line, column);
  }

  /** `YYYY-MM-DDTHH:MM:SSZ`, the year already read. */
  #datetime(start: number, line: number, column: number): Token {
    for (const expected of "-00-00T00:00:00Z") {
      const c = this.#peek();
      if (expected === "0") {
        if (!isDigit(c)) throw this.#error(`Expected digit in ISO8601 datetime, but found ${shown(c)} instead.`);
      } else if (c !== expected.charCodeAt(0)) {
        throw this.#error(`Expected '${expected}' in ISO8601 datetime, but found ${shown(c)} instead.`);
      }
      this.#advance();
    }
    return this.#token(TokenKind.Datetime, this.#src.slice(start, this.#pos), line, column);
  }

  /** `include path` (the path bare, or quoted without escapes). */
  #include(line: number, column: number): Token {
    while (isBlank(this.#peek())) this.#advance();
    const c = this.#peek();
    let path: string;
    if (c === Ch.SingleQuote || c === Ch.DoubleQuote) {
      const quoteLine = this.#line;
      const quoteColumn = this.#column();
      this.#advance();
      const end = this.#src.indexOf(String.fromCharCode(c), this.#pos);
      if (end < 0) throw this.#error("Unexpected EOF in quoted include", quoteLine, quoteColumn);
      path = this.#src.slice(this.#pos, end);
      this.#advanceTo(end + 1);
    } else {
      if (c === Ch.BracketOpen) throw this.#error("Expected include value but found start of an array");
      if (c === Ch.BraceOpen) throw this.#error("Expected include value but found start of a map");
      if (c === Ch.ParenOpen) throw this.#error("Expected include value but found start of a block");
      if (isDigit(c) || c === Ch.Minus) throw this.#error("Expected include value but found start of a number");
      if (c === Ch.Backslash) throw this.#error("Expected include value but found escape sequence");
      if (isNewline(c)) throw this.#error("Expected include value but found new line");
      if (c === EOF) throw this.#error("Expected include value but found EOF");
      const start = this.#pos;
      let d = this.#peek();
      while (!(d === EOF || isNewline(d) || isBlank(d) || d === Ch.Semicolon || d === Ch.BraceClose || d === Ch.SingleQuote)) {
        this.#advance();
        d = this.#peek();
      }
      path = this.#src.slice(start, this.#pos);
      if (d === Ch.SingleQuote) this.#advance();
    }
    this.#state = State.ValueEnd;
    return this.#token(TokenKind.Include, path, line, column);
  }

  // --- cursor -------------------------------------------------------------------------------

  #peek(offset = 0): number {
    const i = this.#pos + offset;
    return i < this.#src.length ? this.#src.charCodeAt(i) : EOF;
  }

  #advance(): void {
    if (this.#src.charCodeAt(this.#pos) === Ch.NL) {
      this.#line++;
      this.#lineStart = this.#pos + 1;
    }
    this.#pos++;
  }

  /** Moves the cursor to `end`, counting the lines passed. */
  #advanceTo(end: number): void {
    while (this.#pos < end) this.#advance();
  }

  #column(): number {
    return this.#pos - this.#lineStart + 1;
  }

  #skipDigits(): void {
    while (isDigit(this.#peek())) this.#advance();
  }

  #skipSpace(): void {
    while (isSpace(this.#peek())) this.#advance();
  }

  #atComment(): boolean {
    const c = this.#peek();
    return c === Ch.Hash || (c === Ch.Slash && this.#peek(1) === Ch.Slash);
  }

  /** To the end of the line; the newline itself is left for the state that follows. */
  #skipComment(): void {
    let c = this.#peek();
    while (c !== EOF && !isNewline(c)) {
      this.#advance();
      c = this.#peek();
    }
  }

  #skipSpaceAndComments(): void {
    for (;;) {
      this.#skipSpace();
      if (!this.#atComment()) return;
      this.#skipComment();
    }
  }

  #context(): OpenContext {
    return this.#contexts[this.#contexts.length - 1]!;
  }

  #push(kind: ContextValue, line: number, column: number): void {
    if (this.#contexts.length > this.#maxNesting) {
      throw this.#error(`blocks and arrays are nested more than ${this.#maxNesting} deep`, line, column);
    }
    this.#contexts.push({ kind, line, column });
  }

  #token(kind: TokenKindValue, text: string, line: number, column: number): Token {
    return { kind, text, line, column };
  }

  #error(message: string, line = this.#line, column = this.#column()): ConfigError {
    return new ConfigError(message, { file: this.#file, line, column });
  }

  /** The input ended inside a block or an array. */
  #unclosed(context: OpenContext): ConfigError {
    const what = context.kind === Context.Array ? "array" : context.kind === Context.Map ? "map" : "block";
    const open = context.kind === Context.Array ? "[" : "{";
    return this.#error(`Unexpected EOF processing ${what}: the '${open}' at line ${context.line}, column ${context.column} is never closed.`);
  }
}

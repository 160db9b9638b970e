/**
 * The parsed configuration: a tree of values that remember where they were written, so that
 * the mapping onto options can name the file, line and column of a bad value.
 */

/** Where a key or value was written. `line` and `column` count from 1; 0 means the file as a whole. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** What every value read from a config file has: where it was read. */
export interface ConfigValueBase {
  readonly pos: SourcePosition;
}

/** A quoted, bare or block string. */
export interface ConfigString extends ConfigValueBase {
  readonly kind: "string";
  readonly value: string;
}

/** An integer, size suffixes applied (`64KB` is 65536); `raw` is the text as written. */
export interface ConfigInteger extends ConfigValueBase {
  readonly kind: "integer";
  readonly value: number;
  readonly raw: string;
}

export interface ConfigFloat extends ConfigValueBase {
  readonly kind: "float";
  readonly value: number;
}

/** `true`/`false`, `yes`/`no`, `on`/`off`, any case, unquoted. */
export interface ConfigBoolean extends ConfigValueBase {
  readonly kind: "boolean";
  readonly value: boolean;
}

/** An unquoted ISO 8601 Zulu timestamp such as `2016-05-04T18:53:41Z`. */
export interface ConfigDatetime extends ConfigValueBase {
  readonly kind: "datetime";
  readonly value: Date;
}

export interface ConfigArray extends ConfigValueBase {
  readonly kind: "array";
  readonly items: ConfigValue[];
}

/** A block `{ ... }` (or the document itself). Keys keep the order of their last definition. */
export interface ConfigMap extends ConfigValueBase {
  readonly kind: "map";
  readonly entries: Map<string, ConfigEntry>;
}

export type ConfigValue =
  | ConfigString
  | ConfigInteger
  | ConfigFloat
  | ConfigBoolean
  | ConfigDatetime
  | ConfigArray
  | ConfigMap;

/** One `key: value` of a block. */
export interface ConfigEntry {
  readonly key: string;
  readonly keyPos: SourcePosition;
  readonly value: ConfigValue;
  /**
   * Whether a `$key` reference read this entry. nats-server does not report such keys as unknown
   * fields: they are variables, not options.
   */
  usedAsVariable: boolean;
}

/** `file:line:column`, or just `file` for a position that means the whole file. */
export function formatPosition(pos: SourcePosition): string {
  return pos.line > 0 ? `${pos.file}:${pos.line}:${pos.column}` : pos.file;
}

/** How a value reads in an error message: its type and, for scalars, the value. */
export function describeValue(value: ConfigValue): string {
  switch (value.kind) {
    case "string":
      return `string ${JSON.stringify(value.value)}`;
    case "integer":
      return `integer ${value.raw}`;
    case "float":
      return `float ${value.value}`;
    case "boolean":
      return `boolean ${value.value}`;
    case "datetime":
      return `datetime ${value.value.toISOString()}`;
    case "array":
      return "array";
    case "map":
      return "block";
  }
}

/** A plain JSON-like object of the tree, for inspection and tests. */
export type PlainValue = string | number | boolean | Date | PlainValue[] | { [key: string]: PlainValue };

/**
 * Converts a tree to plain values. A value that variables made appear many times is converted
 * once and shared, so `b = [$a, $a]; c = [$b, $b]; ...` cannot blow up.
 */
export function toPlain(value: ConfigValue, seen = new Map<object, PlainValue>()): PlainValue {
  switch (value.kind) {
    case "array": {
      const done = seen.get(value.items);
      if (done !== undefined) return done;
      const out: PlainValue[] = [];
      seen.set(value.items, out);
      for (const item of value.items) out.push(toPlain(item, seen));
      return out;
    }
    case "map": {
      const done = seen.get(value.entries);
      if (done !== undefined) return done;
      const out: { [key: string]: PlainValue } = {};
      seen.set(value.entries, out);
      for (const [key, entry] of value.entries) {
        // defineProperty, so that a key named __proto__ is data and never a prototype.
        Object.defineProperty(out, key, { value: toPlain(entry.value, seen), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      return value.value;
  }
}

/**
 * Durations as nats-server reads them: Go's `time.ParseDuration` syntax (`"2m"`, `"10s"`,
 * `"1h30m"`, `"500ms"`, `"1.5s"`), written back in Go's `Duration.String()` form for logs.
 */

/** Nanoseconds per unit, as Go's time package. */
const UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3, // U+00B5 micro sign
  "μs": 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** The largest Go duration: int64 nanoseconds. */
const MAX_NANOSECONDS = 9_223_372_036_854_775_807;

/**
 * Parses a Go duration string into milliseconds (fractional when below a millisecond).
 * Throws `Error` with Go's messages (`time: unknown unit "x" in duration "2x"`).
 */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (rest !== "") {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
    const whole = number[1]!;
    const fraction = number[2];
    if (whole === "" && (fraction === undefined || fraction === "")) throw new Error(`time: invalid duration ${quoted}`);
    rest = rest.slice(number[0].length);
    const unit = /^[^\d.]*/.exec(rest)![0];
    if (unit === "") throw new Error(`time: missing unit in duration ${quoted}`);
    const scale = UNITS[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    rest = rest.slice(unit.length);
    total += Number(`${whole === "" ? "0" : whole}.${fraction ?? ""}0`) * scale;
    if (total > MAX_NANOSECONDS) throw new Error(`time: invalid duration ${quoted}`);
  }
  return (sign * total) / 1e6;
}

/** Milliseconds in Go's `Duration.String()` form: `2m0s`, `1h0m0s`, `1.5s`, `500ms`, `0s`. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${trim(abs)}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = `${trim((abs % 60_000) / 1000)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

/** A number without float noise: at most nine decimals, trailing zeros dropped. */
function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}

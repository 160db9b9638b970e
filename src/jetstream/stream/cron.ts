/**
 * Cron patterns of scheduled messages (nats-server 2.14, server/cron.go): six fields,
 * `second minute hour day-of-month month day-of-week`, each `*`, `?`, a number or name, a range
 * `a-b`, a step `/n`, or a comma list; the predefined `@yearly`, `@monthly`… are mapped in
 * schedules.ts. The next time is found field by field from the largest, wrapping to the next
 * year at most five years ahead, as robfig/cron (which cron.go follows) does.
 *
 * Times are worked out on the wall clock of the schedule's time zone (`Nats-Schedule-Time-Zone`,
 * UTC when absent) and turned back into an instant with the zone's offset there. Across a
 * daylight-saving change Go steps through real instants instead, so a time in the skipped or
 * repeated hour may come out an hour apart from nats-server's.
 */

interface Field {
  readonly values: ReadonlySet<number>;
  /** Written `*` or `?` (without a step above 1): day matching then needs both day fields. */
  readonly star: boolean;
}

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const SECONDS: Bounds = { min: 0, max: 59 };
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DAYS_OF_MONTH: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DAYS_OF_WEEK: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** Go's `strconv.Atoi` for what cron accepts: an optional sign and digits; negatives refused. */
function parseNumber(text: string, names: Bounds["names"]): number | undefined {
  const named = names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^[+-]?\d{1,18}$/.test(text)) return undefined;
  const n = Number(text);
  return n < 0 ? undefined : n;
}

function parseRange(expr: string, b: Bounds, values: Set<number>): { star: boolean } | undefined {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0]!.split("-");
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    const s = parseNumber(lowAndHigh[0]!, b.names);
    if (s === undefined) return undefined;
    start = s;
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) {
      const e = parseNumber(lowAndHigh[1]!, b.names);
      if (e === undefined) return undefined;
      end = e;
    } else return undefined;
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    const s = parseNumber(rangeAndStep[1]!, undefined);
    if (s === undefined) return undefined;
    step = s;
    // `5/10` means from 5 to the end.
    if (lowAndHigh.length === 1) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    return undefined;
  }
  if (start < b.min || end > b.max || start > end || step === 0) return undefined;
  for (let i = start; i <= end; i += step) values.add(i);
  return { star };
}

function parseField(text: string, b: Bounds): Field | undefined {
  const values = new Set<number>();
  let star = false;
  // Empty items between commas are skipped, as Go's FieldsFunc does.
  for (const expr of text.split(",").filter((e) => e !== "")) {
    const r = parseRange(expr, b, values);
    if (r === undefined) return undefined;
    star ||= r.star;
  }
  return { values, star };
}

/** A parsed six-field pattern. */
export interface Cron {
  readonly second: Field;
  readonly minute: Field;
  readonly hour: Field;
  readonly dayOfMonth: Field;
  readonly month: Field;
  readonly dayOfWeek: Field;
}

export function parseCron(pattern: string): Cron | undefined {
  const fields = pattern.trim().split(/\s+/);
  if (fields.length !== 6) return undefined;
  const bounds = [SECONDS, MINUTES, HOURS, DAYS_OF_MONTH, MONTHS, DAYS_OF_WEEK];
  const parsed = fields.map((f, i) => parseField(f, bounds[i]!));
  if (parsed.some((f) => f === undefined)) return undefined;
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = parsed as Field[];
  return { second: second!, minute: minute!, hour: hour!, dayOfMonth: dayOfMonth!, month: month!, dayOfWeek: dayOfWeek! };
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at `instantMs`, in ms (UTC when no zone). */
function offsetMs(zone: string | undefined, instantMs: number): number {
  if (zone === undefined) return 0;
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    // Few zones are ever used; the bound only keeps a hostile publisher from growing it.
    if (formats.size < 64) formats.set(zone, format);
  }
  const parts = format.formatToParts(new Date(instantMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? "0");
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return wall - (instantMs - (instantMs % 1000 + 1000) % 1000);
}

/** The instant whose wall-clock time in `zone` is `wallMs` (a wall time written as if UTC). */
function fromWall(zone: string | undefined, wallMs: number): number {
  let instant = wallMs - offsetMs(zone, wallMs);
  instant = wallMs - offsetMs(zone, instant);
  return instant;
}

function dayMatches(c: Cron, d: Date): boolean {
  const dom = c.dayOfMonth.values.has(d.getUTCDate());
  const dow = c.dayOfWeek.values.has(d.getUTCDay());
  if (c.dayOfMonth.star || c.dayOfWeek.star) return dom && dow;
  return dom || dow;
}

/** The first time after `fromMs` (whole seconds) the pattern matches, in ms; undefined beyond five years. */
export function nextCron(c: Cron, zone: string | undefined, fromMs: number): number | undefined {
  // Wall-clock time in the zone, as a Date read through its UTC fields.
  const startInstant = Math.floor(fromMs / 1000) * 1000 + 1000;
  const t = new Date(startInstant + offsetMs(zone, startInstant));
  const yearLimit = t.getUTCFullYear() + 5;
  let truncated = false;
  wrap: for (;;) {
    if (t.getUTCFullYear() > yearLimit) return undefined;
    while (!c.month.values.has(t.getUTCMonth() + 1)) {
      if (!truncated) {
        truncated = true;
        t.setUTCDate(1);
        t.setUTCHours(0, 0, 0, 0);
      }
      t.setUTCMonth(t.getUTCMonth() + 1);
      if (t.getUTCMonth() === 0) continue wrap;
    }
    while (!dayMatches(c, t)) {
      if (!truncated) {
        truncated = true;
        t.setUTCHours(0, 0, 0, 0);
      }
      t.setUTCDate(t.getUTCDate() + 1);
      if (t.getUTCDate() === 1) continue wrap;
    }
    while (!c.hour.values.has(t.getUTCHours())) {
      if (!truncated) {
        truncated = true;
        t.setUTCMinutes(0, 0, 0);
      }
      t.setUTCHours(t.getUTCHours() + 1);
      if (t.getUTCHours() === 0) continue wrap;
    }
    while (!c.minute.values.has(t.getUTCMinutes())) {
      if (!truncated) {
        truncated = true;
        t.setUTCSeconds(0, 0);
      }
      t.setUTCMinutes(t.getUTCMinutes() + 1);
      if (t.getUTCMinutes() === 0) continue wrap;
    }
    while (!c.second.values.has(t.getUTCSeconds())) {
      if (!truncated) {
        truncated = true;
        t.setUTCMilliseconds(0);
      }
      t.setUTCSeconds(t.getUTCSeconds() + 1);
      if (t.getUTCSeconds() === 0) continue wrap;
    }
    return fromWall(zone, t.getTime());
  }
}

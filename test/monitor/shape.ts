/**
 * Comparing the shape of our monitoring JSON with nats-server's: the same field names at every
 * depth, the same JSON types, and equal values where the scenario decides them. Used by the
 * `/jsz` and `/leafz` differential tests.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function jsonType(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

export interface ShapeRules {
  /** Field names whose values must be equal wherever they appear (numbers, strings, booleans). */
  equal?: ReadonlySet<string>;
  /** Field names we send that nats-server 2.9.10 lacks (from later releases), with why. */
  oursOnly?: ReadonlyMap<string, string>;
  /** Field names nats-server sends that we leave out, with why. */
  theirsOnly?: ReadonlyMap<string, string>;
}

function identity(v: Json): string {
  if (v !== null && typeof v === "object" && !Array.isArray(v) && typeof v["name"] === "string") return v["name"];
  return JSON.stringify(v);
}

/** Every difference between `ours` and `theirs` under `rules`, as readable lines (empty: same shape). */
export function shapeDifferences(ours: Json, theirs: Json, rules: ShapeRules = {}, path = "", key = ""): string[] {
  const problems: string[] = [];
  const to = jsonType(ours);
  const tt = jsonType(theirs);
  if (to !== tt) return [`${path || "."}: ${to} here, ${tt} in nats-server`];
  if (rules.equal?.has(key) === true && to !== "object" && to !== "array" && ours !== theirs) {
    problems.push(`${path}: ${JSON.stringify(ours)} here, ${JSON.stringify(theirs)} in nats-server`);
  }
  if (to === "array") {
    const o = [...(ours as Json[])].sort((a, b) => identity(a).localeCompare(identity(b)));
    const t = [...(theirs as Json[])].sort((a, b) => identity(a).localeCompare(identity(b)));
    if (o.length !== t.length) problems.push(`${path}: ${o.length} items here, ${t.length} in nats-server`);
    for (let i = 0; i < Math.min(o.length, t.length); i++) problems.push(...shapeDifferences(o[i]!, t[i]!, rules, `${path}[${identity(o[i]!)}]`, key));
    return problems;
  }
  if (to === "object") {
    const o = ours as Record<string, Json>;
    const t = theirs as Record<string, Json>;
    for (const k of Object.keys(o)) {
      if (!(k in t)) {
        if (rules.oursOnly?.has(k) !== true) problems.push(`${path}.${k}: not in nats-server's answer`);
        continue;
      }
      problems.push(...shapeDifferences(o[k]!, t[k]!, rules, `${path}.${k}`, k));
    }
    for (const k of Object.keys(t)) {
      if (!(k in o) && rules.theirsOnly?.has(k) !== true) problems.push(`${path}.${k}: only in nats-server's answer`);
    }
  }
  return problems;
}

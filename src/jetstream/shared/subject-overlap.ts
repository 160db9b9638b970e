/**
 * Relations between two subjects that may both hold wildcards, as nats-server's
 * `SubjectsCollide` and `subjectIsSubsetMatch` (server/sublist.go). Streams may not share a
 * subject a publish could match twice; consumer filters must lie inside their stream.
 */

/** Whether some literal subject would match both `a` and `b`. */
export function subjectsCollide(a: string, b: string): boolean {
  if (a === b) return true;
  const ta = a.split(".");
  const tb = b.split(".");
  const n = Math.min(ta.length, tb.length);
  for (let i = 0; i < n; i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    // `>` takes one or more tokens, and both sides have at least this one.
    if (x === ">" || y === ">") return true;
    if (x !== "*" && y !== "*" && x !== y) return false;
  }
  return ta.length === tb.length;
}

/** Whether every literal subject `subject` matches is also matched by `test`. */
export function subjectIsSubsetMatch(subject: string, test: string): boolean {
  const ts = subject.split(".");
  const tt = test.split(".");
  for (let i = 0; i < ts.length; i++) {
    const s = ts[i]!;
    const t = tt[i];
    if (t === undefined) return false;
    if (t === ">") return true;
    if (s === ">") return false;
    if (t === "*") continue;
    if (s === "*" || s !== t) return false;
  }
  return ts.length === tt.length;
}

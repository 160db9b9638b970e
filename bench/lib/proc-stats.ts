/**
 * What /proc says about a server process: CPU time and memory. Read from the outside so the
 * same numbers come out for a Go binary and a Node process, with no cooperation from either.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let ticks: number | undefined;

/** Clock ticks per second of utime/stime (`getconf CLK_TCK`, 100 on Linux in practice). */
export function clockTicks(): number {
  if (ticks === undefined) {
    const text = execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim();
    const n = Number(text);
    ticks = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return ticks;
}

/** User + system CPU seconds the process has used so far (/proc/<pid>/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so field 14 is fields[11] and field 15 is fields[12].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks();
}

export interface MemoryUsage {
  /** Resident set size now, KiB (VmRSS). */
  rssKiB: number;
  /** Peak resident set size over the process's life, KiB (VmHWM). */
  peakRssKiB: number;
}

export function memoryUsage(pid: number): MemoryUsage {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return { rssKiB: statusField(status, "VmRSS"), peakRssKiB: statusField(status, "VmHWM") };
}

function statusField(status: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
  if (m === null) throw new Error(`/proc status has no ${name}`);
  return Number(m[1]);
}

/** Soft limit on open files of a process ("self" for the coordinator). */
export function openFilesLimit(pid: number | "self"): number {
  const limits = readFileSync(`/proc/${pid}/limits`, "utf8");
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (m === null) throw new Error("/proc limits has no 'Max open files'");
  return m[1] === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

/** Executable name of a process, to check we measure the server and not a wrapper. */
export function processName(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
}

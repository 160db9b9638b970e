/**
 * Small files that must never be seen half-written (stream and consumer config, consumer
 * state): write a temp file beside the target, fsync it, rename it over the target. A crash
 * leaves either the old or the new content, never a torn mix.
 */
import fs from "node:fs";

export function writeFileAtomicSync(filePath: string, content: string | Uint8Array): void {
  const tempPath = `${filePath}.tmp`;
  const fd = fs.openSync(tempPath, "w");
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tempPath, filePath);
}

/** Parses a JSON file; undefined when it is missing or unreadable (a partial directory, say). */
export function readJsonFile(filePath: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(filePath, "utf8");
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Names become directory names: refuse anything that could leave the store directory. */
export function assertSafeName(kind: string, name: string): void {
  if (name === "" || name === "." || name === ".." || /[/\\\0]/.test(name)) {
    throw new Error(`invalid ${kind} name for the file store: ${JSON.stringify(name)}`);
  }
}

/**
 * `require()` for what loads on first use rather than at import (optional packages, built-ins
 * only some options need, CommonJS packages). The require function itself is made on the first
 * call: `createRequire()` at the top of modules loaded at import measured megabytes of RSS.
 * Resolves from the package's own location, so its dependencies are found wherever it is
 * installed.
 */
let requireFromHere: NodeJS.Require | undefined;

export function requireOnUse(id: string): unknown {
  requireFromHere ??= process.getBuiltinModule("node:module").createRequire(import.meta.url);
  return requireFromHere(id);
}

/**
 * Builds dist/ from nothing: tsc writes the declarations, esbuild the code.
 *
 * Two formats, because CommonJS consumers cannot all load an ES module: Node 22.12+ can
 * `require()` one, but Jest's CommonJS runtime cannot on any Node line. So:
 * - dist/*.js: ES modules with split chunks, so that what is not configured is not loaded; the
 *   config-file reader is its own entry (dist/config.js), loaded on first use (below);
 * - dist/cjs/*.js: one CommonJS bundle, whose `testing` entry requires the same bundle's
 *   index, so a CommonJS process holds one copy of the broker's classes, not two.
 * dist/cjs/ carries its own package.json ("type": "commonjs") and a copy of the declarations,
 * so TypeScript reads them as CommonJS there (node16 resolution checks that the two agree).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { build, type Plugin } from "esbuild";

const root = join(import.meta.dirname, "..");
const dist = join(root, "dist");
const cjs = join(dist, "cjs");

// Chunk names carry a content hash: a build over an old dist/ would pack stale chunks.
rmSync(dist, { recursive: true, force: true });

const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--emitDeclarationOnly"], {
  cwd: root,
  stdio: "inherit",
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const common = {
  bundle: true,
  platform: "node",
  target: "node22",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
  absWorkingDir: root,
} as const;

/**
 * The config-file reader is a fifth of the code an import would load, and most programs never
 * read a file. Its functions are synchronous (`createServer({ configFile })` too), so an
 * `import()` cannot defer it; `require()` of an ES module can (Node 22.12+, Deno, Bun). In the
 * ES build, the package's entry and the server reach the reader through small functions that
 * load dist/config.js on first call. `ConfigError` stays a static import: both sides share its
 * chunk, so `instanceof` holds. (Sources and the CommonJS bundle load the reader as written.)
 */
const lazyConfigReader: Plugin = {
  name: "lazy-config-reader",
  setup(b) {
    const callers = new Set([join(root, "src", "index.ts"), join(root, "src", "server", "server.ts")]);
    b.onResolve({ filter: /\/config\/(index|load)\.ts$/ }, (args) => (callers.has(args.importer) ? { path: "config-reader", namespace: "lazy-config" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "lazy-config" }, () => ({
      resolveDir: join(root, "src", "config"),
      loader: "js",
      contents: [
        `import { createRequire } from "node:module";`,
        `export { ConfigError } from "./config-error.ts";`,
        `let reader;`,
        `const load = () => (reader ??= createRequire(import.meta.url)("./config.js"));`,
        `export function loadConfigFile(...args) { return load().loadConfigFile(...args); }`,
        `export function parseConfig(...args) { return load().parseConfig(...args); }`,
        `export function parseConfigFile(...args) { return load().parseConfigFile(...args); }`,
      ].join("\n"),
    }));
  },
};

await build({
  ...common,
  entryPoints: { index: "src/index.ts", testing: "src/testing.ts", cli: "src/cli.ts", config: "src/config/index.ts" },
  format: "esm",
  splitting: true,
  outdir: dist,
  plugins: [lazyConfigReader],
});

// In the CommonJS bundle, testing.ts's import of the server resolves to the index bundle.
const testingUsesIndex: Plugin = {
  name: "testing-uses-index",
  setup(b) {
    b.onResolve({ filter: /^\.\/server\/server\.ts$/ }, (args) =>
      args.importer.endsWith(join("src", "testing.ts")) ? { path: "./index.js", external: true } : undefined,
    );
  },
};

await build({
  ...common,
  entryPoints: ["src/index.ts", "src/testing.ts"],
  format: "cjs",
  outdir: cjs,
  plugins: [testingUsesIndex],
  // createRequire(import.meta.url) is how the ES build loads optional packages lazily.
  define: { "import.meta.url": "__nats_embedded_module_url" },
  banner: { js: `"use strict";\nconst __nats_embedded_module_url = require("node:url").pathToFileURL(__filename).href;` },
});

writeFileSync(join(cjs, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
for (const file of declarationFiles(dist)) {
  const target = join(cjs, relative(dist, file));
  mkdirSync(join(target, ".."), { recursive: true });
  cpSync(file, target);
}

function* declarationFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === cjs) continue;
    if (statSync(path).isDirectory()) yield* declarationFiles(path);
    else if (name.endsWith(".d.ts")) yield path;
  }
}

/**
 * Builds dist/ from nothing: tsc writes the declarations, esbuild the code.
 *
 * Two formats, because CommonJS consumers cannot all load an ES module: Node 22.12+ can
 * `require()` one, but Jest's CommonJS runtime cannot on any Node line. So:
 * - dist/*.js: ES modules with split chunks, so that what is not configured is not loaded;
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

await build({
  ...common,
  entryPoints: ["src/index.ts", "src/testing.ts", "src/cli.ts"],
  format: "esm",
  splitting: true,
  outdir: dist,
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

/**
 * Builds dist/ from nothing: tsc writes the declarations, esbuild the code.
 *
 * Two formats, because CommonJS consumers cannot all load an ES module: Node 22.12+ can
 * `require()` one, but Jest's CommonJS runtime cannot on any Node line. So:
 * - dist/*.js: ES modules with split chunks, so that what is not configured is not loaded; the
 *   config-file reader and the monitoring computations are entries of their own, loaded on
 *   first use (below);
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
 * Parts whose functions are synchronous but that most programs never call: the config-file
 * reader (a fifth of the code an import would compile; `createServer({ configFile })` is
 * synchronous too), the monitoring computations (`server.varz()`, `connz()`, ...; the
 * monitoring port loads them anyway), operator mode and the auth callout (built by
 * `createServer()` when configured). An `import()` cannot defer them; `require()` of an ES
 * module can (Node 22.12+, Deno, Bun). So in the ES build each is an entry of its own, and the
 * modules named in `callers` reach it through small functions that require it on first call.
 * What must stay one class for `instanceof` (`ConfigError`) stays a static import: both sides
 * share its chunk. Sources and the CommonJS bundle load these parts as written.
 */
interface LazyPart {
  entry: string;
  source: string;
  /** Imports of `source` from these files go through the wrappers. */
  callers: string[];
  functions: string[];
  /** Constructed with `new`: the wrapper returns the real class's instance (no `instanceof` on the wrapper). */
  classes?: string[];
  staticExports?: string;
}
const LAZY_PARTS: LazyPart[] = [
  {
    entry: "config",
    source: "src/config/index.ts",
    callers: ["src/index.ts:./config/index.ts", "src/server/server.ts:../config/load.ts"],
    functions: ["loadConfigFile", "parseConfig", "parseConfigFile"],
    staticExports: `export { ConfigError } from ${JSON.stringify(join(root, "src/config/config-error.ts"))};`,
  },
  {
    entry: "monitor",
    source: "src/monitor/index.ts",
    callers: ["src/server/server.ts:../monitor/index.ts"],
    functions: ["varz", "connz", "subsz", "jsz", "routez", "leafz", "healthz", "accountz", "accstatz"],
  },
  {
    entry: "operator",
    source: "src/auth/operator.ts",
    callers: ["src/server/server.ts:../auth/operator.ts"],
    functions: [],
    classes: ["TrustedOperators", "OperatorAuthenticator"],
  },
  {
    entry: "auth-callout",
    source: "src/auth/auth-callout.ts",
    callers: ["src/auth/authenticator.ts:./auth-callout.ts"],
    functions: ["calloutTimeout", "checkCalloutOptions"],
    classes: ["AuthCallout"],
  },
];

const lazyParts: Plugin = {
  name: "lazy-parts",
  setup(b) {
    const byImport = new Map<string, LazyPart>();
    for (const part of LAZY_PARTS) {
      for (const caller of part.callers) {
        const [file, specifier] = caller.split(":") as [string, string];
        byImport.set(`${join(root, file)}\0${specifier}`, part);
      }
    }
    b.onResolve({ filter: /\.ts$/ }, (args) => {
      const part = byImport.get(`${args.importer}\0${args.path}`);
      return part === undefined ? undefined : { path: part.entry, namespace: "lazy-part" };
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-part" }, (args) => {
      const part = LAZY_PARTS.find((p) => p.entry === args.path)!;
      const lines = [
        part.staticExports ?? "",
        `let loaded;`,
        // Not \`import … from "node:module"\`: that import alone measured 4 MB more RSS at import.
        `const load = () => (loaded ??= process.getBuiltinModule("node:module").createRequire(import.meta.url)("./${part.entry}.js"));`,
        ...part.functions.map((name) => `export function ${name}(...args) { return load().${name}(...args); }`),
        ...(part.classes ?? []).map((name) => `export function ${name}(...args) { return new (load().${name})(...args); }`),
      ];
      return { contents: lines.join("\n"), loader: "js", resolveDir: root };
    });
  },
};

await build({
  ...common,
  entryPoints: { index: "src/index.ts", testing: "src/testing.ts", cli: "src/cli.ts", ...Object.fromEntries(LAZY_PARTS.map((p) => [p.entry, p.source])) },
  format: "esm",
  splitting: true,
  outdir: dist,
  plugins: [lazyParts],
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

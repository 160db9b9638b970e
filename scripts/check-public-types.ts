/**
 * Checks the typings users get: emits the declarations as `npm run build` does (stripInternal
 * included) into .scratch/, then fails when a type that the public entry points (index,
 * testing) name is not itself exported from them (api-extractor's "forgotten export"), or when
 * the emitted declarations do not compile with skipLibCheck off, as a strict user compiles them.
 *
 *   tsx scripts/check-public-types.ts
 */
import { rmSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, ".scratch", "public-types");
const entries = ["index.d.ts", "testing.d.ts"].map((f) => path.join(out, f));

function report(diagnostics: readonly ts.Diagnostic[]): boolean {
  if (diagnostics.length === 0) return false;
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
  console.error(ts.formatDiagnostics(diagnostics, host));
  return true;
}

// 1. The declarations, as the build emits them.
rmSync(out, { recursive: true, force: true });
const config = ts.getParsedCommandLineOfConfigFile(
  path.join(root, "tsconfig.build.json"),
  { outDir: out, emitDeclarationOnly: true, sourceMap: false, declarationMap: false },
  { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => report([d]) },
);
if (config === undefined) process.exit(1);
const emitted = ts.createProgram(config.fileNames, config.options).emit();
if (report(emitted.diagnostics)) process.exit(1);

// 2. They compile for a user with skipLibCheck off.
const program = ts.createProgram(entries, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  noEmit: true,
  skipLibCheck: false,
  types: ["node"],
});
let failed = report(ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || d.file.fileName.startsWith(out)));

// 3. Every type they name is exported.
const checker = program.getTypeChecker();
const resolve = (s: ts.Symbol | undefined): ts.Symbol | undefined => (s !== undefined && s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
const exported = new Set<ts.Symbol>();
for (const entry of entries) {
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  for (const s of checker.getExportsOfModule(module)) {
    const target = resolve(s)!;
    exported.add(target);
    // `export type HandleOptions = ConnectionInfo`: the alias is a name for its target.
    for (const d of target.declarations ?? []) {
      if (ts.isTypeAliasDeclaration(d) && ts.isTypeReferenceNode(d.type) && d.type.typeArguments === undefined) {
        const aliased = resolve(checker.getSymbolAtLocation(d.type.typeName));
        if (aliased !== undefined) exported.add(aliased);
      }
    }
  }
}

const missing = new Map<string, Set<string>>();
const visited = new Set<ts.Symbol>();

function isPrivate(node: ts.Node): boolean {
  if (ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) return true;
  const name = (node as { name?: ts.Node }).name;
  return name !== undefined && ts.isPrivateIdentifier(name);
}

function referenced(node: ts.Node): ts.Symbol | undefined {
  let at: ts.Node | undefined;
  if (ts.isTypeReferenceNode(node)) at = node.typeName;
  else if (ts.isExpressionWithTypeArguments(node)) at = node.expression;
  else if (ts.isTypeQueryNode(node)) at = node.exprName;
  else if (ts.isImportTypeNode(node)) at = node.qualifier;
  if (at === undefined) return undefined;
  return resolve(checker.getSymbolAtLocation(ts.isQualifiedName(at) ? at.right : at));
}

function walk(node: ts.Node, owner: string): void {
  if (isPrivate(node)) return;
  const symbol = referenced(node);
  if (symbol !== undefined && !(symbol.flags & ts.SymbolFlags.TypeParameter) && !exported.has(symbol)) {
    const file = symbol.declarations?.[0]?.getSourceFile().fileName ?? "";
    // tsc writes `declare const X_base: …` for `class X extends <expression>`: users never
    // name it, so only what its type names is checked.
    const synthesizedBase = (symbol.flags & ts.SymbolFlags.Variable) !== 0 && symbol.name.endsWith("_base");
    if (file.startsWith(out) && synthesizedBase) visit(symbol);
    else if (file.startsWith(out)) {
      const key = `${symbol.name} (${path.relative(out, file).replace(/\.d\.ts$/, ".ts")})`;
      if (!missing.has(key)) missing.set(key, new Set());
      missing.get(key)!.add(owner);
      visit(symbol);
    }
  }
  ts.forEachChild(node, (child) => walk(child, owner));
}

function visit(symbol: ts.Symbol): void {
  if (visited.has(symbol)) return;
  visited.add(symbol);
  for (const d of symbol.declarations ?? []) walk(d, symbol.name);
}

for (const symbol of exported) visit(symbol);
if (missing.size > 0) {
  failed = true;
  console.error("Types the public API names but src/index.ts (or src/testing.ts) does not export:");
  for (const [name, owners] of missing) console.error(`  ${name}, named by ${[...owners].join(", ")}`);
}

rmSync(out, { recursive: true, force: true });
if (failed) process.exit(1);
console.log(`public types: ${exported.size} exported names, every type they name exported, declarations compile`);

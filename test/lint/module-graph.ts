/**
 * The module graph's two checks the per-file lint cannot make, run by `npm run lint`: no import cycle among
 * gateway/, adapters/ and schemas/ (type-only imports count: a type cycle ties two modules as much as a value
 * one), and no dead export (a value — constant, function, class — exported by one of them that no other module,
 * test included, imports; exported types, the vocabulary of signatures, are left to the reader).
 * Imports are resolved by TypeScript itself, with the project's tsconfig, so `.js` specifiers find their `.ts`.
 *
 * Why not eslint-plugin-import-x's `no-cycle` or knip: neither is installed here, and node_modules is shared
 * with the other worktrees; this script needs only `typescript`. Either can replace it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import * as z from 'zod';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const CHECKED = /^(gateway|adapters|schemas)\//;

interface ModuleInfo {
  /** Resolved imports (project files only), with the names each takes; '*' for a namespace or `export *`. */
  imports: Map<string, Set<string>>;
  exports: Set<string>;
}

function configOf(): ts.ParsedCommandLine {
  const file = join(ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(file, (path) => ts.sys.readFile(path));
  return ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT);
}

function moduleInfo(file: string, options: ts.CompilerOptions): ModuleInfo {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const imports = new Map<string, Set<string>>();
  const exports = new Set<string>();
  const take = (specifier: ts.Expression | undefined, names: string[]): void => {
    if (!specifier || !ts.isStringLiteral(specifier)) return;
    const resolved = ts.resolveModuleName(specifier.text, file, options, ts.sys).resolvedModule;
    if (!resolved || resolved.isExternalLibraryImport || !resolved.resolvedFileName.startsWith(ROOT)) return;
    const target = relative(ROOT, resolved.resolvedFileName);
    const set = imports.get(target) ?? new Set<string>();
    for (const name of names) set.add(name);
    imports.set(target, set);
  };
  const isExported = (node: ts.Node): boolean => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const names: string[] = [];
      if (clause?.name) names.push('default');
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.push('*');
      if (bindings && ts.isNamedImports(bindings)) for (const e of bindings.elements) names.push((e.propertyName ?? e.name).text);
      take(statement.moduleSpecifier, names);
    } else if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (!clause) take(statement.moduleSpecifier, ['*']);
      else if (ts.isNamedExports(clause)) {
        for (const e of clause.elements) if (!e.isTypeOnly && !statement.isTypeOnly) exports.add(e.name.text);
        take(statement.moduleSpecifier, clause.elements.map((e) => (e.propertyName ?? e.name).text));
      }
    } else if (ts.isExportAssignment(statement)) {
      exports.add('default');
    } else if (isExported(statement)) {
      if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name)) exports.add(d.name.text);
      } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) && statement.name) {
        exports.add(statement.name.text);
      }
    }
  }
  // import('…') in type positions and expressions ties modules too.
  const visit = (node: ts.Node): void => {
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) take(node.argument.literal, [node.qualifier && ts.isIdentifier(node.qualifier) ? node.qualifier.text : '*']);
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) take(node.arguments[0], ['*']);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, exports };
}

/** Strongly connected components of more than one module (Tarjan): each is a cycle. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) { connect(w); low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, indexOf.get(w) ?? 0));
    }
    if (low.get(v) !== indexOf.get(v)) return;
    const component: string[] = [];
    for (;;) {
      const w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!indexOf.has(v)) connect(v);
  return found;
}

export function moduleProblems(): { cycles: string[][]; deadExports: string[] } {
  const config = configOf();
  const files = config.fileNames.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const infos = new Map(files.map((f) => [relative(ROOT, f), moduleInfo(f, config.options)]));
  const checked = [...infos.keys()].filter((f) => CHECKED.test(f));
  const graph = new Map(checked.map((f) => [f, [...(infos.get(f)?.imports.keys() ?? [])].filter((t) => CHECKED.test(t))]));
  const used = new Map<string, Set<string>>();
  for (const [file, info] of infos) {
    for (const [target, names] of info.imports) {
      if (target === file) continue;
      const set = used.get(target) ?? new Set<string>();
      for (const name of names) set.add(name);
      used.set(target, set);
    }
  }
  const deadExports = checked.flatMap((file) => {
    const taken = used.get(file) ?? new Set<string>();
    if (taken.has('*')) return [];
    return [...(infos.get(file)?.exports ?? [])].filter((name) => !taken.has(name)).map((name) => `${file}: ${name}`);
  });
  return { cycles: cycles(graph), deadExports };
}

/**
 * What the tree held when this check came (issue 21): each entry is one module's debt, owned by the area that
 * is reworking it. The check fails on anything new, and on an entry that is gone (so the list only shrinks).
 */
const BASELINE = join(ROOT, 'test', 'lint', 'module-graph.baseline.json');
const baseline = z.object({ cycles: z.array(z.string()), deadExports: z.array(z.string()) });

if (process.argv[1] && import.meta.url.endsWith(relative(ROOT, process.argv[1]))) {
  const known = baseline.parse(JSON.parse(readFileSync(BASELINE, 'utf8')));
  const found = moduleProblems();
  const now = { cycles: found.cycles.map((c) => c.join(' ↔ ')), deadExports: found.deadExports };
  if (process.argv.includes('--write-baseline')) {
    writeFileSync(BASELINE, `${JSON.stringify(now, null, 2)}\n`);
  } else {
    const problems = [
      ...now.cycles.filter((c) => !known.cycles.includes(c)).map((c) => `import cycle: ${c}`),
      ...now.deadExports.filter((d) => !known.deadExports.includes(d)).map((d) => `dead export (no other module imports it): ${d}`),
      ...[...known.cycles, ...known.deadExports].filter((k) => !now.cycles.includes(k) && !now.deadExports.includes(k))
        .map((k) => `gone, so remove it from test/lint/module-graph.baseline.json: ${k}`),
    ];
    for (const problem of problems) process.stderr.write(`${problem}\n`);
    process.exitCode = problems.length > 0 ? 1 : 0;
  }
}

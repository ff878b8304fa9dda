/**
 * The import graph of a folder of modules, read with the TypeScript parser: every `import`,
 * `export … from`, `import()` and `import('…').T` of a relative module, type-only ones included
 * unless `runtimeOnly` (then `import type` and inline `type` specifiers are left out, as the
 * compiler erases them). Used by the repository's `test/imports.test.ts` to keep every package free
 * of import circles, and by `import-graph.test.ts` to keep `/driver` free of the portable layer.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

/** Module path (relative to the root, `/`-separated) → the modules it imports. */
export type ImportGraph = Map<string, Set<string>>

export function importGraph(root: string, options: { runtimeOnly?: boolean } = {}): ImportGraph {
  const graph: ImportGraph = new Map()
  for (const file of sourceFiles(root)) {
    const imports = new Set<string>()
    for (const specifier of importsOf(join(root, file), options.runtimeOnly ?? false)) {
      if (!specifier.startsWith('.')) continue
      imports.add(toModule(root, resolve(dirname(join(root, file)), specifier)))
    }
    graph.set(file, imports)
  }
  return graph
}

/** The import circles: each strongly connected set of modules (or a module importing itself), sorted. */
export function importCircles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const circles: string[][] = []
  let next = 0
  const visit = (module: string): void => {
    index.set(module, next)
    low.set(module, next++)
    stack.push(module)
    onStack.add(module)
    for (const target of graph.get(module) ?? []) {
      if (!graph.has(target)) continue
      if (!index.has(target)) {
        visit(target)
        low.set(module, Math.min(low.get(module)!, low.get(target)!))
      } else if (onStack.has(target)) {
        low.set(module, Math.min(low.get(module)!, index.get(target)!))
      }
    }
    if (low.get(module) !== index.get(module)) return
    const members: string[] = []
    let member: string
    do {
      member = stack.pop()!
      onStack.delete(member)
      members.push(member)
    } while (member !== module)
    if (members.length > 1 || graph.get(module)!.has(module)) circles.push(members.sort())
  }
  for (const module of graph.keys()) if (!index.has(module)) visit(module)
  return circles
}

/** Every module reachable from `entry` (itself included), sorted. */
export function reachable(graph: ImportGraph, entry: string): string[] {
  const seen = new Set<string>([entry])
  const queue = [entry]
  for (let module = queue.shift(); module !== undefined; module = queue.shift()) {
    for (const target of graph.get(module) ?? []) {
      if (!seen.has(target)) {
        seen.add(target)
        queue.push(target)
      }
    }
  }
  return [...seen].sort()
}

function sourceFiles(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[])
    .map((file) => file.split('\\').join('/'))
    .filter((file) => /\.[mc]?[tj]s$/.test(file) && !/\.(test|test-d|d)\.[mc]?[tj]s$/.test(file))
    .sort()
}

/**
 * `./x.js`, `./x.ts` and `./x` all name the module `x.ts` (or `x.js` in a folder of JavaScript);
 * `.mjs` and the like name themselves.
 */
function toModule(root: string, path: string): string {
  const module = relative(root, path).split('\\').join('/')
  return /\.[mc]?[tj]s$/.test(module) ? module : `${module}.js`
}

function importsOf(path: string, runtimeOnly: boolean): string[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!(runtimeOnly && isTypeOnlyImport(node))) found.push(node.moduleSpecifier.text)
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      if (!(runtimeOnly && isTypeOnlyExport(node))) found.push(node.moduleSpecifier.text)
    } else if (ts.isImportTypeNode(node) && !runtimeOnly) {
      const argument = node.argument
      if (ts.isLiteralTypeNode(argument) && ts.isStringLiteral(argument.literal))
        found.push(argument.literal.text)
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found.map((specifier) => specifier.replace(/\.js$/, path.endsWith('.ts') ? '.ts' : '.js'))
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause
  if (!clause) return false // `import './x.js'` runs the module
  if (clause.isTypeOnly) return true
  const bindings = clause.namedBindings
  return (
    clause.name === undefined &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((element) => element.isTypeOnly)
  )
}

function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true
  const clause = node.exportClause
  return (
    clause !== undefined &&
    ts.isNamedExports(clause) &&
    clause.elements.length > 0 &&
    clause.elements.every((element) => element.isTypeOnly)
  )
}

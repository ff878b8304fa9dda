import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The emulator's files import each other in one direction: no circle, type-only imports included
// (a type-only circle is still two files that cannot be read, or changed, one without the other),
// and none grows past 400 lines.

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

/** Each file's relative imports (static, dynamic and re-exports, `import type` too), as file names. */
function importsOf(files: Record<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  const specifier = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]\.\/([\w.-]+)\.js['"]/g
  for (const [name, text] of Object.entries(files)) {
    const targets = [...text.matchAll(specifier)].map((m) => `${m[1]}.ts`)
    graph.set(
      name,
      [...new Set(targets)].filter((target) => target in files),
    )
  }
  return graph
}

/** Every import circle, each as the files along it from its alphabetically first file. */
function circles(graph: Map<string, string[]>): string[][] {
  const found = new Map<string, string[]>()
  const walk = (path: string[]) => {
    for (const next of graph.get(path.at(-1)!) ?? []) {
      const at = path.indexOf(next)
      if (at >= 0) {
        const loop = path.slice(at)
        const first = loop.indexOf([...loop].sort()[0]!)
        const ordered = [...loop.slice(first), ...loop.slice(0, first)]
        found.set(ordered.join(' → '), ordered)
      } else walk([...path, next])
    }
  }
  for (const start of graph.keys()) walk([start])
  return [...found.values()]
}

const sources = Object.fromEntries(
  readdirSync(SRC)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
    .map((name) => [name, readFileSync(SRC + name, 'utf8')]),
)

describe('src imports', () => {
  it('form no circle, type-only imports included', () => {
    const graph = importsOf(sources)
    expect(graph.get('server.ts')).toContain('broker.ts') // the scanner sees imports at all
    expect(circles(graph).map((loop) => loop.join(' → '))).toEqual([])
  })

  it('are files of at most 400 lines: a longer one holds more than one concern', () => {
    const lines = Object.entries(sources).map(([name, text]) => [name, text.split('\n').length - 1] as const)
    expect(lines.length).toBeGreaterThan(20)
    expect(lines.filter(([, count]) => count > 400)).toEqual([])
  })

  it('the scanner finds a circle, through type-only and re-export imports alike', () => {
    const graph = importsOf({
      'a.ts': "import type { B } from './b.js'\n",
      'b.ts': "export { c } from './c.js'\n",
      'c.ts': "const a = await import('./a.js')\n",
      'd.ts': "import { a } from './a.js'\n",
    })
    expect(circles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']])
  })
})

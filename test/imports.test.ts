import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { importCircles, importGraph } from '../packages/queue-core/test/import-graph.js'

// Every package's `src/` imports in one direction: no circle, type-only imports included (a
// type-only circle is still two files that cannot be read, or changed, one without the other), and
// no file past 400 lines (a longer one holds more than one concern). queue-core's own test adds what
// only it promises (the contract imports nothing but types; `/driver` does not load the portable layer).

const PACKAGES = fileURLToPath(new URL('../packages/', import.meta.url))
const MAX_LINES = 400

const packages = readdirSync(PACKAGES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && readdirSync(join(PACKAGES, entry.name)).includes('src'))
  .map((entry) => entry.name)
  .sort()

describe('every package', () => {
  it('is found (the scan sees the workspace)', () => {
    expect(packages).toEqual(expect.arrayContaining(['queue-core', 'queue-local', 'servicebus-emulator']))
  })

  it.each(packages)('%s: src has no import circle, type-only imports included', (name) => {
    const graph = importGraph(join(PACKAGES, name, 'src'))
    expect(graph.size).toBeGreaterThan(0)
    expect(importCircles(graph)).toEqual([])
  })

  it.each(packages)(`%s: src files are at most ${MAX_LINES} lines`, (name) => {
    const src = join(PACKAGES, name, 'src')
    const long = [...importGraph(src).keys()]
      .map((file) => [file, readFileSync(join(src, file), 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > MAX_LINES)
    expect(long).toEqual([])
  })
})

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { importCircles, importGraph, reachable } from './import-graph.js'

const src = fileURLToPath(new URL('../src', import.meta.url))
const dist = fileURLToPath(new URL('../dist', import.meta.url))
const fixture = fileURLToPath(new URL('./fixtures/import-circle', import.meta.url))

/** The portable layer: what application code uses, and what a driver author never needs to load. */
const PORTABLE = [
  'client.js',
  'consumer.js',
  'dead-letters.js',
  'decode.js',
  'index.js',
  'open-url.js',
  'outgoing.js',
  'queue.js',
  'topic.js',
  'tracing.js',
]

describe('import graph', () => {
  it('finds a circle made of type-only imports (the check can fail)', () => {
    expect(importCircles(importGraph(fixture))).toEqual([['contract.ts', 'portable.ts']])
    expect(importCircles(importGraph(fixture, { runtimeOnly: true }))).toEqual([])
  })

  it('queue-core has no import circle, type-only imports included', () => {
    expect(importCircles(importGraph(src))).toEqual([])
  })

  it('the contract file imports nothing but types', () => {
    const runtime = importGraph(src, { runtimeOnly: true })
    expect([...runtime.get('contract.ts')!]).toEqual([])
  })

  it('/driver and /testing do not load the portable layer (the built dist files and what they import)', () => {
    expect(existsSync(`${dist}/driver.js`), 'build queue-core first').toBe(true)
    const graph = importGraph(dist)
    const loaded = reachable(graph, 'driver.js')
    expect(loaded.filter((module) => PORTABLE.includes(module))).toEqual([])
    expect(reachable(graph, 'testing.js').filter((module) => PORTABLE.includes(module))).toEqual([])
    // The same walk from the portable entry does reach the portable layer: the scan follows imports.
    expect(reachable(graph, 'index.js')).toEqual(expect.arrayContaining(PORTABLE))
  })
})

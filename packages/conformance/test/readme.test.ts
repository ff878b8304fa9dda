import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { cases } from '../src/cases/index.js'

// The README's promise → case table is the suite's claim: a case missing from it is a promise nobody
// reads about, and a row naming no case is a promise nobody proves.
test('the README table names every case, and only cases that exist', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const table = readme.slice(readme.indexOf('### Every promise'), readme.indexOf('### Stale handles'))
  const named = new Set([...table.matchAll(/\| `([a-z0-9-]+\.[a-z0-9-]+)` \|/g)].map((m) => m[1]))
  const ids = new Set(cases.map((c) => c.id))
  expect([...ids].filter((id) => !named.has(id))).toEqual([])
  expect([...named].filter((id) => !ids.has(id!))).toEqual([])
})

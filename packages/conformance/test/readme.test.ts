import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { cases } from '../src/cases/index.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The text of a README section: from its heading to the next heading of any level. */
function section(heading: string): string {
  const start = readme.indexOf(heading)
  if (start < 0) throw new Error(`the README has no heading "${heading}"`)
  const end = readme.indexOf('\n#', start + heading.length)
  return readme.slice(start, end < 0 ? undefined : end)
}

describe('the promise table', () => {
  // The README's promise → case table is the suite's claim: a case missing from it is a promise nobody
  // reads about, a row naming no case is a promise nobody proves, and a case in two rows is a promise
  // stated twice, in words that drift apart.
  const table = section('### Every promise')
  const named = [...table.matchAll(/\| `([a-z0-9-]+\.[a-z0-9-]+)` \|/g)].map((m) => m[1]!)

  test('names every case, and only cases that exist', () => {
    const ids = new Set(cases.map((c) => c.id))
    expect([...ids].filter((id) => !named.includes(id))).toEqual([])
    expect(named.filter((id) => !ids.has(id))).toEqual([])
  })

  test('names each case in one row only', () => {
    expect(named.filter((id, i) => named.indexOf(id) !== i)).toEqual([])
  })
})

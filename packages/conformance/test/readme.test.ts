import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { skipReason } from '../src/case.js'
import { cases } from '../src/cases/index.js'
import { sendThroughDriver } from '../src/foreign-producer.js'
import type { ConformanceTarget } from '../src/target.js'
import { SkeletonDriver } from './fixtures/skeleton-driver.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const skeletonPath = fileURLToPath(new URL('./fixtures/skeleton-driver.ts', import.meta.url))

/** The text of a README section: from its heading to the next heading of any level. */
function section(heading: string): string {
  const start = readme.indexOf(heading)
  if (start < 0) throw new Error(`the README has no heading "${heading}"`)
  const end = readme.indexOf('\n#', start + heading.length)
  return readme.slice(start, end < 0 ? undefined : end)
}

/** Line endings and trailing blanks aside, the text as a reader sees it. */
const normalise = (text: string) =>
  text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim()

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

describe('the skeleton driver', () => {
  // The prose that introduces it: from "A complete driver" to the code.
  const start = readme.indexOf('A complete driver')
  const paragraph = readme.slice(start, readme.indexOf('```', start))

  test('the README quotes test/fixtures/skeleton-driver.ts whole, word for word', () => {
    const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
      .map((m) => m[1]!)
      .filter((code) => code.includes('class SkeletonDriver'))
    expect(blocks).toHaveLength(1)
    expect(normalise(blocks[0]!)).toBe(normalise(readFileSync(skeletonPath, 'utf8')))
  })

  // What the README says the skeleton skips is what the suite skips: every skip is declared as data
  // (`requires`), so the whole list is known without running a case.
  test('the README names every case it skips, and only those', () => {
    const driver = new SkeletonDriver()
    const skipped = (target: ConformanceTarget) =>
      cases.filter((c) => skipReason(c, driver.capabilities, target) !== undefined).map((c) => c.id)
    const named = [...paragraph.matchAll(/`([a-z0-9-]+)\.([a-z0-9-]+|\*)`/g)].flatMap(([, area, rest]) =>
      rest === '*' ? cases.filter((c) => c.id.startsWith(`${area}.`)).map((c) => c.id) : [`${area}.${rest}`],
    )
    expect(new Set(named)).toEqual(new Set(skipped({ name: 'skeleton', open: () => driver })))
    // With a foreign producer only the case that needs bodies that are not UTF-8 stays skipped, and
    // the README says that one by name.
    const withProducer = skipped({ name: 'skeleton', open: () => driver, sendForeign: sendThroughDriver })
    expect(withProducer.filter((id) => id.startsWith('foreign.'))).toEqual(['foreign.invalid-utf8'])
    expect(paragraph).toMatch(/sendForeign: sendThroughDriver[^.]*only `foreign\.invalid-utf8`/)
  })

  // Nothing else in CI type-checks the test folder, and a skeleton that does not compile is the first
  // thing a new driver author meets. Checked with the package's own compiler options.
  // A whole TypeScript program: 90 s on a loaded 2-core machine, so the timeout leaves room for more.
  test('type-checks under the package’s compiler options', { timeout: 240_000 }, async () => {
    const ts = (await import('typescript')).default
    const configPath = fileURLToPath(new URL('../tsconfig.json', import.meta.url))
    const config = ts.getParsedCommandLineOfConfigFile(
      configPath,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
        },
      },
    )
    const program = ts.createProgram({
      rootNames: [skeletonPath],
      options: { ...config!.options, noEmit: true },
    })
    const errors = ts.getPreEmitDiagnostics(program).map((d) => {
      const where =
        d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined
      return `${d.file?.fileName ?? ''}${where ? `:${where.line + 1}` : ''} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`
    })
    expect(errors).toEqual([])
  })
})

test('the README says where sendThroughDriver comes from', () => {
  expect(section('### Foreign messages')).toContain(
    "import { sendThroughDriver } from '@anyqueue/conformance'",
  )
})

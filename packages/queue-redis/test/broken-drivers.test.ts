/**
 * A suite that passes a broken driver proves nothing: each broken Redis driver (`broken-scripts.ts`)
 * must fail the cases that state the promise it breaks, and the same wrapper unbroken must pass them.
 */
import { type CaseResult, runConformance, selectCases } from '@anyqueue/conformance'
import {
  type Backend,
  type RedisConnection,
  redisBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { breakages, brokenTarget } from './broken-scripts.js'

let backend: Backend<RedisConnection>
beforeAll(async () => {
  backend = await resolveBackend(redisBackend, { log: false })
}, 120_000)
afterAll(() => backend?.stop())

const allMustFail = [...new Set(breakages.flatMap((b) => b.mustFail))]
const failed = (results: CaseResult[]) => results.filter((r) => r.status === 'failed').map((r) => r.id)

describe.concurrent('the suite catches broken Redis drivers', () => {
  test('control: the wrapper unbroken passes every case the broken drivers must fail', {
    timeout: 300_000,
  }, async () => {
    const results = await runConformance(
      brokenTarget(backend.connection.url, { name: 'control', mustFail: [] }),
      {
        cases: selectCases(allMustFail),
      },
    )
    expect(results.map((r) => r.id).sort()).toEqual([...allMustFail].sort())
    expect(failed(results)).toEqual([])
  })

  for (const breakage of breakages.filter((b) => !b.gap)) {
    test(breakage.name, { timeout: 300_000 }, async () => {
      const results = await runConformance(brokenTarget(backend.connection.url, breakage), {
        cases: selectCases(breakage.mustFail),
      })
      expect(failed(results).sort()).toEqual([...breakage.mustFail].sort())
    })
  }
})

/**
 * A suite that passes a broken driver proves nothing. Each driver of `broken-drivers/` breaks one
 * promise of the contract on top of the real local driver; the cases that state that promise must
 * fail it. Only those cases run per driver, so the file stays fast; `ANYQUEUE_BROKEN_FULL=1` runs the
 * whole suite on every broken driver instead and prints every case that failed (the kill-rate table).
 */
import { rmSync } from 'node:fs'
import { type CaseResult, runConformance, selectCases } from '@anyqueue/conformance'
import { afterAll, describe, expect, test } from 'vitest'
import {
  type BrokenDriver,
  backendErrorCases,
  backendErrorsControl,
  broken,
  brokenDrivers,
  prove,
  root,
} from './broken-drivers/drivers.js'

afterAll(() => rmSync(root, { recursive: true, force: true }))

const FULL = process.env.ANYQUEUE_BROKEN_FULL === '1'

/** Whole-suite runs at once in full mode: each is a suite's worth of stores and timers. */
const FULL_AT_ONCE = 6
let running = 0
const waiting: Array<() => void> = []
async function slot<R>(run: () => Promise<R>): Promise<R> {
  if (running >= FULL_AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve))
  running++
  try {
    return await run()
  } finally {
    running--
    waiting.shift()?.()
  }
}

const ids = (entry: BrokenDriver) =>
  typeof entry.mustFail === 'string' ? [entry.mustFail] : [...entry.mustFail]
const failures = (results: CaseResult[]) => results.filter((r) => r.status === 'failed')
const line = (r: CaseResult) => `${r.id}: ${r.reason}`

describe.concurrent('the suite catches broken drivers', () => {
  // The same wrapper with nothing broken must pass, or the failures below prove nothing.
  test('control: the wrapper alone passes every case', { timeout: 300_000 }, async () => {
    const results = await runConformance(
      broken('control', () => ({})),
      { concurrency: 12 },
    )
    expect(failures(results).map(line)).toEqual([])
    expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(50)
  })

  test('control: the backend-errors wrapper, classifying correctly, passes its cases', {
    timeout: 300_000,
  }, async () => {
    const results = await runConformance(backendErrorsControl.driver, {
      cases: selectCases(backendErrorCases),
      concurrency: backendErrorCases.length,
    })
    expect(results.map((r) => r.id).sort()).toEqual([...backendErrorCases].sort())
    expect(failures(results).map(line)).toEqual([])
  })

  // A survivor is a gap only if its bug is real: each proves it misbehaves, through the portable API.
  for (const entry of brokenDrivers.filter((e) => e.gap)) {
    test(`${entry.name}: the bug is real`, { timeout: 300_000 }, () => prove(entry))
  }

  for (const entry of brokenDrivers) {
    // A gap: no case states the promise yet, so the driver survives and the test is expected to fail.
    const run = entry.gap ? test.fails : test
    run(entry.name, { timeout: FULL ? 3_600_000 : 300_000 }, async ({ annotate }) => {
      const mustFail = ids(entry)
      const cases = FULL ? undefined : selectCases(mustFail)
      expect(cases?.length ?? mustFail.length, `unknown case ids in ${mustFail.join(', ')}`).toBe(
        mustFail.length,
      )
      const go = () =>
        runConformance(entry.driver, { ...(cases ? { cases } : {}), concurrency: FULL ? 8 : mustFail.length })
      const results = FULL ? await slot(go) : await go()
      const failed = failures(results)
      if (FULL)
        console.log(
          `BROKEN ${entry.name}${entry.gap ? ' (gap)' : ''} | ${failed.map((r) => r.id).join(', ') || '— survived'}`,
        )
      for (const r of failed) await annotate(line(r))
      if (entry.gap) await annotate(`gap: ${entry.gap}`)
      // Only the named cases count: in full mode others fail too (lifecycle.recreated-is-new, today).
      const killed = failed.filter(
        (r) => mustFail.includes(r.id) && (entry.reason === undefined || entry.reason.test(r.reason ?? '')),
      )
      if (entry.gap) {
        // Expected to fail until a case states the promise: then this turns red, and the gap is closed.
        expect(killed.map(line), `${entry.name} was killed: the gap is closed`).not.toEqual([])
        return
      }
      expect(
        mustFail.filter((id) => !killed.some((r) => r.id === id)),
        `${entry.name} survived these cases`,
      ).toEqual([])
    })
  }
})

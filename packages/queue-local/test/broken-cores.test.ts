/**
 * A suite that passes a broken core proves nothing about the core. Each mutant in
 * ./broken-cores/mutants.ts is the built queue-core with one promise broken by one small patch; the
 * conformance CLI then runs, in a child whose module resolution loads the mutant for both the suite
 * and the local driver, and must fail the case(s) that state the promise.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, test } from 'vitest'
import {
  applyMutant,
  caseIds,
  copyCore,
  limiter,
  type Mutant,
  RUN_TIMEOUT_MS,
  register,
  runSuite,
  type SuiteRun,
} from './broken-cores/harness.js'
import { mutants } from './broken-cores/mutants.js'

/**
 * Children at once. Most of a run is waiting on leases and timers, not CPU, so a few share two cores
 * well; the slow kills start first so they overlap the rest.
 */
const POOL = Number(process.env.BROKEN_CORES_POOL ?? 6)
/**
 * A test's time limit counts from when vitest starts it, and every run starts at once to queue for
 * a slot: the n-th in line first waits for floor(n / POOL) waves of runs ahead of it. Each run is
 * ended by its own limit (RUN_TIMEOUT_MS, from when its child starts), so the test's limit covers
 * the waves ahead of it and its own, plus a minute for copying cores: a slow machine makes the file
 * take longer, never makes a test time out while it waits its turn.
 */
let queued = 0
const timeoutInLine = () => (Math.floor(queued++ / POOL) + 1) * RUN_TIMEOUT_MS + 60_000

const root = mkdtempSync(join(tmpdir(), 'anyqueue-broken-cores-'))
// A hundred-odd copies of the core and their stores: removed without blocking, and given time on a
// loaded machine (the default 10 s hook timeout is not enough there).
afterAll(() => rm(root, { recursive: true, force: true }), 120_000)
const slot = limiter(POOL)

/** Copies the core into its own folder, applies `mutant` (if any) and runs `cases` over it. */
async function runOver(name: string, mutant: Mutant | undefined, cases: readonly string[]) {
  const dist = copyCore(join(root, name, 'core'))
  if (mutant) applyMutant(dist, mutant) // throws "no longer applies" before any child starts
  return slot(() => runSuite(dist, cases, join(root, name, 'stores')))
}

function explain(run: SuiteRun): string {
  return `exit ${run.code}\n${run.stdout.slice(-4_000)}\n${run.stderr.slice(-2_000)}`
}

describe('broken cores: the conformance suite fails every core that breaks one promise', () => {
  test('the resolution hook loads the copied core in place of the built one', async () => {
    const dist = copyCore(join(root, 'hook-check', 'core'))
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        register,
        '--input-type=module',
        '-e',
        "console.log(import.meta.resolve('@anyqueue/queue-core'), import.meta.resolve('@anyqueue/queue-core/driver'))",
      ],
      { env: { ...process.env, ANYQUEUE_CORE_DIST: dist } },
    )
    expect(stdout.trim().split(' ')).toEqual([
      pathToFileURL(join(dist, 'index.js')).href,
      pathToFileURL(join(dist, 'driver.js')).href,
    ])
  })

  // A copy of the core per mutant: seconds each on a loaded machine.
  test('every mutant applies to the built core exactly once, and names its promise', {
    timeout: 300_000,
  }, () => {
    const names = new Set(mutants.map((m) => m.name))
    expect(names.size).toBe(mutants.length)
    expect(mutants.filter((m) => !m.gap).length).toBeGreaterThanOrEqual(22)
    for (const m of mutants) {
      expect(m.find, `${m.name}: a patch must change something`).not.toBe(m.replace)
      expect(caseIds(m).length, `${m.name}: which case must fail?`).toBeGreaterThan(0)
      expect(() => applyMutant(copyCore(join(root, 'apply-check', m.name)), m)).not.toThrow()
    }
  })

  test.concurrent('control: the same copy, unmutated, through the same hook passes every case a mutant must fail', {
    timeout: timeoutInLine(),
  }, async () => {
    const cases = [...new Set(mutants.flatMap(caseIds))]
    const run = await runOver('control', undefined, cases)
    for (const id of cases)
      expect(run.rows.get(id), `${id} on the unmutated core\n${explain(run)}`).toBe('pass')
    expect(run.code, explain(run)).toBe(0)
  })

  const slowFirst = [...mutants].sort(
    (a, b) => Number(b.slowKill !== undefined) - Number(a.slowKill !== undefined),
  )
  for (const mutant of slowFirst) {
    const cases = caseIds(mutant)
    if (mutant.gap) {
      // The suite lacks the check named by `gap`: assert the mutant still survives, so adding the
      // check turns this red and asks for the marker to be removed.
      test.concurrent(`survives (gap): ${mutant.name} — ${mutant.breaks}`, {
        timeout: timeoutInLine(),
      }, async () => {
        const run = await runOver(mutant.name, mutant, cases)
        expect(run.code, `the suite now kills ${mutant.name}: drop its gap marker\n${explain(run)}`).toBe(0)
      })
      continue
    }
    test.concurrent(`${mutant.name} — ${mutant.breaks}`, { timeout: timeoutInLine() }, async () => {
      const run = await runOver(mutant.name, mutant, cases)
      for (const id of cases)
        expect(run.rows.get(id), `${id} must fail ${mutant.name}\n${explain(run)}`).toBe('FAIL')
      expect(run.code, explain(run)).toBe(1)
    })
  }
})

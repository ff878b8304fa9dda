import { cases as allCases, type ConformanceCase } from './cases.js'
import { CaseContext, runId } from './context.js'
import type { ConformanceTarget } from './target.js'

export type CaseStatus = 'passed' | 'failed' | 'skipped'

export interface CaseResult {
  name: string
  status: CaseStatus
  /** Why it was skipped, or what failed. */
  reason?: string
  error?: unknown
  notes: string[]
  durationMs: number
}

export interface RunOptions {
  /** Run only these cases (default: all). */
  cases?: readonly ConformanceCase[]
  /** Cases run at once, each on its own store and queues. Default 8. */
  concurrency?: number
}

/** The default per-case time limit, given the driver's lease. */
export function caseTimeoutMs(testCase: ConformanceCase, leaseMs: number): number {
  return testCase.timeoutMs?.(leaseMs) ?? leaseMs * 2 + 30_000
}

/**
 * Runs one case against a target: opens a fresh client on the case's own store, checks the
 * capability gate, runs, and cleans up. Shared by the vitest binding and the plain runner.
 */
export async function runCase(
  target: ConformanceTarget,
  testCase: ConformanceCase,
  store: string,
): Promise<{ skipped?: string; notes: string[] }> {
  const ctx = await CaseContext.open(target, store)
  try {
    const skipped = testCase.skip?.(ctx.capabilities, target)
    if (skipped !== undefined) return { skipped, notes: [] }
    const timeout = caseTimeoutMs(testCase, ctx.leaseMs)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      testCase.run(ctx),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms`)), timeout)
      }),
    ]).finally(() => clearTimeout(timer))
    return { notes: ctx.notes }
  } finally {
    await ctx.dispose()
  }
}

/** Runs the suite without a test framework and returns one result per case. */
export async function runConformance(
  target: ConformanceTarget,
  options: RunOptions = {},
): Promise<CaseResult[]> {
  const selected = options.cases ?? allCases
  const id = runId()
  const results: CaseResult[] = new Array(selected.length)
  let next = 0
  const worker = async () => {
    while (next < selected.length) {
      const i = next++
      const testCase = selected[i]!
      const started = Date.now()
      try {
        const { skipped, notes } = await runCase(target, testCase, storeKey(i, id))
        results[i] = skipped
          ? {
              name: testCase.name,
              status: 'skipped',
              reason: skipped,
              notes,
              durationMs: Date.now() - started,
            }
          : { name: testCase.name, status: 'passed', notes, durationMs: Date.now() - started }
      } catch (error) {
        results[i] = {
          name: testCase.name,
          status: 'failed',
          reason: error instanceof Error ? error.message : String(error),
          error,
          notes: [],
          durationMs: Date.now() - started,
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker))
  return results
}

/** A per-case store key, also usable inside queue names. */
export function storeKey(caseIndex: number, id: string): string {
  return `c${String(caseIndex).padStart(2, '0')}${id}`
}

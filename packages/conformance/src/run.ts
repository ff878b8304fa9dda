import { createHash } from 'node:crypto'
import { type ConformanceCase, skipReason } from './case.js'
import { cases as allCases } from './cases/index.js'
import { CaseContext, runId } from './context.js'
import {
  type BackendTiming,
  probeBackend,
  type Slots,
  type TimingOptions,
  timingLine,
  UNSCALED,
} from './probe.js'
import type { ConformanceTarget } from './target.js'
import { Unjudgeable } from './timing.js'
import { assertCapabilitiesUnchanged, assertNoCapabilityChanges } from './traits.js'

export type CaseStatus = 'passed' | 'failed' | 'skipped'

export interface CaseResult {
  id: string
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
  /** Per-case time limit in ms, instead of each case's own (which is sized by the lease). */
  timeoutMs?: number
  /**
   * Timing set by hand instead of measured (see `BackendTiming`): `scale` multiplies every deadline
   * (the backend is then not probed), `concurrency` caps the cases at once.
   */
  timing?: TimingOptions
  /** Told what the probe measured before the cases run, with the report line. */
  onTiming?: (timing: BackendTiming, line: string) => void
}

/** The default per-case time limit, given the driver's lease and the backend's timing scale. */
export function caseTimeoutMs(testCase: ConformanceCase, leaseMs: number, scale = 1): number {
  return Math.round((testCase.timeoutMs?.(leaseMs) ?? leaseMs * 2 + 30_000) * scale)
}

/** How long a case's cleanup may take before the run goes on without it. */
const DISPOSE_LIMIT_MS = 10_000

/** The error of a case that ran out of time. */
export class CaseTimeoutError extends Error {
  constructor(ms: number) {
    super(`timed out after ${Math.round(ms / 1000)} s`)
    this.name = 'CaseTimeoutError'
  }
}

/** A failed case: which promise broke (the case's name), then what was observed. */
export class CaseFailure extends Error {
  constructor(testCase: ConformanceCase, cause: unknown) {
    const observed = cause instanceof Error ? cause.message : String(cause)
    super(`broke "${testCase.name}": ${observed}`, { cause })
    this.name = 'CaseFailure'
    if (cause instanceof Error && cause.stack)
      this.stack = `${this.name}: ${this.message}\n${cause.stack.split('\n').slice(1).join('\n')}`
  }
}

/**
 * Runs one case against a target: opens a fresh client on the case's own store, checks the
 * requirements, runs it within its time limit, checks the traits every case must keep, and cleans up
 * whatever the case started — whether it passed, failed or timed out. Shared by the vitest binding
 * and the plain runner.
 */
export async function runCase(
  target: ConformanceTarget,
  testCase: ConformanceCase,
  store: string,
  options: { timeoutMs?: number; timing?: BackendTiming; slots?: Slots } = {},
): Promise<{ skipped?: string; notes: string[] }> {
  // The time limit starts once the case has its slot, not while it waits for one.
  if (options.slots)
    return options.slots.run(() => runCase(target, testCase, store, { ...options, slots: undefined }))
  const timing = options.timing ?? UNSCALED
  const ctx = await CaseContext.open(target, store, timing)
  try {
    const before = structuredClone(ctx.capabilities)
    const skipped = skipReason(testCase, before, target)
    if (skipped !== undefined) return { skipped, notes: [] }
    const timeout = options.timeoutMs ?? caseTimeoutMs(testCase, ctx.leaseMs, timing.scale)
    let timer: NodeJS.Timeout | undefined
    const unjudged = await Promise.race([
      testCase.run(ctx),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          const error = new CaseTimeoutError(timeout)
          ctx.abort(error)
          reject(error)
        }, timeout)
      }),
    ])
      .then(
        () => undefined,
        (error: unknown) => {
          // Every sample inconclusive: the backend was too slow for what the case needs to see.
          if (error instanceof Unjudgeable) return error.message
          throw new CaseFailure(testCase, error)
        },
      )
      .finally(() => clearTimeout(timer))
    if (unjudged !== undefined) return { skipped: unjudged, notes: ctx.notes }
    try {
      assertCapabilitiesUnchanged(before, ctx.capabilities)
      assertNoCapabilityChanges(ctx.driver.capabilityChanges)
    } catch (error) {
      throw new CaseFailure(testCase, error)
    }
    return { notes: ctx.notes }
  } finally {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      ctx.dispose(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, DISPOSE_LIMIT_MS)
      }),
    ]).finally(() => clearTimeout(timer))
  }
}

/** Runs the suite without a test framework and returns one result per case. */
export async function runConformance(
  target: ConformanceTarget,
  options: RunOptions = {},
): Promise<CaseResult[]> {
  const selected = options.cases ?? allCases
  const id = runId()
  const timing = await probeBackend(target, `probe-${id}`, options.timing)
  options.onTiming?.(timing, timingLine(target.name, timing))
  const results: CaseResult[] = new Array(selected.length)
  let next = 0
  const worker = async () => {
    while (next < selected.length) {
      const testCase = selected[next++]!
      const started = Date.now()
      const result = { id: testCase.id, name: testCase.name, notes: [] as string[] }
      try {
        const { skipped, notes } = await runCase(target, testCase, storeKey(testCase, id), {
          timeoutMs: options.timeoutMs,
          timing,
        })
        results[selected.indexOf(testCase)] = skipped
          ? { ...result, status: 'skipped', reason: skipped, durationMs: Date.now() - started }
          : { ...result, status: 'passed', notes, durationMs: Date.now() - started }
      } catch (error) {
        results[selected.indexOf(testCase)] = {
          ...result,
          status: 'failed',
          reason: describeFailure(error),
          error,
          durationMs: Date.now() - started,
        }
      }
    }
  }
  const workers = Math.max(1, Math.min(options.concurrency ?? 8, timing.concurrency))
  await Promise.all(Array.from({ length: workers }, worker))
  return results
}

/** One line for the matrix: what broke, as the case worded it. */
export function describeFailure(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.split('\n')[0]!
}

/**
 * A per-case store key, also usable inside queue names: a short form of the case id and the run id,
 * so two runs, or two cases, never share a store.
 */
export function storeKey(testCase: ConformanceCase, id: string): string {
  const slug = testCase.id
    .replace(/[^A-Za-z0-9]+/g, '-')
    .slice(0, 16)
    .replace(/-$/, '')
  const hash = createHash('sha256').update(testCase.id).digest('hex').slice(0, 4)
  return `${slug}-${hash}${id}`
}

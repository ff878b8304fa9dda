import { QueueClient } from '@anyqueue/queue-core'
import type { QueueDriver } from '@anyqueue/queue-core/driver'
import { afterAll, describe, expect, test } from 'vitest'
import { startFaultProxy } from './backends/proxy.js'
import { type Backend, type BackendSpec, inCI, resolveBackend } from './backends/resolve.js'
import type { ConformanceCase } from './case.js'
import { cases as allCases } from './cases/index.js'
import { runId } from './context.js'
import { assertOutageReport, outageScenario } from './faults.js'
import { TIMING_ANNOTATION } from './format.js'
import {
  type BackendTiming,
  MAX_SCALE,
  probeBackend,
  Slots,
  type TimingOptions,
  timingLine,
} from './probe.js'
import { caseTimeoutMs, runCase, storeKey } from './run.js'
import type { ConformanceTarget } from './target.js'

export interface SuiteOptions {
  /** Run only these cases (default: all). */
  cases?: readonly ConformanceCase[]
  /**
   * The lease the target's driver uses, in seconds, to size time limits before any driver is
   * opened. Default 30.
   */
  leaseSeconds?: number
  /** The describe name when `target` is a function. Default `conformance`. */
  name?: string
  /**
   * Timing set by hand instead of measured: `scale` multiplies every deadline (the backend is then
   * not probed), `concurrency` caps the cases at once. `ANYQUEUE_CONFORMANCE_SCALE` and
   * `ANYQUEUE_CONFORMANCE_CONCURRENCY` set the same for every suite.
   */
  timing?: TimingOptions
}

/**
 * How long a case may wait for its slot before vitest gives up on it: its own time limit only starts
 * once it has one (a backstop; the suite's own limit ends a case long before).
 */
const SLOT_WAIT_MS = 30 * 60_000

/**
 * Registers the conformance suite for one driver: `describe(target.name)` with one test per case,
 * run concurrently. A case the driver's capabilities rule out is reported as skipped with its reason.
 *
 *   conformanceSuite({ name: 'my-driver', open: (store) => createMyDriver({ … }) })
 *
 * Pass a function to resolve the target lazily (e.g. after starting an emulator); return a string
 * instead of a target to skip the whole suite with that reason.
 */
export function conformanceSuite(
  target: ConformanceTarget | (() => Promise<ConformanceTarget | string>),
  options: SuiteOptions = {},
): void {
  const selected = options.cases ?? allCases
  const leaseMs = (options.leaseSeconds ?? 30) * 1000
  const id = runId()
  const name = typeof target === 'function' ? (options.name ?? 'conformance') : target.name
  type Met = { target: ConformanceTarget; timing: BackendTiming; slots: Slots; line: string }
  let resolved: Promise<Met | string> | undefined
  // Once per target, before its first case: resolve it, then measure its backend.
  const getTarget = () => {
    resolved ??= (async () => {
      const t = typeof target === 'function' ? await target() : target
      if (typeof t === 'string') return t
      const timing = await probeBackend(t, `probe-${id}`, options.timing)
      const line = timingLine(name, timing)
      console.log(`conformance ${line}`)
      return { target: t, timing, slots: new Slots(timing.concurrency), line }
    })()
    return resolved
  }
  let reported = false
  describe.concurrent(name, () => {
    for (const testCase of selected) {
      test(testCase.id, { timeout: caseTimeoutMs(testCase, leaseMs, MAX_SCALE) + SLOT_WAIT_MS }, async ({
        skip,
        annotate,
      }) => {
        const met = await getTarget()
        if (typeof met === 'string') return skip(met)
        if (!reported) {
          reported = true
          await annotate(met.line, TIMING_ANNOTATION)
        }
        const { skipped, notes } = await runCase(met.target, testCase, storeKey(testCase, id), {
          timing: met.timing,
          slots: met.slots,
        })
        if (skipped !== undefined) return skip(skipped)
        for (const note of notes) await annotate(note)
      })
    }
  })
}

/**
 * The suite against a backend resolved in the documented order (environment → container →
 * local emulator). Without a backend the suite is skipped with the reasons — except in CI
 * (`CI=true`), where that is a failure. The backend is stopped after the suite.
 */
export function backendConformanceSuite<Connection>(
  spec: BackendSpec<Connection>,
  toTarget: (backend: Backend<Connection>) => ConformanceTarget | Promise<ConformanceTarget>,
  options: SuiteOptions = {},
): void {
  let backend: Backend<Connection> | undefined
  conformanceSuite(
    async () => {
      try {
        backend = await resolveBackend(spec)
      } catch (error) {
        if (inCI()) throw error
        return (error as Error).message.replaceAll('\n', ' ')
      }
      return toTarget(backend)
    },
    { name: spec.name, ...options },
  )
  afterAll(async () => {
    await backend?.stop()
  })
}

/**
 * The outage test against a resolved backend: a proxy sits between driver and backend and cuts
 * every connection mid-run (see `outageScenario`). `port` says where the backend listens; `open`
 * builds a driver that connects to the proxy's port instead. Skipped without a backend, except in CI.
 */
export function backendOutageTest<Connection>(
  spec: BackendSpec<Connection>,
  target: {
    port(connection: Connection): number
    open(connection: Connection, proxyPort: number): QueueDriver
  },
): void {
  let backend: Backend<Connection> | undefined
  afterAll(async () => {
    await backend?.stop()
  })
  test(`${spec.name}: an outage mid-run fails calls UNAVAILABLE and loses no resolved send`, {
    timeout: 180_000,
  }, async ({ skip }) => {
    try {
      backend = await resolveBackend(spec)
    } catch (error) {
      if (inCI()) throw error
      return skip((error as Error).message.replaceAll('\n', ' '))
    }
    const proxy = await startFaultProxy({ port: target.port(backend.connection) })
    const client = new QueueClient(target.open(backend.connection, proxy.port), {
      retry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
    })
    const name = `aq-outage-${runId()}`
    await client.createQueue(name)
    try {
      const report = await outageScenario(client.queue(name), proxy)
      assertOutageReport(report)
      expect(report.sent.length).toBeGreaterThan(40)
    } finally {
      await client.deleteQueue(name).catch(() => {})
      await client.close()
      await proxy.close()
    }
  })
}

export { cases, selectCases } from './cases/index.js'
export { type FileBackend, fileBackend, missingQueueNamedTest } from './file-backend.js'
export { driverOptionsTest } from './options-test.js'
export type { ConformanceTarget } from './target.js'
export { triggerConformanceSuite } from './trigger-vitest.js'

import type { Clock } from '../contract.js'

/**
 * The time `consume()` keeps its own timers on (lease renewals, handler time limits, the pause
 * after an empty receive) when the driver brings no `clock`: the process's monotonic clock.
 */
export const processClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(ms, 2 ** 31 - 1)),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
}

/** Resolves `ms` from now on `clock`, or at once when `signal` aborts. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = clock.setTimeout(done, ms)
    function done() {
      clock.clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

import { QueueError } from '@anyqueue/queue-core/driver'

/**
 * Where the memory driver reads the time and sets its timers. Everything time-based in the driver
 * (delays, leases, nack delays, long polls, `enqueuedAt`) goes through it, so a test can swap in a
 * `ManualClock` (from `@anyqueue/queue-core/testing`, re-exported here) and move time forward
 * instead of waiting for it.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
  /** Calls `callback` once, `ms` from now on this clock. */
  setTimeout(callback: () => void, ms: number): unknown
  /** Cancels a timer from `setTimeout`; unknown or fired timers are ignored. */
  clearTimeout(timer: unknown): void
}

/**
 * The real time. It looks up `Date.now` and `setTimeout` on every call, so fake timers installed
 * later (`vi.useFakeTimers()`, `@sinonjs/fake-timers`) are honoured too.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.min(ms, 2 ** 31 - 1)),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
}

/**
 * A caller's clock, checked once: an object with `now`, `setTimeout` and `clearTimeout` functions,
 * read once and bound. Its `now()` is checked on every reading: a time that is not a finite number
 * is `INVALID_ARGUMENT` at the call, never a lease that silently does not hold.
 */
export function checkClock(value: unknown, driver: string): Clock {
  const invalid = (problem: string, cause?: unknown) =>
    new QueueError('INVALID_ARGUMENT', `clock ${problem}`, { field: 'clock', driver, cause })
  let now: unknown
  let set: unknown
  let clear: unknown
  try {
    if (typeof value !== 'object' || value === null)
      throw invalid('must be an object with now, setTimeout and clearTimeout')
    ;({ now, setTimeout: set, clearTimeout: clear } = value as Record<string, unknown>)
  } catch (error) {
    throw error instanceof QueueError ? error : invalid('could not be read', error)
  }
  if (typeof now !== 'function' || typeof set !== 'function' || typeof clear !== 'function') {
    throw invalid('must have now(), setTimeout() and clearTimeout() functions')
  }
  return {
    now: () => {
      const t: unknown = now.call(value)
      if (typeof t !== 'number' || !Number.isFinite(t))
        throw invalid(`now() must return finite epoch ms, got ${String(t)}`)
      return t
    },
    setTimeout: (callback, ms) => set.call(value, callback, ms),
    clearTimeout: (timer) => clear.call(value, timer),
  }
}

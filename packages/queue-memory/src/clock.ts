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

import { describeArgument, readOptions } from './arguments.js'
import { QueueError } from './errors.js'

/** How the portable layer retries errors a driver classified as retryable. */
export interface RetryOptions {
  /** Total tries, the first included. Default 4. `1` disables retries. */
  maxAttempts?: number
  /** Ceiling of the first backoff. Default 100 ms. */
  initialDelayMs?: number
  /** Cap of any single backoff. Default 2,000 ms. */
  maxDelayMs?: number
}

export interface ResolvedRetry {
  maxAttempts: number
  initialDelayMs: number
  maxDelayMs: number
}

export function resolveRetry(options: RetryOptions | false | undefined): ResolvedRetry {
  if (options === false) return { maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0 }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      'retry must be false or { maxAttempts, initialDelayMs, maxDelayMs }',
      {
        field: 'retry',
      },
    )
  }
  const o = readOptions(options, 'retry', ['maxAttempts', 'initialDelayMs', 'maxDelayMs'])
  const maxAttempts = o.maxAttempts ?? 4
  if (
    !Number.isInteger(maxAttempts) ||
    (maxAttempts as number) < 1 ||
    (maxAttempts as number) > MAX_RETRY_ATTEMPTS
  ) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `retry.maxAttempts must be a whole number from 1 to ${MAX_RETRY_ATTEMPTS}, got ${describeArgument(maxAttempts)}`,
      { field: 'retry.maxAttempts', limit: MAX_RETRY_ATTEMPTS },
    )
  }
  return {
    maxAttempts: maxAttempts as number,
    initialDelayMs: checkNumber(o.initialDelayMs, 100, 'retry.initialDelayMs', 0),
    maxDelayMs: checkNumber(o.maxDelayMs, 2_000, 'retry.maxDelayMs', 0),
  }
}

/** Tries of one call, the first included: more is a loop, not a retry policy. */
const MAX_RETRY_ATTEMPTS = 1_000

/** Up to a day: a longer backoff is a mistake, and larger values overflow Node's timers. */
const MAX_RETRY_SETTING = 86_400_000

function checkNumber(value: unknown, fallback: number, field: string, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= min && value <= MAX_RETRY_SETTING)) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `${field} must be a number of milliseconds from ${min} to ${MAX_RETRY_SETTING}, got ${describeArgument(value)}`,
      {
        field,
        limit: MAX_RETRY_SETTING,
      },
    )
  }
  return value
}

/**
 * Capped exponential backoff with full jitter: a uniformly random delay up to
 * min(cap, initial × 2^retry). Full jitter spreads a crowd of retrying clients best.
 */
export function backoffDelay(retry: number, initialMs: number, capMs: number, random = Math.random): number {
  const ceiling = Math.min(capMs, initialMs * 2 ** retry)
  return Math.round(random() * ceiling)
}

/** Waits `ms`, or less when `signal` aborts first; leaves no listener behind either way. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

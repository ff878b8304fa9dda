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
  return {
    maxAttempts: Math.max(1, Math.floor(options?.maxAttempts ?? 4)),
    initialDelayMs: Math.max(0, options?.initialDelayMs ?? 100),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? 2_000),
  }
}

/**
 * Capped exponential backoff with full jitter: a uniformly random delay up to
 * min(cap, initial × 2^retry). Full jitter spreads a crowd of retrying clients best.
 */
export function backoffDelay(retry: number, initialMs: number, capMs: number, random = Math.random): number {
  const ceiling = Math.min(capMs, initialMs * 2 ** retry)
  return Math.round(random() * ceiling)
}

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

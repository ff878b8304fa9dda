import { describeArgument } from './arguments.js'
import type { Capabilities } from './driver.js'
import { QueueError } from './errors.js'
import { LIMITS } from './limits.js'

/**
 * `INVALID_ARGUMENT` for a driver option that is not one of `keys` — `createIfMising: true` would
 * otherwise be dropped without a word — naming it and listing the options. Drivers call it first.
 */
export function rejectUnknownOptions(options: unknown, keys: readonly string[], driver: string): void {
  if (options === undefined) return
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new QueueError('INVALID_ARGUMENT', `options must be an object, got ${describeArgument(options)}`, {
      field: 'options',
      driver,
    })
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `options.${key} is not an option of the ${driver} driver; its options are ${keys.join(', ')}`,
        { field: `options.${key}`, driver },
      )
    }
  }
}

const UNTYPED_BODIES: readonly Capabilities['untypedBody'][] = ['text', 'json-or-text']

/**
 * Validates a driver's `untypedBody` option (what a body without a content type arrives as, see
 * `Capabilities.untypedBody`) and fills the driver's default.
 */
export function resolveUntypedBody(
  value: unknown,
  fallback: Capabilities['untypedBody'],
  driver: string,
): Capabilities['untypedBody'] {
  if (value === undefined) return fallback
  if (!UNTYPED_BODIES.includes(value as Capabilities['untypedBody'])) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `untypedBody must be 'text' or 'json-or-text', got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
      { field: 'untypedBody', driver },
    )
  }
  return value as Capabilities['untypedBody']
}

/**
 * Validates a driver's `leaseSeconds` option against the backend's bounds and fills the portable
 * default (30 s). Shared so every driver words the error the same way.
 */
export function resolveLeaseSeconds(
  value: number | undefined,
  bounds: { min: number; max: number; driver: string },
): number {
  const leaseSeconds = value ?? LIMITS.defaultLeaseSeconds
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < bounds.min || leaseSeconds > bounds.max) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `leaseSeconds must be a whole number from ${bounds.min} to ${bounds.max}, got ${describeArgument(leaseSeconds)}`,
      { field: 'leaseSeconds', limit: bounds.max, driver: bounds.driver },
    )
  }
  return leaseSeconds
}

/**
 * One promise per key (a queue URL, a subscription check): concurrent callers share it, and a
 * rejected one is forgotten so the next call tries again.
 */
export class PromiseCache<K, V> {
  readonly #entries = new Map<K, Promise<V>>()

  get(key: K, load: () => Promise<V>): Promise<V> {
    return this.#entries.get(key) ?? this.set(key, load())
  }

  set(key: K, value: Promise<V>): Promise<V> {
    this.#entries.set(key, value)
    value.catch(() => {
      if (this.#entries.get(key) === value) this.#entries.delete(key)
    })
    return value
  }

  delete(key: K): void {
    this.#entries.delete(key)
  }
}

/** Socket error codes (`error.code`) that mean a backend could not be reached, or went away. */
const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
])

/** A socket-level failure: drivers classify it as `UNAVAILABLE`, retryable. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)
}

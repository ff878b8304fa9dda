import { describeArgument } from './arguments.js'
import type { Capabilities, StatsCapabilities, TopicCapabilities } from './contract.js'
import { QueueError, type QueueErrorCode } from './errors.js'
import { FILTER_OPERATORS } from './filter.js'
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

/**
 * One row of a driver's error table: the portable code a backend error becomes, and whether trying
 * again may succeed.
 */
export type ErrorRow = readonly [code: QueueErrorCode, retryable: boolean]

/**
 * A driver's error table (Go CDK's shape): the backend's own error code — an SDK error name, a gRPC
 * status, a LevelDB code — to its row. Every driver classifies with one, then falls back to what a
 * table cannot say (an HTTP status, a socket error).
 */
export type ErrorTable = Readonly<Record<string | number, ErrorRow>>

/**
 * The `QueueError` the row of `key` in `table` names, carrying `error` as its cause, or undefined
 * when the table has no row for it (an inherited key such as `constructor` is no row).
 */
export function classifyByTable(
  table: ErrorTable,
  key: string | number | undefined,
  error: unknown,
  describe: { message: string; driver: string },
): QueueError | undefined {
  if (key === undefined || !Object.hasOwn(table, key)) return undefined
  return errorFromRow(table[key]!, error, describe)
}

/** The `QueueError` one row names, for the cases a driver decides beside its table (an HTTP status). */
export function errorFromRow(
  [code, retryable]: ErrorRow,
  error: unknown,
  describe: { message: string; driver: string },
): QueueError {
  return new QueueError(code, describe.message, { cause: error, retryable, driver: describe.driver })
}

/**
 * Validates a driver's `prefix` option (prepended to every backend name it makes) against the
 * backend's rule — `pattern`, stated in words as `described`, at most `limit` characters — and fills
 * the driver's default. Shared so every driver checks and words it the same way.
 */
export function resolvePrefix(
  value: unknown,
  rule: { pattern: RegExp; described: string; limit: number; fallback: string; driver: string },
): string {
  const prefix = value ?? rule.fallback
  if (typeof prefix !== 'string' || !rule.pattern.test(prefix)) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `prefix must be ${rule.described}, got ${describeArgument(prefix)}`,
      {
        field: 'prefix',
        limit: rule.limit,
        driver: rule.driver,
      },
    )
  }
  return prefix
}

/**
 * `capabilities.stats` of a driver that counts every state from its own store, exactly (the local,
 * memory, Redis and PostgreSQL drivers): every field but `deadLetters`, which needs a native
 * dead-letter queue.
 */
export const EXACT_STATS: StatsCapabilities = Object.freeze({
  visible: 'exact',
  inFlight: 'exact',
  active: 'exact',
  delayed: 'exact',
  oldestAgeSeconds: 'exact',
} as const)

/** `capabilities.topics` of a driver that expresses every portable filter operator natively. */
export const ALL_FILTER_TOPICS: TopicCapabilities = Object.freeze({
  filters: Object.freeze([...FILTER_OPERATORS]),
})

import { describeArgument, readOptions } from '../arguments.js'
import { QueueError } from '../errors.js'
import { LIMITS, QUEUE_NAME_PATTERN } from '../limits.js'
import type { Payload } from '../payload.js'
import { isQueue, type Message, type Queue } from '../queue.js'
import type { StandardSchemaV1 } from '../standard-schema.js'
import type { Handler } from './handler-runner.js'

/** Seconds to wait before the redelivery that follows failed `attempt` (1, 2, …). */
export type Backoff = (attempt: number) => number

export interface BackoffOptions {
  /** Delay after the first failure. Default 1 s. */
  initialDelaySeconds?: number
  /** Growth per attempt. Default 2. */
  multiplier?: number
  /** Cap. Default 300 s. */
  maxDelaySeconds?: number
  /** Full jitter (a random delay up to the computed one). Default true. */
  jitter?: boolean
}

export type ConsumerEvent<T = Payload> =
  | { type: 'received'; message: Message<T> }
  | { type: 'succeeded'; message: Message<T>; durationMs: number }
  | { type: 'failed'; message: Message<T>; error: unknown; durationMs: number }
  | { type: 'retried'; message: Message<T>; delaySeconds: number }
  | { type: 'dead-lettered'; message: Message<T>; reason: string }

export interface ConsumeOptions<T> {
  /** Handlers running at once. Default 1. Above 10, several receives are kept in flight. */
  concurrency?: number
  /** A message whose `attempt` reached this and still fails is dead-lettered. Default 5. */
  maxAttempts?: number
  /** Redelivery delay after a failure. Default: exponential from 1 s, ×2, capped at 300 s, jittered. */
  backoff?: BackoffOptions | Backoff
  /** Where exhausted messages go. Default: the queue `<name>-dlq` on the same client, created on first use. */
  deadLetterQueue?: Queue<any>
  /** Validates each payload first (any Standard Schema: zod, valibot, arktype); invalid ones are dead-lettered at once. */
  schema?: StandardSchemaV1<unknown, T>
  /** Stops the consumer like `stop()`. */
  signal?: AbortSignal
  /** Long poll of each receive, 0 to 20. Default 20 s. */
  waitSeconds?: number
  /** How long `stop()` waits for running handlers before it releases their messages. Default 30 s. */
  shutdownTimeoutMs?: number
  /**
   * The longest one delivery may run (schema validation included). Past it the handler's `signal`
   * aborts with a `TimeoutError`, its message is released for redelivery and the attempt counts as
   * failed. Default: 10 leases (300 s with the default 30 s lease), like the 5 minutes Service Bus
   * SDKs renew a lock for. Leases are renewed until then.
   */
  handlerTimeoutSeconds?: number
  /** Errors of the consumer itself (a receive, ack or nack that failed). It keeps going. */
  onError?: (error: unknown, message?: Message<T>) => void
  /** One call per lifecycle event, for metrics and logs. */
  onEvent?: (event: ConsumerEvent<T>) => void
}

const CONSUME_FIELDS = [
  'concurrency',
  'maxAttempts',
  'backoff',
  'deadLetterQueue',
  'schema',
  'signal',
  'waitSeconds',
  'shutdownTimeoutMs',
  'handlerTimeoutSeconds',
  'onError',
  'onEvent',
] as const
const BACKOFF_FIELDS = ['initialDelaySeconds', 'multiplier', 'maxDelaySeconds', 'jitter'] as const

/** How many leases a handler may run by default. */
const DEFAULT_HANDLER_TIMEOUT_LEASES = 10

export interface ResolvedOptions<T> {
  concurrency: number
  maxAttempts: number
  backoff: Backoff
  deadLetterQueue: Queue<any> | undefined
  schema: StandardSchemaV1<unknown, T> | undefined
  signal: AbortSignal | undefined
  waitSeconds: number
  shutdownTimeoutMs: number
  handlerTimeoutMs: number
  onError: ((error: unknown, message?: Message<T>) => void) | undefined
  onEvent: ((event: ConsumerEvent<T>) => void) | undefined
}

/**
 * Checks every argument of `consume()` at the call, so a bad one fails there with
 * `INVALID_ARGUMENT` naming it, instead of inside the loop, where it would be retried forever.
 */
export function resolveConsumeOptions<T>(
  queue: unknown,
  handler: unknown,
  options: unknown,
): ResolvedOptions<T> & { queue: Queue<T>; handler: Handler<T> } {
  if (!isQueue(queue)) throw invalid('queue', 'must be a Queue from client.queue(name)', queue)
  if (typeof handler !== 'function') throw invalid('handler', 'must be a function', handler)
  const o = readOptions(options, 'options', CONSUME_FIELDS) as ConsumeOptions<T>
  const lease = queue.leaseSeconds
  return {
    queue: queue as Queue<T>,
    handler: handler as Handler<T>,
    concurrency: wholeNumber(o.concurrency, 1, 'concurrency', 1),
    maxAttempts: wholeNumber(o.maxAttempts, 5, 'maxAttempts', 1),
    backoff: toBackoff(o.backoff),
    deadLetterQueue: deadLetterQueueOf(queue as Queue<T>, o.deadLetterQueue),
    schema: optional(
      o.schema,
      'schema',
      (v) => typeof (v as StandardSchemaV1)?.['~standard']?.validate === 'function',
      'a Standard Schema (an object with ["~standard"].validate)',
    ),
    signal: optional(o.signal, 'signal', (v) => v instanceof AbortSignal, 'an AbortSignal'),
    waitSeconds: numberIn(o.waitSeconds, LIMITS.maxWaitSeconds, 'waitSeconds', 0, LIMITS.maxWaitSeconds),
    shutdownTimeoutMs: numberIn(o.shutdownTimeoutMs, 30_000, 'shutdownTimeoutMs', 0, 2 ** 31 - 1),
    handlerTimeoutMs:
      numberIn(
        o.handlerTimeoutSeconds,
        lease * DEFAULT_HANDLER_TIMEOUT_LEASES,
        'handlerTimeoutSeconds',
        0.001,
        (2 ** 31 - 1) / 1000,
      ) * 1000,
    onError: optional(o.onError, 'onError', (v) => typeof v === 'function', 'a function'),
    onEvent: optional(o.onEvent, 'onEvent', (v) => typeof v === 'function', 'a function'),
  }
}

/**
 * The dead-letter queue the caller named, checked; or undefined for the default `<name>-dlq`, when
 * that is a valid queue name. A subscription (`topic/name`) or a name of 61 to 64 characters has no
 * valid default, and a dead-letter queue that is the consumed queue itself would feed the consumer
 * its own failures: both fail here, at the call, not on every failed message forever after.
 */
function deadLetterQueueOf(queue: Queue<any>, named: unknown): Queue<any> | undefined {
  if (named === undefined) {
    const name = defaultDeadLetterName(queue.name)
    if (!QUEUE_NAME_PATTERN.test(name)) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `deadLetterQueue must be given for "${queue.name}": its default "${name}" is not a valid queue name (1 to 64 of A-Z, a-z, 0-9, "_" and "-"); pass deadLetterQueue: client.queue('<a name of yours>')`,
        { field: 'deadLetterQueue', limit: 64 },
      )
    }
    return undefined
  }
  if (!isQueue(named)) throw invalid('deadLetterQueue', 'must be a Queue', named)
  if (named.client === queue.client && named.name === queue.name) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `deadLetterQueue must not be "${queue.name}", the queue being consumed: its failures would come straight back to it`,
      { field: 'deadLetterQueue' },
    )
  }
  return named
}

/** The dead-letter queue a consumer of `name` uses when none is given. */
export function defaultDeadLetterName(name: string): string {
  return `${name}-dlq`
}

function toBackoff(option: unknown): Backoff {
  if (typeof option === 'function') return option as Backoff
  if (option !== undefined && (typeof option !== 'object' || option === null)) {
    throw invalid(
      'backoff',
      'must be a function or { initialDelaySeconds, multiplier, maxDelaySeconds, jitter }',
      option,
    )
  }
  const o = readOptions(option, 'backoff', BACKOFF_FIELDS) as BackoffOptions
  const initial = numberIn(
    o.initialDelaySeconds,
    1,
    'backoff.initialDelaySeconds',
    0,
    LIMITS.maxNackDelaySeconds,
  )
  const multiplier = numberIn(o.multiplier, 2, 'backoff.multiplier', 1, 1_000)
  const max = numberIn(o.maxDelaySeconds, 300, 'backoff.maxDelaySeconds', 0, LIMITS.maxNackDelaySeconds)
  const jitter = optional(o.jitter, 'backoff.jitter', (v) => typeof v === 'boolean', 'a boolean') ?? true
  return (attempt) => {
    const ceiling = Math.min(max, initial * multiplier ** Math.max(0, attempt - 1))
    return jitter ? Math.random() * ceiling : ceiling
  }
}

function wholeNumber(value: unknown, fallback: number, field: string, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(field, `must be a whole number ≥ ${min}`, value)
  }
  return value
}

function numberIn(value: unknown, fallback: number, field: string, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `${field} must be a number from ${min} to ${max}, got ${describeArgument(value)}`,
      {
        field,
        limit: max,
      },
    )
  }
  return value
}

function optional<V>(
  value: V | undefined,
  field: string,
  ok: (value: unknown) => boolean,
  what: string,
): V | undefined {
  if (value === undefined) return value
  let fits = false
  try {
    fits = ok(value)
  } catch {} // a getter or Proxy trap that throws while we look: not what was asked for
  if (fits) return value
  throw invalid(field, `must be ${what}`, value)
}

function invalid(field: string, why: string, value: unknown): QueueError {
  return new QueueError('INVALID_ARGUMENT', `${field} ${why}, got ${describeArgument(value)}`, { field })
}

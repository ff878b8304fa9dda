import { setMaxListeners } from 'node:events'
import { sendToDeadLetter } from './dead-letters.js'
import { PromiseCache } from './driver-kit.js'
import { QueueError } from './errors.js'
import { LIMITS } from './limits.js'
import type { Payload } from './payload.js'
import type { Message, Queue } from './queue.js'
import { backoffDelay, sleep } from './retry.js'
import { describeIssues, type StandardSchemaV1 } from './standard-schema.js'
import { traceProcess } from './tracing.js'

/** What a handler gets beside the message. */
export interface HandlerContext {
  /** Aborted when the consumer stops or the message's lease could not be renewed. */
  signal: AbortSignal
  /** Ask for redelivery after `delaySeconds` instead of an ack, without counting as a failure. */
  retry(options?: { delaySeconds?: number }): void
  /** Give up now: the message goes to the dead-letter queue with `reason`, then is acked. */
  deadLetter(reason: string): void
}

export type Handler<T extends Payload> = (
  message: Message<T>,
  context: HandlerContext,
) => unknown | Promise<unknown>

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

export type ConsumerEvent<T extends Payload = Payload> =
  | { type: 'received'; message: Message<T> }
  | { type: 'succeeded'; message: Message<T>; durationMs: number }
  | { type: 'failed'; message: Message<T>; error: unknown; durationMs: number }
  | { type: 'retried'; message: Message<T>; delaySeconds: number }
  | { type: 'dead-lettered'; message: Message<T>; reason: string }

export interface ConsumeOptions<T extends Payload> {
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
  /** Long poll of each receive. Default 20 s. */
  waitSeconds?: number
  /** How long `stop()` waits for running handlers. Default 30 s. */
  shutdownTimeoutMs?: number
  /** Errors of the consumer itself (a receive, ack or nack that failed). It keeps going. */
  onError?: (error: unknown, message?: Message<T>) => void
  /** One call per lifecycle event, for metrics and logs. */
  onEvent?: (event: ConsumerEvent<T>) => void
}

export interface Consumer {
  /** Stops receiving, lets running handlers finish (up to the shutdown timeout), releases the rest. */
  stop(): Promise<void>
  /** Resolves once the consumer has stopped. */
  readonly done: Promise<void>
}

/**
 * Runs `handler` for every message of `queue`: success acks; a thrown error is retried after a
 * backoff (a nack with delay, or the lease running out where the driver cannot delay a nack);
 * after `maxAttempts` the message is dead-lettered with the reason and acked. Leases of running
 * handlers are renewed at half-lease. A message is never acked unless its handler succeeded.
 */
export function consume<T extends Payload>(
  queue: Queue<T>,
  handler: Handler<T>,
  options: ConsumeOptions<T> = {},
): Consumer {
  const concurrency = positiveInteger(options.concurrency ?? 1, 'concurrency')
  const maxAttempts = positiveInteger(options.maxAttempts ?? 5, 'maxAttempts')
  const waitSeconds = options.waitSeconds ?? LIMITS.maxWaitSeconds
  const backoff = toBackoff(options.backoff)
  const onError = options.onError ?? ((error: unknown) => console.error('[anyqueue] consumer:', error))
  const emit = (event: ConsumerEvent<T>) => {
    try {
      options.onEvent?.(event)
    } catch (error) {
      onError(error)
    }
  }
  const stopping = new AbortController()
  setMaxListeners(0, stopping.signal)
  options.signal?.addEventListener('abort', () => void consumer.stop(), { once: true })
  const running = new Set<Promise<void>>()
  let reserved = 0
  // Pollers waiting for a free handler slot; woken when a handler ends or the consumer stops.
  let slotWaiters: Array<() => void> = []
  const wakePollers = () => {
    const waiting = slotWaiters
    slotWaiters = []
    for (const wake of waiting) wake()
  }
  stopping.signal.addEventListener('abort', wakePollers, { once: true })
  // Resolved once, on the first dead letter; a failure (say, createQueue) is forgotten and retried.
  const deadLetterQueues = new PromiseCache<string, Queue<any>>()
  const deadLetters = () =>
    options.deadLetterQueue
      ? Promise.resolve(options.deadLetterQueue)
      : deadLetterQueues.get(`${queue.name}-dlq`, async () => {
          await queue.client.createQueue(`${queue.name}-dlq`)
          return queue.client.queue(`${queue.name}-dlq`)
        })

  // Acks of handlers that finish together go out as one batch: flushed at 10, or on the next tick.
  let pendingAcks: Array<{ message: Message<T>; done: (error?: unknown) => void }> = []
  let flushScheduled = false
  const flushAcks = () => {
    flushScheduled = false
    while (pendingAcks.length > 0) {
      const batch = pendingAcks.slice(0, LIMITS.maxBatch)
      pendingAcks = pendingAcks.slice(LIMITS.maxBatch)
      queue.ackBatch(batch.map((p) => p.message)).then(
        () => {
          for (const p of batch) p.done()
        },
        (error: unknown) => {
          for (const p of batch) p.done(error)
        },
      )
    }
  }
  const ack = (message: Message<T>) =>
    new Promise<void>((resolve, reject) => {
      pendingAcks.push({ message, done: (error) => (error === undefined ? resolve() : reject(error)) })
      if (pendingAcks.length >= LIMITS.maxBatch) flushAcks()
      else if (!flushScheduled) {
        flushScheduled = true
        setImmediate(flushAcks)
      }
    })

  async function deadLetter(message: Message<T>, reason: string): Promise<void> {
    await sendToDeadLetter(await deadLetters(), queue, message, reason)
    await queue.ack(message)
    emit({ type: 'dead-lettered', message, reason })
  }

  async function handle(message: Message<T>): Promise<void> {
    emit({ type: 'received', message })
    const lease = new AbortController()
    const stop = () => lease.abort(new Error('the consumer is stopping'))
    stopping.signal.addEventListener('abort', stop, { once: true })
    let decision:
      | { kind: 'retry'; delaySeconds: number }
      | { kind: 'dead-letter'; reason: string }
      | undefined
    const context: HandlerContext = {
      signal: lease.signal,
      retry: ({ delaySeconds = 0 } = {}) => {
        decision = { kind: 'retry', delaySeconds }
      },
      deadLetter: (reason) => {
        decision = { kind: 'dead-letter', reason }
      },
    }
    let leaseLost = false
    const renewEvery = (queue.leaseSeconds * 1000) / 2
    const renewal = queue.capabilities.renewLease
      ? setInterval(() => {
          queue.renewLease(message).catch((error: unknown) => {
            leaseLost = true
            lease.abort(error)
            onError(error, message)
          })
        }, renewEvery)
      : undefined
    const started = Date.now()
    try {
      if (options.schema) {
        const result = await options.schema['~standard'].validate(message.payload)
        if (result.issues) {
          await deadLetter(message, `invalid payload: ${describeIssues(result.issues)}`)
          return
        }
        message = { ...message, payload: result.value }
      }
      let failure: { error: unknown } | undefined
      try {
        const current = message
        await traceProcess(queue.client.driver.name, queue.name, current, async () =>
          handler(current, context),
        )
      } catch (error) {
        failure = { error }
      }
      clearInterval(renewal)
      const durationMs = Date.now() - started
      // Someone else may hold the message now: acking or nacking it would be wrong either way.
      if (leaseLost) return
      if (decision?.kind === 'dead-letter') return await deadLetter(message, decision.reason)
      if (decision?.kind === 'retry') return await release(message, decision.delaySeconds)
      if (!failure) {
        await ack(message)
        emit({ type: 'succeeded', message, durationMs })
        return
      }
      emit({ type: 'failed', message, error: failure.error, durationMs })
      if (message.attempt >= maxAttempts) {
        await deadLetter(message, `failed ${message.attempt} times, last: ${describeError(failure.error)}`)
      } else {
        await release(message, backoff(message.attempt))
      }
    } catch (error) {
      onError(error, message) // an ack, nack or dead-letter send failed: the lease brings it back
    } finally {
      clearInterval(renewal)
      stopping.signal.removeEventListener('abort', stop)
    }
  }

  /** Redelivery after `delaySeconds`: a nack where the driver allows that delay, else the lease runs out. */
  async function release(message: Message<T>, delaySeconds: number): Promise<void> {
    const max = queue.capabilities.nackDelay
    const seconds = Math.max(0, Math.round(delaySeconds))
    // Capped at the driver's longest nack delay; a driver that cannot delay a nack at all leaves the
    // message leased, and it comes back when the lease ends.
    const nackDelay = seconds <= max ? seconds : max > 0 ? max : undefined
    if (nackDelay !== undefined) await queue.nack(message, { delaySeconds: nackDelay })
    emit({ type: 'retried', message, delaySeconds: nackDelay ?? queue.leaseSeconds })
  }

  const free = () => concurrency - running.size - reserved
  const waitForSlot = () => new Promise<void>((resolve) => slotWaiters.push(resolve))

  async function poll(): Promise<void> {
    let failures = 0
    while (!stopping.signal.aborted) {
      const want = Math.min(LIMITS.maxBatch, free())
      if (want <= 0) {
        await waitForSlot()
        continue
      }
      reserved += want
      let batch: Message<T>[] = []
      const polledAt = Date.now()
      try {
        batch = await queue.receive({ maxMessages: want, waitSeconds, signal: stopping.signal })
        failures = 0
        // An empty answer that came back at once (waitSeconds 0, or a driver that cannot long-poll):
        // pause briefly instead of spinning.
        if (batch.length === 0 && Date.now() - polledAt < 100) await sleep(100, stopping.signal)
      } catch (error) {
        onError(error)
        await sleep(backoffDelay(failures++, 200, 10_000) + 100, stopping.signal)
      } finally {
        reserved -= want
      }
      for (const message of batch) {
        if (stopping.signal.aborted) {
          // Received as we stopped: never started, so hand it straight back.
          queue.nack(message).catch((error: unknown) => onError(error, message))
          continue
        }
        const task = handle(message).finally(() => {
          running.delete(task)
          wakePollers()
        })
        running.add(task)
      }
      // Yield to the event loop each round, so a driver that answers without I/O cannot starve timers.
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  const pollers = Array.from({ length: Math.ceil(concurrency / LIMITS.maxBatch) }, poll)
  const polling = Promise.all(pollers)
  let stopped: Promise<void> | undefined
  const consumer: Consumer = {
    stop() {
      stopped ??= (async () => {
        stopping.abort()
        await polling
        const drained = Promise.allSettled([...running])
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise((resolve) => {
          timer = setTimeout(resolve, options.shutdownTimeoutMs ?? 30_000)
        })
        await Promise.race([drained, timeout])
        clearTimeout(timer)
      })()
      return stopped
    },
    get done() {
      return polling.then(() => stopped)
    },
  }
  return consumer
}

function toBackoff(option: BackoffOptions | Backoff | undefined): Backoff {
  if (typeof option === 'function') return option
  const initial = option?.initialDelaySeconds ?? 1
  const multiplier = option?.multiplier ?? 2
  const max = option?.maxDelaySeconds ?? 300
  const jitter = option?.jitter ?? true
  return (attempt) => {
    const ceiling = Math.min(max, initial * multiplier ** Math.max(0, attempt - 1))
    return jitter ? Math.random() * ceiling : ceiling
  }
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new QueueError('INVALID_ARGUMENT', `${field} must be a whole number ≥ 1, got ${String(value)}`, {
      field,
    })
  }
  return value
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

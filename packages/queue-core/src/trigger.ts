import { readOptions } from './arguments.js'
import { DeadLetterTarget } from './consumer/dead-letter-target.js'
import { afterFailure } from './consumer/failure.js'
import { Cohort, type HandlerContext, HandlerRun, type Outcome } from './consumer/handler-run.js'
import { type Handler, HandlerRunner } from './consumer/handler-runner.js'
import { type Backoff, type BackoffOptions, resolveConsumeOptions } from './consumer/options.js'
import type { IncomingMessage } from './contract.js'
import { toMessage } from './decode.js'
import type { Message, Queue } from './queue.js'
import type { StandardSchemaV1 } from './standard-schema.js'
import { loadTracing, traceProcess } from './tracing.js'

export type { Handler, HandlerContext }

/** The options `consume()` and a trigger runner share: the same names, defaults and checks. */
export interface TriggerOptions<T> {
  /** A message whose `attempt` reached this and still fails is dead-lettered. Default 5. */
  maxAttempts?: number
  /** Redelivery delay after a failure. Default: exponential from 1 s, ×2, capped at 300 s, jittered. */
  backoff?: BackoffOptions | Backoff
  /** Where exhausted messages go. Default: the queue `<name>-dlq` on the same client, created on first use. */
  deadLetterQueue?: Queue<any>
  /** Validates each payload first (any Standard Schema); invalid ones are dead-lettered at once. */
  schema?: StandardSchemaV1<unknown, T>
  /**
   * The longest one delivery may run (schema validation included), when the platform gives no
   * shorter deadline. Past it the handler's `signal` aborts with a `TimeoutError` and the attempt
   * counts as failed. Default: 10 leases, as for `consume()`.
   */
  handlerTimeoutSeconds?: number
  /** Errors of the runner itself (a dead-letter send that failed, a backoff that threw). */
  onError?: (error: unknown, message?: Message<T>) => void
}

const TRIGGER_FIELDS = [
  'maxAttempts',
  'backoff',
  'deadLetterQueue',
  'schema',
  'handlerTimeoutSeconds',
  'onError',
] as const

/**
 * What one delivery came to, for a platform runner to map onto its platform:
 * - `ack`: the handler succeeded; let the platform delete the message;
 * - `retry`: the handler asked for redelivery after `delaySeconds` (`context.retry()`);
 * - `dead-letter`: give the message up with `reason` — undecodable, schema-invalid,
 *   `context.deadLetter(reason)`, or failed for the `maxAttempts`th time;
 * - `fail`: the handler threw (or ran past its deadline, `timedOut`) below `maxAttempts`; redeliver
 *   after `delaySeconds`, the backoff `consume()` would wait.
 */
export type TriggerOutcome =
  | { kind: 'ack' }
  | { kind: 'retry'; delaySeconds: number }
  | { kind: 'dead-letter'; reason: string }
  | { kind: 'fail'; error: unknown; delaySeconds: number; timedOut: boolean }

/** What the platform says about one invocation. */
export interface TriggerDelivery {
  /**
   * How long, from now, the handlers may run: the platform's remaining time less a margin to settle.
   * The shorter of this and `handlerTimeoutSeconds` applies.
   */
  timeoutMs?: number
  /** Aborts every handler's signal (the platform is shutting down, the caller went away). */
  signal?: AbortSignal
}

/**
 * The handler pipeline of `consume()` for one platform invocation, without the receiving: a runner
 * (a Lambda handler, a push endpoint, a Functions trigger) decodes what its platform delivered with
 * `decode()`, runs it with `run()` — payload decoding and schema check, `attempt`, `retry(delay)`,
 * `deadLetter(reason)`, a `signal` aborted at the deadline, the tracing span, `maxAttempts` — and
 * maps each `TriggerOutcome` onto its platform. The pieces are `consume()`'s own (`consumer/`).
 */
export class TriggerPipeline<T> {
  readonly queue: Queue<T>
  readonly maxAttempts: number
  readonly #handler: Handler<T>
  readonly #o: ReturnType<typeof resolveConsumeOptions<T>>
  readonly #deadLetters: DeadLetterTarget

  constructor(queue: Queue<T>, handler: Handler<T>, options?: TriggerOptions<T>) {
    readOptions(options, 'options', TRIGGER_FIELDS)
    this.#o = resolveConsumeOptions<T>(queue, handler, options)
    this.queue = this.#o.queue
    this.#handler = this.#o.handler
    this.maxAttempts = this.#o.maxAttempts
    this.#deadLetters = new DeadLetterTarget(queue, this.#o.deadLetterQueue)
  }

  /** A message as the platform delivered it, in the driver's terms, as the handler sees it. */
  decode(incoming: IncomingMessage): Message<T> {
    const driver = this.queue.client.driver
    return toMessage<T>(incoming, driver.name, driver.capabilities.untypedBody)
  }

  /** Runs the handler for each message at once; resolves with one outcome per message, in order. Never rejects. */
  async run(messages: readonly Message<T>[], delivery: TriggerDelivery = {}): Promise<TriggerOutcome[]> {
    if (messages.length === 0) return []
    await loadTracing()
    const driver = this.queue.client.driver
    const timeoutMs = Math.max(1, Math.min(this.#o.handlerTimeoutMs, delivery.timeoutMs ?? Infinity))
    const runner = new HandlerRunner<T>({
      handler: this.#handler,
      schema: this.#o.schema,
      timeoutMs,
      clock: driver.clock,
      around: (message, run) => traceProcess(driver.name, this.queue.name, message, run),
    })
    const cohort = new Cohort()
    const outcomes = messages.map(
      (message) =>
        new Promise<Outcome>((resolve) => new HandlerRun(message, cohort, (_, outcome) => resolve(outcome))),
    )
    const abort = () => {
      for (const run of cohort.runs) run.abort(delivery.signal?.reason)
    }
    if (delivery.signal?.aborted) abort()
    else delivery.signal?.addEventListener('abort', abort, { once: true })
    try {
      runner.start(cohort)
      const ended = await Promise.all(outcomes)
      return ended.map((outcome, i) => this.#map(messages[i]!, outcome))
    } finally {
      delivery.signal?.removeEventListener('abort', abort)
      runner.stop()
    }
  }

  /**
   * Sends `message` to the dead-letter queue `consume()` uses (`deadLetterQueue`, or `<name>-dlq`)
   * with `reason` and the dead-letter attributes; the message itself is left for the platform to
   * settle. Rejects when the send fails: then do not let the platform delete the message.
   */
  deadLetter(message: Message<T>, reason: string): Promise<void> {
    return this.#deadLetters.put(message, reason)
  }

  /** Reports an error of the runner to `onError` (or the console); never throws. */
  reportError(error: unknown, message?: Message<T>): void {
    try {
      if (this.#o.onError) this.#o.onError(error, message)
      else console.error('[anyqueue] trigger:', error)
    } catch {}
  }

  #map(message: Message<T>, outcome: Outcome): TriggerOutcome {
    switch (outcome.kind) {
      case 'succeeded':
        return ACK
      case 'retry':
        return outcome
      case 'dead-letter':
        return outcome
      case 'failed':
      case 'timed-out': {
        const next = afterFailure(message, outcome.error, this.maxAttempts, this.#o.backoff, (error, m) =>
          this.reportError(error, m),
        )
        if (next.kind === 'dead-letter') return next
        return {
          kind: 'fail',
          error: outcome.error,
          delaySeconds: next.delaySeconds,
          timedOut: outcome.kind === 'timed-out',
        }
      }
      default:
        // No lease is renewed and nothing stops a trigger run: these cannot happen; redeliver at once.
        return {
          kind: 'fail',
          error: new Error(`the delivery ended ${outcome.kind}`),
          delaySeconds: 0,
          timedOut: false,
        }
    }
  }
}

const ACK: TriggerOutcome = Object.freeze({ kind: 'ack' })

/**
 * The shared piece of every trigger runner: `handler` run as `consume(queue, handler, options)`
 * would run it, one platform invocation at a time (see `TriggerPipeline`).
 */
export function createTriggerPipeline<T>(
  queue: Queue<T>,
  handler: Handler<T>,
  options?: TriggerOptions<T>,
): TriggerPipeline<T> {
  return new TriggerPipeline(queue, handler, options)
}

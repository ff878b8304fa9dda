import { QueueError } from '../errors.js'
import type { Message } from '../queue.js'
import { describeThrown } from './describe.js'

/** What a handler gets beside the message. */
export interface HandlerContext {
  /**
   * Aborted when the consumer stops, the message's lease could not be renewed, or the handler ran
   * past its time limit (the reason is then a `TimeoutError`).
   */
  readonly signal: AbortSignal
  /** Ask for redelivery after `delaySeconds` instead of an ack, without counting as a failure. */
  retry(options?: { delaySeconds?: number }): void
  /** Give up now: the message goes to the dead-letter queue with `reason`, then is acked. */
  deadLetter(reason: string): void
}

/** How one delivery ended, and so what the consumer does with its message. */
export type Outcome =
  | { kind: 'succeeded' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'retry'; delaySeconds: number }
  | { kind: 'dead-letter'; reason: string }
  /** The handler outlived its time limit: a failed attempt; the message is released. */
  | { kind: 'timed-out'; error: unknown }
  /** The lease could not be renewed: someone else may hold the message; leave it alone. */
  | { kind: 'lease-lost' }
  /** Still running when the consumer's shutdown timeout ran out: released for redelivery. */
  | { kind: 'abandoned' }

/** The outcome of every successful delivery: one shared object, not one per message. */
export const SUCCEEDED: Outcome = Object.freeze({ kind: 'succeeded' })

/**
 * One delivery of one message to the handler: its context, and the first of the handler's own
 * result, its time limit, a lost lease or the shutdown that ends it (reported once to `onEnd`).
 * The object is itself the handler's context, typed as `HandlerContext` (one allocation per
 * delivery, not two); the AbortController behind `signal` is only made for handlers that read it.
 */
export class HandlerRun implements HandlerContext {
  readonly message: Message<any>
  readonly cohort: Cohort
  /** What the handler asked for with `retry()` or `deadLetter()`, if anything. */
  decision: Outcome | undefined
  readonly #onEnd: (run: HandlerRun, outcome: Outcome) => void
  #over = false
  #controller: AbortController | undefined
  #abortReason: unknown
  #aborted = false

  /**
   * Joins `cohort`. `onEnd` is called once, with how the run ended; one function serves every
   * run, so a delivery costs no closure of its own.
   */
  constructor(message: Message<any>, cohort: Cohort, onEnd: (run: HandlerRun, outcome: Outcome) => void) {
    this.message = message
    this.cohort = cohort
    this.#onEnd = onEnd
    cohort.add(this)
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.#aborted) this.#controller.abort(this.#abortReason)
    }
    return this.#controller.signal
  }

  // retry and deadLetter are made on first use, as `signal` is: most handlers never call them.
  // Bound, so a handler may destructure them from its context.
  #retry: HandlerContext['retry'] | undefined
  #deadLetter: HandlerContext['deadLetter'] | undefined

  get retry(): HandlerContext['retry'] {
    this.#retry ??= (options) => {
      const delaySeconds = options?.delaySeconds ?? 0
      if (typeof delaySeconds !== 'number' || !Number.isFinite(delaySeconds) || delaySeconds < 0) {
        throw new QueueError(
          'INVALID_ARGUMENT',
          `retry delaySeconds must be a number ≥ 0, got ${describeThrown(delaySeconds)}`,
          { field: 'delaySeconds' },
        )
      }
      this.decision = { kind: 'retry', delaySeconds }
    }
    return this.#retry
  }

  get deadLetter(): HandlerContext['deadLetter'] {
    this.#deadLetter ??= (reason) => {
      this.decision = {
        kind: 'dead-letter',
        reason: typeof reason === 'string' ? reason : describeThrown(reason),
      }
    }
    return this.#deadLetter
  }

  get over(): boolean {
    return this.#over
  }

  /** Aborts the handler's signal (once; later reasons are ignored). */
  abort(reason: unknown): void {
    if (this.#aborted) return
    this.#aborted = true
    this.#abortReason = reason
    this.#controller?.abort(reason)
  }

  /** Ends the delivery with `outcome`; only the first call counts. */
  end(outcome: Outcome): void {
    if (this.#over) return
    this.#over = true
    this.#onEnd(this, outcome)
  }
}

/**
 * The messages of one receive. They were leased together and their handlers started together, so
 * their renewals and time limits fall due together: keeping those per cohort instead of per message
 * makes one timer entry per receive, not ten.
 */
export class Cohort {
  readonly runs: HandlerRun[] = []
  /** Runs not ended yet; at 0 the cohort is forgotten. */
  live = 0
  /** `performance.now()` when its handlers started, for event durations; 0 when nobody listens. */
  readonly startedAt: number

  constructor(startedAt = 0) {
    this.startedAt = startedAt
  }

  add(run: HandlerRun): void {
    this.runs.push(run)
    this.live++
  }
}

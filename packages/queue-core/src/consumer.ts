import { setMaxListeners } from 'node:events'
import { AckBatcher } from './consumer/ack-batcher.js'
import { DeadLetterTarget } from './consumer/dead-letter-target.js'
import { afterFailure } from './consumer/failure.js'
import { Cohort, type HandlerContext, HandlerRun, type Outcome } from './consumer/handler-run.js'
import { type Handler, HandlerRunner } from './consumer/handler-runner.js'
import { LeaseRenewer } from './consumer/lease-renewer.js'
import {
  type Backoff,
  type BackoffOptions,
  type ConsumeOptions,
  type ConsumerEvent,
  type ResolvedOptions,
  resolveConsumeOptions,
} from './consumer/options.js'
import { poll } from './consumer/poller.js'
import { SlotGate } from './consumer/slot-gate.js'
import { streamInto } from './consumer/streamer.js'
import type { Clock } from './driver.js'
import { LIMITS } from './limits.js'
import type { Message, Queue } from './queue.js'
import { loadTracing, traceProcess } from './tracing.js'

export type { Backoff, BackoffOptions, ConsumeOptions, ConsumerEvent, Handler, HandlerContext }

export interface Consumer {
  /**
   * Stops receiving and aborts running handlers' signals; waits for them up to
   * `shutdownTimeoutMs`, then releases the messages of those still running. Once it resolves no
   * lease is renewed any more and nothing of the consumer keeps the process alive.
   */
  stop(): Promise<void>
  /** Resolves once the consumer has stopped. */
  readonly done: Promise<void>
}

/**
 * Runs `handler` for every message of `queue`: success acks; a thrown error is retried after a
 * backoff (a nack with delay, or the lease running out where the driver cannot delay a nack);
 * after `maxAttempts` the message is dead-lettered with the reason and acked. Leases of running
 * handlers are renewed every third of a lease, up to the handler time limit. A message is never acked
 * unless its handler succeeded.
 */
export function consume<T>(queue: Queue<T>, handler: Handler<T>, options?: ConsumeOptions<T>): Consumer {
  return new QueueConsumer(queue, handler, options)
}

/**
 * One running consumer. The pieces, each in its own file under `consumer/`: pollers receive into
 * free handler slots (`SlotGate`); the `HandlerRunner` runs each delivery under its time limit; the
 * `LeaseRenewer` keeps leases alive; the `AckBatcher` batches acks; the `DeadLetterTarget` takes
 * what is given up. This class wires them and reads in the order a message goes through it:
 * received and delivered, its handler ends, its outcome settled; then how the consumer stops, and
 * last how the user's callbacks are called.
 */
class QueueConsumer<T> implements Consumer {
  readonly #queue: Queue<T>
  readonly #o: ResolvedOptions<T>
  readonly #stopping = new AbortController()
  readonly #slots: SlotGate
  readonly #acks: AckBatcher
  readonly #deadLetters: DeadLetterTarget
  readonly #renewer: LeaseRenewer
  readonly #runner: HandlerRunner<T>
  readonly #polling: Promise<unknown>
  /** Undefined unless someone listens: no event object is built for nobody. */
  readonly #emit: ((event: ConsumerEvent<T>) => void) | undefined
  // Cohorts (the messages of one receive) with handlers still running, how many handlers run, and
  // how many deliveries are not settled yet (running, or their ack or nack on its way).
  readonly #cohorts = new Set<Cohort>()
  #runningCount = 0
  #unsettled = 0
  readonly #idle = { running: new Set<() => void>(), settled: new Set<() => void>() }
  #stopped: Promise<void> | undefined

  constructor(queue: Queue<T>, handler: Handler<T>, options: ConsumeOptions<T> | undefined) {
    const o = resolveConsumeOptions<T>(queue, handler, options)
    const system = queue.client.driver.name
    // A driver on its own clock (the in-memory driver's ManualClock) has the consumer's timers on it.
    const clock = queue.client.driver.clock
    this.#queue = queue
    this.#o = o
    this.#emit = o.onEvent ? this.#emitEvent : undefined
    setMaxListeners(0, this.#stopping.signal)
    this.#slots = new SlotGate(o.concurrency)
    this.#acks = new AckBatcher(queue)
    this.#deadLetters = new DeadLetterTarget(queue, o.deadLetterQueue)
    this.#renewer = new LeaseRenewer(queue, (run, error) => this.#leaseLost(run, error), clock)
    this.#runner = new HandlerRunner<T>({
      handler: o.handler,
      schema: o.schema,
      timeoutMs: o.handlerTimeoutMs,
      clock,
      around: (message, run) => traceProcess(system, queue.name, message, run),
    })
    this.#polling = this.#startPolling(clock)
    const signal = o.signal
    if (signal?.aborted) void this.stop()
    else signal?.addEventListener('abort', this.#stopOnSignal, { once: true })
  }

  // ── receiving ──────────────────────────────────────────────────────────────────────────────

  /**
   * Once tracing (if installed) is loaded: the driver's stream where it offers one, its credit the
   * free handler slots; else one poller per batch of handler slots.
   */
  #startPolling(clock: Clock | undefined): Promise<unknown> {
    const queue = this.#queue
    const reportError = this.#reportError
    const release = (message: Message<T>) => {
      queue.nack(message).catch((error: unknown) => reportError(error, message))
    }
    return loadTracing().then(
      (): Promise<unknown> =>
        streamInto({
          queue,
          slots: this.#slots,
          signal: this.#stopping.signal,
          deliver: (messages) => this.#deliver(messages),
          release,
          onError: reportError,
          onClosed: () => void this.stop(),
        }) ??
        Promise.all(
          Array.from({ length: Math.ceil(this.#o.concurrency / LIMITS.maxBatch) }, () =>
            poll({
              queue,
              slots: this.#slots,
              waitSeconds: this.#o.waitSeconds,
              signal: this.#stopping.signal,
              deliver: (messages) => this.#deliver(messages),
              // Received as the consumer stops: handed back at once, not left leased.
              release,
              onError: reportError,
              onClosed: () => void this.stop(),
              clock,
            }),
          ),
        ),
    )
  }

  #deliver(messages: Message<T>[]): void {
    const emit = this.#emit
    const cohort = new Cohort(emit ? performance.now() : 0)
    for (const message of messages) new HandlerRun(message, cohort, this.#runEnded)
    this.#runningCount += messages.length
    this.#unsettled += messages.length
    this.#cohorts.add(cohort)
    this.#renewer.track(cohort) // before the handlers start: one that ends at once must find it tracked
    if (emit) for (const message of messages) emit({ type: 'received', message })
    this.#runner.start(cohort)
  }

  // ── a handler ends ─────────────────────────────────────────────────────────────────────────

  /** Shared by every run (one function, not one closure per message). */
  readonly #runEnded = (run: HandlerRun, outcome: Outcome): void => {
    const cohort = run.cohort
    this.#runningCount--
    this.#slots.release()
    if (--cohort.live === 0) {
      this.#cohorts.delete(cohort)
      this.#renewer.untrack(cohort)
      this.#runner.forget(cohort)
    }
    if (this.#runningCount === 0) wake(this.#idle.running)
    this.#settle(run.message as Message<T>, outcome, this.#emit ? performance.now() - cohort.startedAt : 0)
  }

  #leaseLost(run: HandlerRun, error: unknown): void {
    this.#reportError(error, run.message as Message<T>)
    run.abort(error)
    // Someone else may hold the message now: acking or nacking it would be wrong either way.
    run.end({ kind: 'lease-lost' })
  }

  // ── what an outcome means for its message ──────────────────────────────────────────────────

  #settle(message: Message<T>, outcome: Outcome, durationMs: number): void {
    if (outcome.kind === 'succeeded') {
      // The hot path: a shared callback, no promise, no closure unless someone listens.
      const emit = this.#emit
      this.#acks.ack(
        message,
        emit
          ? (error) => {
              if (error === undefined)
                emit({ type: 'succeeded', message, durationMs: Math.round(durationMs) })
              this.#acked(error, message)
            }
          : this.#acked,
      )
      return
    }
    this.#settleOther(message, outcome, durationMs).then(this.#settled, (error: unknown) => {
      this.#reportError(error, message) // a nack or dead-letter send failed: the lease brings it back
      this.#settled()
    })
  }

  readonly #acked = (error: unknown, message: Message<any>): void => {
    if (error !== undefined) this.#reportError(error, message)
    this.#settled()
  }

  readonly #settled = (): void => {
    if (--this.#unsettled === 0) wake(this.#idle.settled)
  }

  async #settleOther(message: Message<T>, outcome: Outcome, durationMs: number): Promise<void> {
    const o = this.#o
    switch (outcome.kind) {
      case 'retry':
        return this.#release(message, outcome.delaySeconds)
      case 'dead-letter':
        return this.#deadLetter(message, outcome.reason)
      case 'failed':
      case 'timed-out': {
        this.#emit?.({ type: 'failed', message, error: outcome.error, durationMs: Math.round(durationMs) })
        const next = afterFailure(message, outcome.error, o.maxAttempts, o.backoff, this.#reportError)
        return next.kind === 'dead-letter'
          ? this.#deadLetter(message, next.reason)
          : this.#release(message, next.delaySeconds)
      }
      case 'abandoned':
        return this.#queue.nack(message)
      default:
        return // succeeded is settled by the caller; lease-lost leaves the message alone
    }
  }

  async #deadLetter(message: Message<T>, reason: string): Promise<void> {
    await this.#deadLetters.send(message, reason)
    this.#emit?.({ type: 'dead-lettered', message, reason })
  }

  /** Redelivery after `delaySeconds`: a nack where the driver allows that delay, else the lease runs out. */
  async #release(message: Message<T>, delaySeconds: number): Promise<void> {
    const queue = this.#queue
    const max = Math.min(queue.capabilities.nackDelay, LIMITS.maxNackDelaySeconds)
    const seconds = Math.min(Math.max(0, Math.round(delaySeconds)), LIMITS.maxNackDelaySeconds)
    // Capped at the driver's longest nack delay; a driver that cannot delay a nack at all leaves the
    // message leased, and it comes back when the lease ends.
    const nackDelay = seconds <= max ? seconds : max > 0 ? max : undefined
    if (nackDelay !== undefined) await queue.nack(message, { delaySeconds: nackDelay })
    this.#emit?.({ type: 'retried', message, delaySeconds: nackDelay ?? queue.leaseSeconds })
  }

  // ── stopping ───────────────────────────────────────────────────────────────────────────────

  stop(): Promise<void> {
    this.#stopped ??= this.#stop()
    return this.#stopped
  }

  get done(): Promise<void> {
    return this.#polling.then(() => this.#stopped)
  }

  readonly #stopOnSignal = () => void this.stop()

  async #stop(): Promise<void> {
    const o = this.#o
    o.signal?.removeEventListener('abort', this.#stopOnSignal)
    this.#stopping.abort()
    this.#slots.close()
    const reason = new DOMException('the consumer is stopping', 'AbortError')
    const abortAll = () => {
      for (const cohort of this.#cohorts) for (const run of cohort.runs) run.abort(reason)
    }
    abortAll()
    await this.#polling
    abortAll() // delivered while the pollers ended
    if (this.#runningCount > 0) {
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, o.shutdownTimeoutMs)
        this.#idle.running.add(resolve)
      })
      clearTimeout(timer)
    }
    // Handlers that outlived the shutdown timeout: their messages go back for redelivery.
    for (const cohort of [...this.#cohorts]) for (const run of cohort.runs) run.end({ kind: 'abandoned' })
    this.#renewer.stop()
    this.#runner.stop()
    if (this.#unsettled > 0) await new Promise<void>((resolve) => this.#idle.settled.add(resolve))
  }

  // ── the user's callbacks ───────────────────────────────────────────────────────────────────

  /** Callbacks are the user's code: one that throws must not crash or stall the consumer. */
  readonly #reportError = (error: unknown, message?: Message<T>): void => {
    try {
      if (this.#o.onError) this.#o.onError(error, message)
      else console.error('[anyqueue] consumer:', error)
    } catch (thrown) {
      try {
        console.error('[anyqueue] consumer: onError threw', thrown, 'while reporting', error)
      } catch {}
    }
  }

  readonly #emitEvent = (event: ConsumerEvent<T>): void => {
    try {
      this.#o.onEvent!(event)
    } catch (error) {
      this.#reportError(error, event.message)
    }
  }
}

function wake(waiters: Set<() => void>): void {
  for (const resolve of waiters) resolve()
  waiters.clear()
}

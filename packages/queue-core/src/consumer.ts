import { setMaxListeners } from 'node:events'
import { AckBatcher } from './consumer/ack-batcher.js'
import { DeadLetterTarget } from './consumer/dead-letter-target.js'
import { describeThrown } from './consumer/describe.js'
import { Cohort, type HandlerContext, HandlerRun, type Outcome } from './consumer/handler-run.js'
import { type Handler, HandlerRunner } from './consumer/handler-runner.js'
import { LeaseRenewer } from './consumer/lease-renewer.js'
import {
  type Backoff,
  type BackoffOptions,
  type ConsumeOptions,
  type ConsumerEvent,
  resolveConsumeOptions,
} from './consumer/options.js'
import { poll } from './consumer/poller.js'
import { SlotGate } from './consumer/slot-gate.js'
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
 *
 * The pieces, each in its own file under `consumer/`: pollers receive into free handler slots
 * (`SlotGate`); the `HandlerRunner` runs each delivery under its time limit; the `LeaseRenewer`
 * keeps leases alive; the `AckBatcher` batches acks; the `DeadLetterTarget` takes what is given up.
 * This function only wires them and decides what each outcome means for the message.
 */
export function consume<T>(queue: Queue<T>, handler: Handler<T>, options?: ConsumeOptions<T>): Consumer {
  const o = resolveConsumeOptions<T>(queue, handler, options)
  const system = queue.client.driver.name
  // A driver on its own clock (the in-memory driver's ManualClock) has the consumer's timers on it.
  const clock = queue.client.driver.clock

  // Callbacks are the user's code: one that throws must not crash or stall the consumer.
  const reportError = (error: unknown, message?: Message<T>) => {
    try {
      if (o.onError) o.onError(error, message)
      else console.error('[anyqueue] consumer:', error)
    } catch (thrown) {
      try {
        console.error('[anyqueue] consumer: onError threw', thrown, 'while reporting', error)
      } catch {}
    }
  }
  const emit = o.onEvent
    ? (event: ConsumerEvent<T>) => {
        try {
          o.onEvent!(event)
        } catch (error) {
          reportError(error, event.message)
        }
      }
    : undefined

  const stopping = new AbortController()
  setMaxListeners(0, stopping.signal)
  const slots = new SlotGate(o.concurrency)
  const acks = new AckBatcher(queue)
  const deadLetters = new DeadLetterTarget(queue, o.deadLetterQueue)
  // Cohorts (the messages of one receive) with handlers still running, how many handlers run, and
  // how many deliveries are not settled yet (running, or their ack or nack on its way).
  const cohorts = new Set<Cohort>()
  let runningCount = 0
  let unsettled = 0
  const idle = { running: new Set<() => void>(), settled: new Set<() => void>() }
  const renewer = new LeaseRenewer(
    queue,
    (run, error) => {
      reportError(error, run.message as Message<T>)
      run.abort(error)
      // Someone else may hold the message now: acking or nacking it would be wrong either way.
      run.end({ kind: 'lease-lost' })
    },
    clock,
  )
  const runner = new HandlerRunner<T>({
    handler: o.handler,
    schema: o.schema,
    timeoutMs: o.handlerTimeoutMs,
    clock,
    around: (message, run) => traceProcess(system, queue.name, message, run),
  })

  function deliver(messages: Message<T>[]): void {
    const cohort = new Cohort(emit ? performance.now() : 0)
    for (const message of messages) new HandlerRun(message, cohort, runEnded)
    runningCount += messages.length
    unsettled += messages.length
    cohorts.add(cohort)
    renewer.track(cohort) // before the handlers start: one that ends at once must find it tracked
    if (emit) for (const message of messages) emit({ type: 'received', message })
    runner.start(cohort)
  }

  function runEnded(run: HandlerRun, outcome: Outcome): void {
    const cohort = run.cohort
    runningCount--
    slots.release()
    if (--cohort.live === 0) {
      cohorts.delete(cohort)
      renewer.untrack(cohort)
      runner.forget(cohort)
    }
    if (runningCount === 0) wake(idle.running)
    settle(run.message as Message<T>, outcome, emit ? performance.now() - cohort.startedAt : 0)
  }

  /** What the outcome of a delivery means for its message. */
  function settle(message: Message<T>, outcome: Outcome, durationMs: number): void {
    if (outcome.kind === 'succeeded') {
      // The hot path: a shared callback, no promise, no closure unless someone listens.
      acks.ack(
        message,
        emit
          ? (error) => {
              if (error === undefined)
                emit({ type: 'succeeded', message, durationMs: Math.round(durationMs) })
              acked(error, message)
            }
          : acked,
      )
      return
    }
    settleOther(message, outcome, durationMs).then(settled, (error: unknown) => {
      reportError(error, message) // a nack or dead-letter send failed: the lease brings it back
      settled()
    })
  }

  function acked(error: unknown, message: Message<T>): void {
    if (error !== undefined) reportError(error, message)
    settled()
  }

  function settled(): void {
    if (--unsettled === 0) wake(idle.settled)
  }

  async function settleOther(message: Message<T>, outcome: Outcome, durationMs: number): Promise<void> {
    switch (outcome.kind) {
      case 'retry':
        return release(message, outcome.delaySeconds)
      case 'dead-letter':
        return deadLetter(message, outcome.reason)
      case 'failed':
      case 'timed-out':
        emit?.({ type: 'failed', message, error: outcome.error, durationMs: Math.round(durationMs) })
        if (message.attempt >= o.maxAttempts) {
          return deadLetter(
            message,
            `failed ${message.attempt} times, last: ${describeThrown(outcome.error)}`,
          )
        }
        return release(message, backoffSeconds(message))
      case 'abandoned':
        return queue.nack(message)
      default:
        return // succeeded is settled by the caller; lease-lost leaves the message alone
    }
  }

  function backoffSeconds(message: Message<T>): number {
    try {
      const seconds = o.backoff(message.attempt)
      if (typeof seconds === 'number' && seconds >= 0) return seconds
      reportError(
        new TypeError(`backoff(${message.attempt}) returned ${describeThrown(seconds)}, not seconds ≥ 0`),
        message,
      )
    } catch (error) {
      reportError(error, message)
    }
    return 0
  }

  async function deadLetter(message: Message<T>, reason: string): Promise<void> {
    await deadLetters.send(message, reason)
    emit?.({ type: 'dead-lettered', message, reason })
  }

  /** Redelivery after `delaySeconds`: a nack where the driver allows that delay, else the lease runs out. */
  async function release(message: Message<T>, delaySeconds: number): Promise<void> {
    const max = Math.min(queue.capabilities.nackDelay, LIMITS.maxNackDelaySeconds)
    const seconds = Math.min(Math.max(0, Math.round(delaySeconds)), LIMITS.maxNackDelaySeconds)
    // Capped at the driver's longest nack delay; a driver that cannot delay a nack at all leaves the
    // message leased, and it comes back when the lease ends.
    const nackDelay = seconds <= max ? seconds : max > 0 ? max : undefined
    if (nackDelay !== undefined) await queue.nack(message, { delaySeconds: nackDelay })
    emit?.({ type: 'retried', message, delaySeconds: nackDelay ?? queue.leaseSeconds })
  }

  const releaseUnstarted = (message: Message<T>) => {
    queue.nack(message).catch((error: unknown) => reportError(error, message))
  }

  const polling = loadTracing().then(() =>
    Promise.all(
      Array.from({ length: Math.ceil(o.concurrency / LIMITS.maxBatch) }, () =>
        poll({
          queue,
          slots,
          waitSeconds: o.waitSeconds,
          signal: stopping.signal,
          deliver,
          release: releaseUnstarted,
          onError: reportError,
          onClosed: () => void consumer.stop(),
          clock,
        }),
      ),
    ),
  )

  let stopped: Promise<void> | undefined
  const stopOnSignal = () => void consumer.stop()
  const consumer: Consumer = {
    stop() {
      stopped ??= (async () => {
        o.signal?.removeEventListener('abort', stopOnSignal)
        stopping.abort()
        slots.close()
        const reason = new DOMException('the consumer is stopping', 'AbortError')
        const abortAll = () => {
          for (const cohort of cohorts) for (const run of cohort.runs) run.abort(reason)
        }
        abortAll()
        await polling
        abortAll() // delivered while the pollers ended
        if (runningCount > 0) {
          let timer: NodeJS.Timeout | undefined
          await new Promise<void>((resolve) => {
            timer = setTimeout(resolve, o.shutdownTimeoutMs)
            idle.running.add(resolve)
          })
          clearTimeout(timer)
        }
        // Handlers that outlived the shutdown timeout: their messages go back for redelivery.
        for (const cohort of [...cohorts]) for (const run of cohort.runs) run.end({ kind: 'abandoned' })
        renewer.stop()
        runner.stop()
        if (unsettled > 0) await new Promise<void>((resolve) => idle.settled.add(resolve))
      })()
      return stopped
    },
    get done() {
      return polling.then(() => stopped)
    },
  }
  function wake(waiters: Set<() => void>): void {
    for (const resolve of waiters) resolve()
    waiters.clear()
  }

  if (o.signal?.aborted) void consumer.stop()
  else o.signal?.addEventListener('abort', stopOnSignal, { once: true })
  return consumer
}

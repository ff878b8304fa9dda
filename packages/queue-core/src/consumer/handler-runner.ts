import type { Clock } from '../contract.js'
import type { Message } from '../queue.js'
import { describeIssues, type StandardSchemaV1 } from '../standard-schema.js'
import { activeTracing } from '../tracing.js'
import { describeThrown } from './describe.js'
import { DueList } from './due-list.js'
import { type Cohort, type HandlerContext, type HandlerRun, SUCCEEDED } from './handler-run.js'

export type Handler<T> = (message: Message<T>, context: HandlerContext) => unknown | Promise<unknown>

export interface HandlerRunnerOptions<T> {
  handler: Handler<T>
  schema: StandardSchemaV1<unknown, T> | undefined
  /** The time limit of one delivery, schema validation included. */
  timeoutMs: number
  /** Where the time limit is kept; default the process's clock. */
  clock?: Clock
  /**
   * Wraps the handler call in a tracing span; only called while a tracer provider is registered,
   * else the handler is called bare. `run` must be called exactly once.
   */
  around: (message: Message<T>, run: () => Promise<unknown>) => Promise<unknown> | undefined
}

/**
 * Runs handlers, each under a time limit kept per cohort on one shared timer: the first of the
 * handler's own result and its deadline ends the run. A handler past its deadline has its signal
 * aborted with a `TimeoutError` and is left to finish in the background; whatever it does then is
 * ignored.
 */
export class HandlerRunner<T> {
  readonly #options: HandlerRunnerOptions<T>
  readonly #deadlines: DueList<Cohort>
  readonly #timeoutSeconds: number

  constructor(options: HandlerRunnerOptions<T>) {
    this.#options = options
    this.#timeoutSeconds = options.timeoutMs / 1000
    this.#deadlines = new DueList(options.timeoutMs, (cohort) => this.#timeOut(cohort), options.clock)
  }

  /** Starts the handler of every run in `cohort`; each run ends (once) whatever its handler does. */
  start(cohort: Cohort): void {
    this.#deadlines.add(cohort)
    // Asked once per cohort: a tracer provider registered mid-batch traces from the next one.
    const bare = !this.#options.schema && !activeTracing()
    for (const run of cohort.runs) {
      const undecodable = (run.message as Message<T>).decodeError
      if (undecodable !== undefined) {
        // No retry can decode it: the handler never sees it, and it is dead-lettered at once.
        run.end({ kind: 'dead-letter', reason: `${undecodable.code}: ${undecodable.message}` })
      } else if (bare) this.#startBare(run)
      else void this.#execute(run)
    }
  }

  /** The cohort's runs have all ended: its deadline is dropped. */
  forget(cohort: Cohort): void {
    this.#deadlines.delete(cohort)
  }

  /** Stops the deadline timer (call once no run is left that needs one). */
  stop(): void {
    this.#deadlines.clear()
  }

  #timeOut(cohort: Cohort): void {
    for (const run of cohort.runs) {
      if (run.over) continue
      const error = new DOMException(
        `the handler ran past its time limit (handlerTimeoutSeconds: ${this.#timeoutSeconds})`,
        'TimeoutError',
      )
      run.abort(error)
      run.end({ kind: 'timed-out', error })
    }
  }

  #startBare(run: HandlerRun): void {
    // The common case, without schema or span: call the handler directly, and a handler that
    // returns no promise ends its run at once, without a turn of the microtask queue.
    let result: unknown
    try {
      result = this.#options.handler(run.message as Message<T>, run)
    } catch (error) {
      run.end(run.decision ?? { kind: 'failed', error })
      return
    }
    if (isThenable(result)) {
      Promise.resolve(result).then(
        () => run.end(run.decision ?? SUCCEEDED),
        (error: unknown) => run.end(run.decision ?? { kind: 'failed', error }),
      )
    } else run.end(run.decision ?? SUCCEEDED)
  }

  /** Runs schema and handler (in a span when tracing), and ends `run` with the outcome. Never rejects. */
  async #execute(run: HandlerRun): Promise<void> {
    let message = run.message as Message<T>
    const { schema, handler, around } = this.#options
    if (schema) {
      let result: Awaited<ReturnType<(typeof schema)['~standard']['validate']>>
      try {
        result = await schema['~standard'].validate(message.payload)
      } catch (error) {
        return run.end({ kind: 'failed', error })
      }
      if (typeof result !== 'object' || result === null) {
        return run.end({
          kind: 'failed',
          error: new TypeError(`schema validate returned ${describeThrown(result)}`),
        })
      }
      if (result.issues) {
        return run.end({
          kind: 'dead-letter',
          reason: `invalid payload: ${describeSchemaIssues(result.issues)}`,
        })
      }
      message = { ...message, payload: result.value }
    }
    try {
      const current = message
      await (activeTracing() ? around(current, async () => handler(current, run)) : handler(current, run))
    } catch (error) {
      return run.end(run.decision ?? { kind: 'failed', error })
    }
    run.end(run.decision ?? SUCCEEDED)
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  try {
    return (
      (typeof value === 'object' || typeof value === 'function') &&
      value !== null &&
      typeof (value as { then?: unknown }).then === 'function'
    )
  } catch {
    return false // a getter on `then` that throws: not a promise we can wait for
  }
}

function describeSchemaIssues(issues: Parameters<typeof describeIssues>[0]): string {
  try {
    return describeIssues(issues)
  } catch {
    return describeThrown(issues)
  }
}

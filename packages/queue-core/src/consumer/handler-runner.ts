import type { Payload } from '../payload.js'
import type { Message } from '../queue.js'
import { describeIssues, type StandardSchemaV1 } from '../standard-schema.js'
import { activeTracing } from '../tracing.js'
import { describeThrown } from './describe.js'
import { DueList } from './due-list.js'
import type { HandlerContext, HandlerRun, Outcome } from './handler-run.js'

export type Handler<T extends Payload> = (
  message: Message<T>,
  context: HandlerContext,
) => unknown | Promise<unknown>

export interface HandlerRunnerOptions<T extends Payload> {
  handler: Handler<T>
  schema: StandardSchemaV1<unknown, T> | undefined
  /** The time limit of one delivery, schema validation included. */
  timeoutMs: number
  /**
   * Wraps the handler call in a tracing span; only called while a tracer provider is registered,
   * else the handler is called bare. `run` must be called exactly once.
   */
  around: (message: Message<T>, run: () => Promise<unknown>) => Promise<unknown> | undefined
}

/**
 * Runs handlers, each under a time limit kept on one shared timer: the first of the handler's own
 * result and its deadline ends the run. A handler past its deadline has its signal aborted with a
 * `TimeoutError` and is left to finish in the background; whatever it does then is ignored.
 */
export class HandlerRunner<T extends Payload> {
  readonly #options: HandlerRunnerOptions<T>
  readonly #deadlines: DueList<HandlerRun>
  readonly #timeoutSeconds: number

  constructor(options: HandlerRunnerOptions<T>) {
    this.#options = options
    this.#timeoutSeconds = options.timeoutMs / 1000
    this.#deadlines = new DueList(options.timeoutMs, (run) => this.#timeOut(run))
  }

  /** Starts the handler of `run`; the run ends (once) with how it went, whatever the handler does. */
  start(run: HandlerRun): void {
    this.#deadlines.add(run)
    void this.#execute(run)
  }

  /** Ends `run` with `outcome` now, whatever its handler is still doing. */
  end(run: HandlerRun, outcome: Outcome): void {
    this.#deadlines.delete(run)
    run.end(outcome)
  }

  /** Stops the deadline timer (call once no run is left that needs one). */
  stop(): void {
    this.#deadlines.clear()
  }

  #timeOut(run: HandlerRun): void {
    const error = new DOMException(
      `the handler ran past its time limit (handlerTimeoutSeconds: ${this.#timeoutSeconds})`,
      'TimeoutError',
    )
    run.abort(error)
    run.end({ kind: 'timed-out', error })
  }

  /** Runs schema and handler, and ends `run` with the outcome. Never rejects. */
  async #execute(run: HandlerRun): Promise<void> {
    let message = run.message as Message<T>
    const { schema, handler, around } = this.#options
    if (schema) {
      let result: Awaited<ReturnType<(typeof schema)['~standard']['validate']>>
      try {
        result = await schema['~standard'].validate(message.payload)
      } catch (error) {
        return this.end(run, { kind: 'failed', error })
      }
      if (typeof result !== 'object' || result === null) {
        const error = new TypeError(`schema validate returned ${describeThrown(result)}`)
        return this.end(run, { kind: 'failed', error })
      }
      if (result.issues) {
        return this.end(run, {
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
      return this.end(run, run.decision ?? { kind: 'failed', error })
    }
    this.end(run, run.decision ?? { kind: 'succeeded' })
  }
}

function describeSchemaIssues(issues: Parameters<typeof describeIssues>[0]): string {
  try {
    return describeIssues(issues)
  } catch {
    return describeThrown(issues)
  }
}

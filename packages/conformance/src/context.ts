import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  type ConsumeOptions,
  type Consumer,
  consume,
  type Handler,
  type Payload,
  type Queue,
  QueueClient,
  type SubscriptionFilter,
  type Topic,
} from '@anyqueue/queue-core'
import type { Capabilities } from '@anyqueue/queue-core/driver'
import { InstrumentedDriver } from './instrumented-driver.js'
import { type BackendTiming, UNSCALED } from './probe.js'
import type { ConformanceTarget } from './target.js'
import { bound } from './timing.js'

/**
 * What a case gets: a fresh client on its own store, helpers to make queues, and a register of what
 * it started — consumers, child processes, cleanups — that `dispose()` ends whether the case passed,
 * failed or timed out. `signal` aborts when the case runs out of time.
 */
export class CaseContext {
  readonly target: ConformanceTarget
  readonly store: string
  readonly notes: string[] = []
  /** What the suite measured of the backend (see `BackendTiming`); unscaled when not measured. */
  readonly timing: BackendTiming
  readonly #abort = new AbortController()
  #client: QueueClient
  #driver: InstrumentedDriver
  readonly #created = new Set<string>()
  readonly #topics = new Set<string>()
  readonly #consumers = new Set<Consumer>()
  readonly #children = new Set<ChildProcess>()
  readonly #cleanups: Array<() => unknown> = []
  #counter = 0

  private constructor(
    target: ConformanceTarget,
    store: string,
    driver: InstrumentedDriver,
    timing: BackendTiming,
  ) {
    this.target = target
    this.store = store
    this.timing = timing
    this.#driver = driver
    this.#client = new QueueClient(driver)
  }

  static async open(
    target: ConformanceTarget,
    store: string,
    timing: BackendTiming = UNSCALED,
  ): Promise<CaseContext> {
    return new CaseContext(target, store, new InstrumentedDriver(await target.open(store)), timing)
  }

  /**
   * How long to wait for something that should happen within `ms` on a backend as fast as the suite
   * assumes: `ms` times the measured scale. Bounds how long a failing case takes to report, never what
   * passes.
   */
  patience(ms: number): number {
    return Math.round(ms * this.timing.scale)
  }

  /**
   * An upper bound on a timed event declared to take `ms` (a lease, a delay): its slack plus the
   * backend's measured round trip, always below twice `ms` (see `slackMs`).
   */
  bound(ms: number): number {
    return Math.round(bound(ms, this.timing.roundTripMs))
  }

  get client(): QueueClient {
    return this.#client
  }

  /** The driver under the client, recording calls and failing them on demand. */
  get driver(): InstrumentedDriver {
    return this.#driver
  }

  get capabilities(): Capabilities {
    return this.#client.capabilities
  }

  /** The driver's lease in milliseconds. */
  get leaseMs(): number {
    return this.#client.driver.leaseSeconds * 1000
  }

  /** Aborted when the case exceeds its time limit: loops of a case should stop on it. */
  get signal(): AbortSignal {
    return this.#abort.signal
  }

  /** @internal The runner calls this when the case ran out of time. */
  abort(reason: Error): void {
    this.#abort.abort(reason)
  }

  /** A queue name no other case or run uses; not created. */
  uniqueName(length?: number): string {
    if (length === undefined) return `aq-${this.store}-${++this.#counter}`
    // Random letters and digits, so short names also start with a digit sometimes (Pub/Sub mapping).
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
    return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('')
  }

  /** Creates a fresh, empty queue (removed after the case) and returns a handle on it. */
  async queue<T extends Payload = Payload>(name = this.uniqueName()): Promise<Queue<T>> {
    await this.#client.createQueue(name)
    this.#created.add(name)
    return this.#client.queue<T>(name)
  }

  /** Creates a fresh topic (deleted with its subscriptions after the case) and returns a handle on it. */
  async topic<T extends Payload = Payload>(name = this.uniqueName()): Promise<Topic<T>> {
    await this.#client.createTopic(name)
    this.#topics.add(name)
    return this.#client.topic<T>(name)
  }

  /** Creates a subscription of `topic` and returns it, a queue. */
  async subscription<T extends Payload = Payload>(
    topic: Topic<any>,
    name = this.uniqueName(),
    filter?: SubscriptionFilter,
  ): Promise<Queue<T>> {
    await this.#client.createSubscription(topic.name, name, filter === undefined ? {} : { filter })
    return this.#client.subscription<T>(topic.name, name)
  }

  /** `consume()`, stopped when the case ends however it ends. */
  consume<T extends Payload>(queue: Queue<T>, handler: Handler<T>, options?: ConsumeOptions<T>): Consumer {
    const consumer = consume(queue, handler, { shutdownTimeoutMs: this.patience(5_000), ...options })
    this.#consumers.add(consumer)
    return consumer
  }

  /** A child process, killed when the case ends. */
  track(child: ChildProcess): ChildProcess {
    this.#children.add(child)
    child.once('exit', () => this.#children.delete(child))
    return child
  }

  /** Runs `cleanup` when the case ends. */
  defer(cleanup: () => unknown): void {
    this.#cleanups.push(cleanup)
  }

  /** Closes this case's client and opens a new driver on the same store. */
  async reopen(): Promise<QueueClient> {
    await this.#client.close()
    this.#driver = new InstrumentedDriver(await this.target.open(this.store))
    this.#client = new QueueClient(this.#driver)
    return this.#client
  }

  /** A line for the report, e.g. duplicates counted under load. */
  note(text: string): void {
    this.notes.push(text)
  }

  /**
   * Ends everything the case started: kills child processes, stops consumers, runs cleanups, deletes
   * the queues it created (best effort) and closes the client. Never throws.
   */
  async dispose(): Promise<void> {
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error('the case ended'))
    this.#driver.clear()
    for (const child of this.#children) child.kill('SIGKILL')
    await Promise.allSettled([...this.#consumers].map((c) => c.stop()))
    await Promise.allSettled(this.#cleanups.map(async (cleanup) => cleanup()))
    if (!this.#client.closed) {
      await Promise.allSettled([...this.#created].map((name) => this.#client.deleteQueue(name)))
      await Promise.allSettled([...this.#topics].map((name) => this.#client.deleteTopic(name)))
    }
    await this.#client.close().catch(() => {})
  }
}

/** A short random id for stores and queue names, unique per run. */
export function runId(): string {
  return randomBytes(4).toString('hex')
}

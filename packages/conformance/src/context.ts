import { randomBytes } from 'node:crypto'
import { type Payload, type Queue, QueueClient } from '@anyqueue/queue-core'
import type { Capabilities } from '@anyqueue/queue-core/driver'
import type { ConformanceTarget } from './target.js'

/** What a case gets: a fresh client on its own store, and helpers to make queues. */
export class CaseContext {
  readonly target: ConformanceTarget
  readonly store: string
  readonly notes: string[] = []
  #client: QueueClient
  readonly #created = new Set<string>()
  #counter = 0

  private constructor(target: ConformanceTarget, store: string, client: QueueClient) {
    this.target = target
    this.store = store
    this.#client = client
  }

  static async open(target: ConformanceTarget, store: string): Promise<CaseContext> {
    return new CaseContext(target, store, new QueueClient(await target.open(store)))
  }

  get client(): QueueClient {
    return this.#client
  }

  get capabilities(): Capabilities {
    return this.#client.capabilities
  }

  /** The driver's lease in milliseconds. */
  get leaseMs(): number {
    return this.#client.driver.leaseSeconds * 1000
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

  /** Closes this case's client and opens a new driver on the same store. */
  async reopen(): Promise<QueueClient> {
    await this.#client.close()
    this.#client = new QueueClient(await this.target.open(this.store))
    return this.#client
  }

  /** A line for the report, e.g. duplicates counted under load. */
  note(text: string): void {
    this.notes.push(text)
  }

  /** Deletes the queues the case created (best effort) and closes the client. */
  async dispose(): Promise<void> {
    if (!this.#client.closed) {
      await Promise.allSettled([...this.#created].map((name) => this.#client.deleteQueue(name)))
    }
    await this.#client.close()
  }
}

/** A short random id for stores and queue names, unique per run. */
export function runId(): string {
  return randomBytes(4).toString('hex')
}

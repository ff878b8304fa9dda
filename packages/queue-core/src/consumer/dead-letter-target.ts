import { sendToDeadLetter } from '../dead-letters.js'
import { PromiseCache } from '../driver-kit.js'
import type { Message, Queue } from '../queue.js'
import { defaultDeadLetterName } from './options.js'

/**
 * Where a consumer's exhausted messages go: the queue the caller named, or `<name>-dlq` on the
 * same client, created on first use (a failed creation is forgotten and tried again next time).
 */
export class DeadLetterTarget {
  readonly #source: Queue<any>
  readonly #named: Queue<any> | undefined
  readonly #created = new PromiseCache<string, Queue<any>>()

  constructor(source: Queue<any>, named: Queue<any> | undefined) {
    this.#source = source
    this.#named = named
  }

  queue(): Promise<Queue<any>> {
    if (this.#named) return Promise.resolve(this.#named)
    const name = defaultDeadLetterName(this.#source.name)
    return this.#created.get(name, async () => {
      await this.#source.client.createQueue(name)
      return this.#source.client.queue(name)
    })
  }

  /** Sends `message` there with `reason`, then acks it from its own queue. */
  async send(message: Message<any>, reason: string): Promise<void> {
    await this.put(message, reason)
    await this.#source.ack(message)
  }

  /**
   * Sends `message` there with `reason` and leaves it in its own queue: for a trigger runner, whose
   * platform settles the message itself once told it was handled.
   */
  async put(message: Message<any>, reason: string): Promise<void> {
    await sendToDeadLetter(await this.queue(), this.#source, message, reason)
  }
}

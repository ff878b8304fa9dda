import { LIMITS } from '../limits.js'
import type { Message, Queue } from '../queue.js'

/** Called once an ack went out: with `undefined` on success, the error on failure, and the message. */
export type AckDone = (error: unknown, message: Message<any>) => void

/**
 * Acks of handlers that finish together go out as one `ackBatch`: flushed at a full batch, or on
 * the next turn of the event loop. Each ack still learns its own result. Callbacks, not promises:
 * at tens of thousands of messages a second, a promise per ack is garbage worth avoiding.
 */
export class AckBatcher {
  readonly #queue: Queue<any>
  #messages: Message<any>[] = []
  #done: AckDone[] = []
  #scheduled = false

  constructor(queue: Queue<any>) {
    this.#queue = queue
  }

  ack(message: Message<any>, done: AckDone): void {
    this.#messages.push(message)
    this.#done.push(done)
    if (this.#messages.length >= LIMITS.maxBatch) this.flush()
    else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => this.flush())
    }
  }

  /** Sends every pending ack now. */
  flush(): void {
    this.#scheduled = false
    while (this.#messages.length > 0) {
      const messages = this.#messages.splice(0, LIMITS.maxBatch)
      const done = this.#done.splice(0, LIMITS.maxBatch)
      let sent: Promise<void>
      try {
        sent = this.#queue.ackBatch(messages)
      } catch (error) {
        sent = Promise.reject(error)
      }
      sent.then(
        () => {
          for (let i = 0; i < done.length; i++) done[i]!(undefined, messages[i]!)
        },
        (error: unknown) => {
          for (let i = 0; i < done.length; i++) done[i]!(error ?? new Error('ackBatch failed'), messages[i]!)
        },
      )
    }
  }
}

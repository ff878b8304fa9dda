import { LIMITS } from '../limits.js'
import type { Message, Queue } from '../queue.js'

interface PendingAck {
  message: Message<any>
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Acks of handlers that finish together go out as one `ackBatch`: flushed at a full batch, or on
 * the next turn of the event loop. Each ack still resolves or rejects on its own.
 */
export class AckBatcher {
  readonly #queue: Queue<any>
  #pending: PendingAck[] = []
  #scheduled = false

  constructor(queue: Queue<any>) {
    this.#queue = queue
  }

  ack(message: Message<any>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ message, resolve, reject })
      if (this.#pending.length >= LIMITS.maxBatch) this.flush()
      else if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Sends every pending ack now. */
  flush(): void {
    this.#scheduled = false
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, LIMITS.maxBatch)
      let sent: Promise<void>
      try {
        sent = this.#queue.ackBatch(batch.map((p) => p.message))
      } catch (error) {
        sent = Promise.reject(error)
      }
      sent.then(
        () => {
          for (const p of batch) p.resolve()
        },
        (error: unknown) => {
          for (const p of batch) p.reject(error)
        },
      )
    }
  }
}

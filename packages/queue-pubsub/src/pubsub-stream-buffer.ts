import type { protos } from '@google-cloud/pubsub'

type Received = protos.google.pubsub.v1.IReceivedMessage

/**
 * Deliveries a stream received beyond the consumer's credit (the emulator ignores the server-side
 * flow control, and Pub/Sub may overshoot it), in arrival order. While any wait, one timer extends
 * their leases every third of a lease, so each is handed over with at least two thirds of one left.
 */
export class StreamBuffer {
  readonly #extendEveryMs: number
  readonly #extend: (ackIds: string[]) => void
  #items: Received[] = []
  #head = 0
  #timer: NodeJS.Timeout | undefined

  constructor(leaseSeconds: number, extend: (ackIds: string[]) => void) {
    this.#extendEveryMs = (leaseSeconds * 1000) / 3
    this.#extend = extend
  }

  get size(): number {
    return this.#items.length - this.#head
  }

  push(received: Received[]): void {
    if (this.size === 0) {
      this.#items = received.slice()
      this.#head = 0
    } else for (const m of received) this.#items.push(m)
    this.#timer ??= setInterval(() => this.#extendAll(), this.#extendEveryMs)
    this.#timer.unref?.()
  }

  /** Up to `max` deliveries, oldest first. */
  take(max: number): Received[] {
    const end = Math.min(this.#items.length, this.#head + max)
    const taken = this.#items.slice(this.#head, end)
    this.#head = end
    if (this.size === 0) this.#reset()
    return taken
  }

  /** Empties the buffer; returns the ack ids it held. */
  clear(): string[] {
    const held = this.#items.slice(this.#head).map((m) => m.ackId ?? '')
    this.#reset()
    return held
  }

  #reset(): void {
    this.#items = []
    this.#head = 0
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  #extendAll(): void {
    const ackIds: string[] = []
    for (let i = this.#head; i < this.#items.length; i++) ackIds.push(this.#items[i]!.ackId ?? '')
    if (ackIds.length > 0) this.#extend(ackIds)
  }
}

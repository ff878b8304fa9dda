/**
 * The consumer's free handler slots. A poller takes up to a batch worth before it receives, gives
 * back what the receive did not fill, and each handler gives its slot back when it ends; a poller
 * with nothing to take waits here. `close()` wakes every waiter for good.
 */
export class SlotGate {
  #free: number
  #closed = false
  #waiters: Array<() => void> = []

  constructor(capacity: number) {
    this.#free = capacity
  }

  get free(): number {
    return this.#free
  }

  /** Takes up to `max` free slots; returns how many it took (0 when none are free). */
  take(max: number): number {
    const taken = Math.min(max, this.#free)
    this.#free -= taken
    return taken
  }

  release(count = 1): void {
    if (count <= 0) return
    this.#free += count
    this.#wake()
  }

  /** Resolves once a slot may be free, or at once when the gate is closed. */
  wait(): Promise<void> {
    if (this.#closed || this.#free > 0) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  close(): void {
    this.#closed = true
    this.#wake()
  }

  #wake(): void {
    if (this.#waiters.length === 0) return
    const waiting = this.#waiters
    this.#waiters = []
    for (const wake of waiting) wake()
  }
}

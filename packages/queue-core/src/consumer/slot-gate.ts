/**
 * The consumer's free handler slots, and the rule for how many a receive may ask for.
 *
 * A poller takes slots before it receives and gives back what the receive did not fill; each
 * handler gives its slot back when it ends. A receive asks for a full batch (10, or the whole
 * concurrency when that is smaller) whenever that many slots are free. It asks for fewer only when
 * no other receive is in flight: then the free slots would otherwise sit idle. While another
 * receive is out, a poller that could only ask for part of a batch waits instead, for slots or for
 * that receive to end — a receive costs the same for 6 messages as for 10, and concurrency 16
 * would otherwise settle into receives of 10 and 6 forever. `close()` wakes every waiter for good.
 */
export class SlotGate {
  readonly #capacity: number
  #free: number
  #receiving = 0
  #closed = false
  #waiters: Array<() => void> = []
  #onRelease: ((count: number) => void) | undefined

  constructor(capacity: number) {
    this.#capacity = capacity
    this.#free = capacity
  }

  get free(): number {
    return this.#free
  }

  /**
   * Takes the slots for one receive of up to `max` messages, by the rule above; returns how many
   * (0: wait, then try again). Each non-zero take must be followed by `received()`.
   */
  takeForReceive(max: number): number {
    const taken = Math.min(max, this.#free)
    if (taken === 0 || (taken < Math.min(max, this.#capacity) && this.#receiving > 0)) return 0
    this.#free -= taken
    this.#receiving++
    return taken
  }

  /** The receive ended; `unused` of its slots were not filled and come back. */
  received(unused: number): void {
    this.#receiving--
    this.#free += unused
    this.#wake() // also when nothing came back: a waiting poller may now take a partial batch
  }

  /** A handler ended (or a message was handed back unstarted). */
  release(count = 1): void {
    if (count <= 0) return
    this.#free += count
    this.#onRelease?.(count)
    this.#wake()
  }

  /** Slots taken by a pushed delivery (a stream's, which `takeForReceive` did not reserve). */
  take(count: number): void {
    this.#free -= count
  }

  /** Calls `listener` with every release: a stream's credit follows the free slots. */
  onRelease(listener: (count: number) => void): void {
    this.#onRelease = listener
  }

  /** Resolves at the next release or end of a receive, or at once when the gate is closed. */
  wait(): Promise<void> {
    if (this.#closed) return Promise.resolve()
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

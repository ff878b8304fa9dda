/**
 * The calls of a client or queue still in flight, for `close()` to wait on. A count rather than a
 * Set of promises: every receive and ack passes through here, and adding and deleting a promise
 * in a Set costs more than the bookkeeping is worth.
 */
export class InFlight {
  #count = 0
  #waiters: Array<() => void> = []
  readonly #settle = () => {
    if (--this.#count > 0 || this.#waiters.length === 0) return
    const waiters = this.#waiters
    this.#waiters = []
    for (const resolve of waiters) resolve()
  }

  /** Counts `promise` until it settles; returns it. */
  track<R>(promise: Promise<R>): Promise<R> {
    this.#count += 1
    promise.then(this.#settle, this.#settle)
    return promise
  }

  /** Resolves once no tracked call is left (callers stop new calls first, as `close()` does). */
  settled(): Promise<void> {
    if (this.#count === 0) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }
}

/**
 * A shared/exclusive lock for the topics of one store: publishes share it, subscription and topic
 * changes hold it alone. So a publish sees one set of subscriptions from its start to its write —
 * it reaches exactly the subscriptions that existed (and matched) — and a change waits for the
 * publishes in flight. Waiters are served in arrival order: a change is not starved by a stream of
 * publishes, and publishes arriving after a waiting change wait for it.
 */
export class TopicLock {
  #shared = 0
  #exclusive = false
  readonly #waiting: Array<{ exclusive: boolean; grant: () => void }> = []

  /** Runs `call` alongside other shared holders. */
  shared<T>(call: () => Promise<T>): Promise<T> {
    return this.#hold(false, call)
  }

  /** Runs `call` with no other holder. */
  exclusive<T>(call: () => Promise<T>): Promise<T> {
    return this.#hold(true, call)
  }

  async #hold<T>(exclusive: boolean, call: () => Promise<T>): Promise<T> {
    if (this.#waiting.length === 0 && this.#free(exclusive)) this.#take(exclusive)
    else await new Promise<void>((grant) => this.#waiting.push({ exclusive, grant }))
    try {
      return await call()
    } finally {
      if (exclusive) this.#exclusive = false
      else this.#shared--
      this.#drain()
    }
  }

  #free(exclusive: boolean): boolean {
    return !this.#exclusive && (!exclusive || this.#shared === 0)
  }

  #take(exclusive: boolean): void {
    if (exclusive) this.#exclusive = true
    else this.#shared++
  }

  #drain(): void {
    while (this.#waiting.length > 0 && this.#free(this.#waiting[0]!.exclusive)) {
      const next = this.#waiting.shift()!
      this.#take(next.exclusive)
      next.grant()
    }
  }
}

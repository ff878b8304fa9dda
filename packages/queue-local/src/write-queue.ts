export type Batch = Array<{ type: 'put'; key: string; value: string } | { type: 'del'; key: string }>

/**
 * Group commit for the unsynced writes (delivery records, acks): while one batch is being written,
 * the writes that arrive are gathered and go to LevelDB as the next single batch. A batch starts one
 * microtask after its first write is queued, so the writes queued in the same synchronous run share
 * it too (a consumer's acks and its next receive); a sequential caller waits one microtask longer.
 * Writes land in the order they were queued.
 */
export class WriteQueue {
  readonly #write: (ops: Batch) => Promise<void>
  #pending: Batch = []
  #waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = []
  #flushing: Promise<void> | undefined

  constructor(write: (ops: Batch) => Promise<void>) {
    this.#write = write
  }

  push(ops: Batch): Promise<void> {
    return new Promise((resolve, reject) => {
      for (const op of ops) this.#pending.push(op)
      this.#waiters.push({ resolve, reject })
      this.#flushing ??= this.#flush()
    })
  }

  /** Resolves once everything queued so far is written (or failed). */
  async settled(): Promise<void> {
    await this.#flushing
  }

  async #flush(): Promise<void> {
    // Writes queued in the same synchronous run share the batch: a consumer acks one
    // receive's messages and starts its next receive in one synchronous run, so the acks' deletes
    // and the next delivered mark become one LevelDB call instead of two.
    await undefined
    while (this.#waiters.length > 0) {
      const ops = this.#pending
      const waiters = this.#waiters
      this.#pending = []
      this.#waiters = []
      try {
        await this.#write(ops)
        for (const w of waiters) w.resolve()
      } catch (error) {
        for (const w of waiters) w.reject(error)
      }
    }
    this.#flushing = undefined
  }
}

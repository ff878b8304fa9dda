export type Settlement = 'complete' | 'abandon'

/**
 * Settlements of one kind issued together go out together; a different kind waits until those
 * left. rhea, under the SDK, coalesces the dispositions issued before its next flush into ranges
 * of delivery ids, and a range carries one outcome: a complete and an abandon issued in the same
 * tick on consecutive deliveries can both reach the broker as the first one's outcome.
 */
export class SettlementLane {
  #kind: Settlement | undefined
  #flushed: Promise<void> = Promise.resolve()

  async run<T>(kind: Settlement, settle: () => Promise<T>): Promise<T> {
    while (this.#kind !== undefined && this.#kind !== kind) await this.#flushed
    if (this.#kind === undefined) {
      this.#kind = kind
      // rhea flushes on process.nextTick; an immediate runs after it.
      this.#flushed = new Promise((resolve) =>
        setImmediate(() => {
          this.#kind = undefined
          resolve()
        }),
      )
    }
    return settle()
  }
}

/**
 * Deliveries of each message id seen by this process, for pushes that carry no `deliveryAttempt`
 * (a subscription without a dead-letter policy, or Google's emulator, which never sends it). Per
 * process and bounded (the oldest ids are forgotten first), so an approximation: behind several
 * instances each counts its own. A dead-letter policy makes Pub/Sub count, exactly.
 */
export class AttemptCounter {
  readonly #counts = new Map<string, number>()
  readonly #max: number

  constructor(max = 10_000) {
    this.#max = max
  }

  /** Counts one more delivery of `id`; returns its number (1 on the first). */
  next(id: string): number {
    const count = (this.#counts.get(id) ?? 0) + 1
    this.#counts.delete(id) // re-inserted at the back: the map's order is least recently seen first
    this.#counts.set(id, count)
    if (this.#counts.size > this.#max) this.#counts.delete(this.#counts.keys().next().value!)
    return count
  }

  /** The message was settled for good (acked or dead-lettered): its count is dropped. */
  forget(id: string): void {
    this.#counts.delete(id)
  }

  get size(): number {
    return this.#counts.size
  }
}

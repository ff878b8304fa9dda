import { MinHeap } from './heap.js'

/** What the index keeps per message: no body, so memory stays small however large messages are. */
export interface Entry {
  /** Deliveries so far. The current lease's receipt handle carries this number as its token. */
  deliveries: number
  /** Epoch ms from which the message may be delivered (after a delay or a lease). */
  visibleAt: number
  /** True while the seq sits in the ready heap. */
  ready: boolean
}

/**
 * The in-memory view of one queue. LevelDB admits one process per database, so within that process
 * this index is the truth and the store is its durable copy. All methods are synchronous: a message
 * is leased in the same tick it is picked, so concurrent receives can never take the same one.
 */
export class QueueIndex {
  nextSeq: number
  readonly entries = new Map<number, Entry>()
  /** Visible messages, oldest seq first: FIFO. */
  readonly #ready = new MinHeap<number>((a, b) => a < b)
  /** Delayed and leased messages, soonest visibility first; entries may be stale. */
  readonly #pending = new MinHeap<{ at: number; seq: number }>((a, b) => a.at < b.at)
  readonly #waiters = new Set<() => void>()

  constructor(nextSeq = 0) {
    this.nextSeq = nextSeq
  }

  /** Adds a message (on send, or when loading from disk). */
  insert(seq: number, deliveries: number, visibleAt: number, now: number): void {
    const entry: Entry = { deliveries, visibleAt, ready: false }
    this.entries.set(seq, entry)
    this.#schedule(seq, entry, now)
  }

  /**
   * Leases up to `max` visible messages, oldest first. Expired leases are reclaimed here, lazily,
   * rather than by timers.
   */
  take(max: number, now: number, leaseMs: number): Array<{ seq: number; entry: Entry }> {
    this.#promote(now)
    const taken: Array<{ seq: number; entry: Entry }> = []
    while (taken.length < max && this.#ready.size > 0) {
      const seq = this.#ready.pop()!
      const entry = this.entries.get(seq)
      if (!entry?.ready) continue
      entry.ready = false
      entry.deliveries += 1
      entry.visibleAt = now + leaseMs
      this.#pending.push({ at: entry.visibleAt, seq })
      taken.push({ seq, entry })
    }
    return taken
  }

  /** The entry a handle names, if that handle's lease is still the latest one. */
  current(seq: number, token: number): Entry | undefined {
    const entry = this.entries.get(seq)
    return entry && entry.deliveries === token ? entry : undefined
  }

  remove(seq: number): void {
    this.entries.delete(seq)
  }

  /** Makes the message visible at `visibleAt` (a nack, a renewal, or a rollback). */
  reschedule(seq: number, entry: Entry, visibleAt: number, now: number): void {
    entry.visibleAt = visibleAt
    entry.ready = false
    this.#schedule(seq, entry, now)
  }

  /** Ms until the next delayed or leased message becomes visible, or Infinity. */
  nextVisibleIn(now: number): number {
    for (;;) {
      const head = this.#pending.peek()
      if (head === undefined) return Number.POSITIVE_INFINITY
      const entry = this.entries.get(head.seq)
      if (entry && !entry.ready && entry.visibleAt === head.at) return Math.max(0, head.at - now)
      this.#pending.pop()
    }
  }

  /** Resolves on the next `notify()`, after `ms`, or on abort — whichever is first. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve()
      const done = () => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1))
      this.#waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  /** Wakes every waiting receive (new messages, or shutting down). */
  notify(): void {
    for (const wake of [...this.#waiters]) wake()
  }

  get size(): number {
    return this.entries.size
  }

  #schedule(seq: number, entry: Entry, now: number): void {
    if (entry.visibleAt <= now) {
      entry.ready = true
      this.#ready.push(seq)
    } else {
      this.#pending.push({ at: entry.visibleAt, seq })
    }
  }

  #promote(now: number): void {
    for (;;) {
      const head = this.#pending.peek()
      if (head === undefined || head.at > now) return
      this.#pending.pop()
      const entry = this.entries.get(head.seq)
      if (entry && !entry.ready && entry.visibleAt === head.at) {
        entry.ready = true
        this.#ready.push(head.seq)
      }
    }
  }
}

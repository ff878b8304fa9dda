import TinyQueue from 'tinyqueue'

export enum Place {
  /** Visible: in the ready heap. */
  Ready = 0,
  /** Leased: in the lease list. */
  Leased = 1,
  /** Delayed (a delayed send or nack): in the waiting heap. */
  Waiting = 2,
  /** Acked, or its queue deleted. */
  Gone = 3,
}

/** What the index keeps per message in memory. */
export interface Entry {
  readonly seq: number
  /** Deliveries so far. The current lease's receipt handle carries this number as its token. */
  deliveries: number
  /** Epoch ms from which the message may be delivered (after a delay or a lease). */
  visibleAt: number
  place: Place
  /** A state record (S!) may exist on disk, so an ack must delete it too. */
  stored: boolean
  /** The encoded message, kept from the send or the read-ahead until its first delivery. */
  value: string | undefined
  /** Not yet delivered and counted against the read-ahead budget. */
  buffered: boolean
  /** The message's key, where the send or the read-ahead had it: an ack then formats none. */
  key: string | undefined
  /** Neighbours in the lease list, while leased. */
  prevLease: Entry | undefined
  nextLease: Entry | undefined
}

/** Most undelivered messages the index holds in memory; the rest of a backlog stays on disk. */
export const BUFFER_LIMIT = 2_048
/** Messages read from disk at a time, in key order, when the in-memory ones run short. */
export const READ_AHEAD = 128
/** Bodies larger than this are read again at delivery rather than kept in memory. */
const KEEP_VALUE_BYTES = 16_384

/**
 * The in-memory view of one queue. LevelDB admits one process per database, so within that process
 * this index is the truth and the store is its durable copy. Memory stays flat however long the
 * queue: messages at or above `scan` (a cursor in key order) stay on disk until a receive needs
 * them, apart from delayed ones, which are always held (their visibility is in their state record).
 * All methods are synchronous: a message is leased in the same tick it is picked, so concurrent
 * receives can never take the same one.
 */
export class QueueIndex {
  /** The next seq a send gets. */
  nextSeq: number
  /** The ceiling on disk (see `N!`): sends may use seqs below it without writing it. */
  ceiling: number
  /** The delivered mark as loaded on open: a message read from disk below it was delivered once. */
  readonly loadedMark: number
  /** The mark the next write of `D!` records: every seq below it was delivered, or has a record. */
  mark: number
  /** The highest mark known to be on disk. */
  markOnDisk: number
  /** The highest mark queued for writing. */
  markQueued: number
  /** Every message below `scan` is in `entries` (or gone); from `scan` on, only delayed ones. */
  scan: number
  readonly entries = new Map<number, Entry>()
  /** Visible messages, oldest seq first: FIFO. May hold stale entries, skipped on pop. */
  readonly #ready = new TinyQueue<Entry>([], (a, b) => a.seq - b.seq)
  /**
   * Leased messages in order of expiry (every lease lasts the same, so that is the order they were
   * leased in): a list threaded through the entries, so leasing and acking allocate nothing.
   */
  #leaseHead: Entry | undefined
  #leaseTail: Entry | undefined
  #leaseCount = 0
  /** Delayed messages, soonest first; entries may be stale. */
  readonly #waiting = new TinyQueue<{ at: number; entry: Entry }>([], (a, b) => a.at - b.at)
  /** First seqs of sends whose write has not completed: the read-ahead must not pass them. */
  readonly #sending = new Set<number>()
  readonly #waiters = new Set<() => void>()
  #buffered = 0

  constructor(nextSeq: number, mark: number, scan: number) {
    this.nextSeq = nextSeq
    this.ceiling = nextSeq
    this.loadedMark = mark
    this.mark = mark
    this.markOnDisk = mark
    this.markQueued = mark
    this.scan = scan
  }

  /** Reserves `count` seqs for a send; the first one also names the send until it completes. */
  allocate(count: number): number {
    const first = this.nextSeq
    this.nextSeq += count
    this.#sending.add(first)
    return first
  }

  /**
   * A send's write completed: delayed messages are always held; the rest too while they extend the
   * in-memory run and the buffer has room, else they wait on disk for the read-ahead.
   */
  sent(
    first: number,
    messages: ReadonlyArray<{ value: string; visibleAt: number; key?: string }>,
    now: number,
  ): void {
    this.#sending.delete(first)
    const absorb =
      first === this.scan &&
      this.#buffered + messages.length <= BUFFER_LIMIT &&
      this.#lowestSending() >= first + messages.length
    messages.forEach(({ value, visibleAt, key }, i) => {
      const seq = first + i
      if (visibleAt > now) this.#add(seq, 0, visibleAt, true, undefined, undefined, now)
      else if (absorb) this.#add(seq, 0, 0, false, value, key, now)
    })
    if (absorb) this.scan = first + messages.length
  }

  /** A send's write failed: its seqs are skipped for good. */
  unsent(first: number): void {
    this.#sending.delete(first)
  }

  /** Adds a message that has a state record on disk (on open). */
  restore(seq: number, deliveries: number, visibleAt: number, now: number): void {
    this.#add(seq, deliveries, visibleAt, true, undefined, undefined, now)
  }

  /**
   * Where the read-ahead should read next: `[from, to)`; undefined when all is in memory, or when
   * `max` visible messages wait ahead of the cursor already (by default, whatever waits).
   */
  unread(max = Number.POSITIVE_INFINITY): { from: number; to: number } | undefined {
    const to = Math.min(this.#lowestSending(), this.nextSeq)
    if (this.scan >= to) return undefined
    const head = this.#ready.peek()
    // Enough visible messages ahead of the cursor already: no read yet.
    if (this.#ready.length >= max && head !== undefined && head.seq < this.scan) return undefined
    return { from: this.scan, to }
  }

  /**
   * Takes in the `[key, value]` rows the read-ahead found in `[from, to)`, `seqOf` telling each
   * key's seq; `complete` when it read to `to`.
   */
  read(
    rows: ReadonlyArray<readonly [string, string]>,
    seqOf: (key: string) => number,
    to: number,
    complete: boolean,
    now: number,
  ): void {
    let last = -1
    for (const [key, value] of rows) {
      const seq = seqOf(key)
      last = seq
      if (seq < this.scan || this.entries.has(seq)) continue // a delayed one, held already
      this.#add(seq, seq < this.loadedMark ? 1 : 0, 0, false, value, key, now)
    }
    const end = complete ? to : last + 1
    if (end > this.scan) this.scan = end
  }

  /**
   * Leases up to `max` visible messages, oldest first. Expired leases and due delays are promoted
   * here, lazily, rather than by timers. Stops at the cursor while messages below it on disk are
   * unread, so FIFO holds across the read-ahead.
   */
  take(max: number, now: number, leaseMs: number): Entry[] {
    this.#promote(now)
    // Messages from the cursor on are on disk (or in flight): only delayed ones are held, and they
    // wait until the read-ahead passes them.
    const unreadFrom = this.scan < this.nextSeq ? this.scan : Number.POSITIVE_INFINITY
    const taken: Entry[] = []
    while (taken.length < max) {
      const entry = this.#ready.peek()
      if (entry === undefined || entry.seq >= unreadFrom) break
      this.#ready.pop()
      if (entry.place !== Place.Ready) continue
      entry.deliveries += 1
      if (entry.buffered) {
        entry.buffered = false
        this.#buffered -= 1
      }
      this.#lease(entry, now + leaseMs)
      taken.push(entry)
    }
    return taken
  }

  /**
   * Which taken entries need a state record for their delivery count to survive a restart, after
   * raising the mark over the first deliveries the mark can cover.
   */
  recordsFor(taken: readonly Entry[]): Entry[] {
    const limit = Math.min(this.#lowestSending(), this.nextSeq)
    let top = -1
    for (const e of taken) if (e.deliveries === 1 && !e.stored && e.seq > top) top = e.seq
    // Nothing undelivered and unrecorded lies below a taken seq: the ready heap is popped in seq
    // order, delayed messages have records, unread ones are above the cursor, sends in flight are
    // excluded by `limit`.
    if (top >= 0) this.mark = Math.max(this.mark, Math.min(top + 1, limit))
    return taken.filter((e) => e.stored || e.deliveries > 1 || e.seq >= this.mark)
  }

  /** The entry a handle names, if that handle's delivery is still the latest one. */
  current(seq: number, token: number): Entry | undefined {
    const entry = this.entries.get(seq)
    return entry && entry.deliveries === token ? entry : undefined
  }

  /** Forgets an acked (or vanished) message. */
  remove(entry: Entry): void {
    if (entry.place === Place.Gone) return
    if (entry.place === Place.Leased) this.#unlease(entry)
    if (entry.buffered) this.#buffered -= 1
    entry.place = Place.Gone
    entry.value = undefined
    this.entries.delete(entry.seq)
  }

  /** Makes the message visible at `visibleAt`: a nack, or a delivery that failed. */
  release(entry: Entry, visibleAt: number, now: number): void {
    if (entry.place === Place.Gone) return
    if (entry.place === Place.Leased) this.#unlease(entry)
    this.#schedule(entry, visibleAt, now)
  }

  /** Restarts the lease from now (a renewal). */
  renew(entry: Entry, visibleAt: number): void {
    if (entry.place === Place.Gone) return
    if (entry.place === Place.Leased) this.#unlease(entry)
    this.#lease(entry, visibleAt)
  }

  /** Ms until the next lease or delay ends, or Infinity. */
  nextVisibleIn(now: number): number {
    let at = this.#leaseHead?.visibleAt ?? Number.POSITIVE_INFINITY
    for (;;) {
      const head = this.#waiting.peek()
      if (head === undefined) break
      if (head.entry.place === Place.Waiting && head.entry.visibleAt === head.at) {
        at = Math.min(at, head.at)
        break
      }
      this.#waiting.pop()
    }
    return Math.max(0, at - now)
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

  /** Messages held in memory (the rest of a backlog is on disk). */
  get size(): number {
    return this.entries.size
  }

  /** Items in every in-memory structure, stale ones included: what flat memory is measured by. */
  get footprint(): number {
    return (
      this.entries.size + this.#leaseCount + this.#ready.length + this.#waiting.length + this.#sending.size
    )
  }

  #add(
    seq: number,
    deliveries: number,
    visibleAt: number,
    stored: boolean,
    value: string | undefined,
    key: string | undefined,
    now: number,
  ) {
    const buffered = deliveries === 0 && value !== undefined
    const entry: Entry = {
      seq,
      deliveries,
      visibleAt,
      place: Place.Gone,
      stored,
      value: value !== undefined && value.length <= KEEP_VALUE_BYTES ? value : undefined,
      buffered,
      key,
      prevLease: undefined,
      nextLease: undefined,
    }
    if (buffered) this.#buffered += 1
    this.entries.set(seq, entry)
    this.#schedule(entry, visibleAt, now)
  }

  /** Appends to the lease list: the entry's lease ends last. */
  #lease(entry: Entry, visibleAt: number): void {
    entry.place = Place.Leased
    entry.visibleAt = visibleAt
    const tail = this.#leaseTail
    entry.prevLease = tail
    entry.nextLease = undefined
    if (tail === undefined) this.#leaseHead = entry
    else tail.nextLease = entry
    this.#leaseTail = entry
    this.#leaseCount += 1
  }

  #unlease(entry: Entry): void {
    const { prevLease, nextLease } = entry
    if (prevLease === undefined) this.#leaseHead = nextLease
    else prevLease.nextLease = nextLease
    if (nextLease === undefined) this.#leaseTail = prevLease
    else nextLease.prevLease = prevLease
    entry.prevLease = undefined
    entry.nextLease = undefined
    this.#leaseCount -= 1
  }

  #schedule(entry: Entry, visibleAt: number, now: number): void {
    entry.visibleAt = visibleAt
    if (visibleAt <= now) {
      entry.place = Place.Ready
      this.#ready.push(entry)
    } else {
      entry.place = Place.Waiting
      this.#waiting.push({ at: visibleAt, entry })
    }
  }

  #promote(now: number): void {
    for (
      let entry = this.#leaseHead;
      entry !== undefined && entry.visibleAt <= now;
      entry = this.#leaseHead
    ) {
      this.#unlease(entry)
      entry.place = Place.Ready
      this.#ready.push(entry)
    }
    for (;;) {
      const head = this.#waiting.peek()
      if (head === undefined || head.at > now) return
      this.#waiting.pop()
      const { entry } = head
      if (entry.place === Place.Waiting && entry.visibleAt === head.at) {
        entry.place = Place.Ready
        this.#ready.push(entry)
      }
    }
  }

  #lowestSending(): number {
    let lowest = Number.POSITIVE_INFINITY
    for (const first of this.#sending) if (first < lowest) lowest = first
    return lowest
  }
}

import { decodeState, key, seqOf } from './keys.js'
import { QueueIndex, READ_AHEAD } from './queue-index.js'
import type { Store } from './store.js'

/**
 * Loads what a queue needs in memory: its counters and its state records (delayed messages,
 * redeliveries) — not its backlog, which the read-ahead takes in as receives need it.
 */
export function loadIndex(store: Store, queue: string): Promise<QueueIndex> {
  return store.run(async (db) => {
    const [ceiling, mark] = await db.getMany([key.ceiling(queue), key.delivered(queue)])
    const range = key.range('M', queue)
    const [[head] = [], [last] = []] = await Promise.all([
      db.keys({ ...range, limit: 1 }).all(),
      db.keys({ ...range, limit: 1, reverse: true }).all(),
    ])
    const nextSeq = Math.max(
      ceiling === undefined ? 0 : Number(ceiling),
      last === undefined ? 0 : seqOf(last) + 1,
    )
    const index = new QueueIndex(
      nextSeq,
      mark === undefined ? 0 : Number.parseInt(mark, 16),
      head ? seqOf(head) : nextSeq,
    )
    if (ceiling === undefined || Number(ceiling) < nextSeq) index.ceiling = 0 // written by the next send
    const now = Date.now()
    for await (const [k, v] of db.iterator(key.range('S', queue))) {
      const { deliveries, visibleAt } = decodeState(v)
      index.restore(seqOf(k), deliveries, visibleAt, now)
    }
    return index
  })
}

/** Reads the next messages of each queue's backlog from disk as receives need them. */
export class ReadAhead {
  readonly #store: Store
  /** Per queue, the read in flight, if any: one at a time per queue. */
  readonly #reads = new Map<QueueIndex, Promise<void>>()

  constructor(store: Store) {
    this.#store = store
  }

  /** Reads the next `READ_AHEAD` messages from the index's cursor on (or joins the read under way). */
  next(queue: string, index: QueueIndex): Promise<void> {
    let reading = this.#reads.get(index)
    if (!reading) {
      reading = (async () => {
        const range = index.unread()
        if (!range) return
        const rows = await this.#store.run((db) =>
          db
            .iterator({
              gte: key.message(queue, range.from),
              lt: key.message(queue, range.to),
              limit: READ_AHEAD,
            })
            .all(),
        )
        index.read(rows, seqOf, range.to, rows.length < READ_AHEAD, Date.now())
      })().finally(() => this.#reads.delete(index))
      this.#reads.set(index, reading)
    }
    return reading
  }

  /**
   * Starts the next read without waiting for it. A read that fails here is not reported: the
   * receive that needs its messages reads again, and reports that.
   */
  ahead(queue: string, index: QueueIndex): void {
    this.next(queue, index).catch(() => {})
  }

  /** Resolves once every read in flight has ended (or failed). */
  async settled(): Promise<void> {
    await Promise.all([...this.#reads.values()].map((read) => read.catch(() => {})))
  }
}

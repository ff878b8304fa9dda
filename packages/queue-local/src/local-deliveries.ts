import type { IncomingMessage } from '@anyqueue/queue-core/driver'
import { formatHandle, handlePrefix } from './handles.js'
import { decodeIncoming, encodeState, hex, key } from './keys.js'
import type { Entry, QueueIndex } from './queue-index.js'
import type { Store } from './store.js'
import type { Batch, WriteQueue } from './write-queue.js'

/**
 * The receive side's writes: a message is handed out only once its delivery is recorded, so a
 * crash never forgets that it was delivered (the attempt count survives a restart).
 */
export class Deliveries {
  readonly #store: Store
  /** Unsynced writes (delivery records, acks), gathered into shared batches. */
  readonly #writes: WriteQueue
  /** Per queue, the last queued write of its delivered mark. */
  readonly #markWrites = new Map<QueueIndex, Promise<void>>()

  constructor(store: Store, writes: WriteQueue) {
    this.#store = store
    this.#writes = writes
  }

  /**
   * Records the deliveries (the delivered mark, and a state record only where the mark cannot
   * tell), reads the bodies not kept in memory, and only then hands the messages out.
   */
  async deliver(queue: string, index: QueueIndex, taken: Entry[], now: number): Promise<IncomingMessage[]> {
    const records = index.recordsFor(taken)
    for (const e of records) e.stored = true
    const missing = taken.some((e) => e.value === undefined)
      ? taken.filter((e) => e.value === undefined)
      : undefined
    try {
      // Most receives find every body in memory: then the delivery record is their one write.
      if (missing === undefined) await this.#record(queue, index, records)
      else {
        const [bodies] = await Promise.all([
          this.#store.run((db) => db.getMany(missing.map((e) => key.message(queue, e.seq)))),
          this.#record(queue, index, records),
        ])
        for (let i = 0; i < missing.length; i++) missing[i]!.value = bodies[i]
      }
    } catch (error) {
      // Nothing was handed out: make the messages visible again rather than sit out a lease.
      for (const e of taken) index.release(e, now, now)
      index.notify()
      throw error
    }
    const prefix = handlePrefix(queue)
    const delivered: IncomingMessage[] = []
    for (const e of taken) {
      const value = e.value
      e.value = undefined
      if (value === undefined) {
        // A state record outlived its message (an ack raced a redelivery's record): tidy it away.
        index.remove(e)
        void this.#store.run((db) => db.del(key.state(queue, e.seq))).catch(() => {})
        continue
      }
      delivered.push(decodeIncoming(value, formatHandle(prefix, e.seq, e.deliveries), e.deliveries))
    }
    return delivered
  }

  /**
   * One write for a receive: the state records it needs, and the delivered mark if it rose. Writes
   * land in queue order, so a receive whose first deliveries a mark already queued covers waits for
   * that write rather than writing its own.
   */
  #record(queue: string, index: QueueIndex, records: readonly Entry[]): Promise<void> {
    const ops: Batch = records.map((e) => ({
      type: 'put',
      key: key.state(queue, e.seq),
      // Visible at once after a restart: the lease's holder died with the process.
      value: encodeState({ deliveries: e.deliveries, visibleAt: 0 }),
    }))
    const mark = index.mark
    if (mark > index.markQueued) {
      index.markQueued = mark
      ops.push({ type: 'put', key: key.delivered(queue), value: hex(mark) })
      const write = this.#writes.push(ops).then(
        () => {
          if (mark > index.markOnDisk) index.markOnDisk = mark
        },
        (error: unknown) => {
          index.markQueued = index.markOnDisk // the next receive writes it again
          throw error
        },
      )
      this.#markWrites.set(index, write)
      return write
    }
    const pending = index.markOnDisk < mark ? this.#markWrites.get(index) : undefined
    if (ops.length === 0) return pending ?? Promise.resolve()
    return Promise.all([this.#writes.push(ops), pending]).then(() => {})
  }
}

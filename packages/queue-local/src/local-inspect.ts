import type { PeekedIncomingMessage, PeekedState, QueueStats } from '@anyqueue/queue-core/driver'
import { decodeIncoming, key, seqOf } from './keys.js'
import { type Entry, Place, type QueueIndex } from './queue-index.js'
import type { Store } from './store.js'

/**
 * Looking at a local queue without changing it: the index knows every message it holds (delayed,
 * leased, redelivered, buffered), and the rest of a backlog — from the index's cursor on — is on
 * disk, visible and counted there by its keys. Nothing here leases, promotes or reads ahead: the
 * index is read, never written. One process holds the database, so every count is exact.
 */

/** Counts by state at this moment, from the index and the keys of the unread backlog. */
export async function localStats(store: Store, index: QueueIndex, queue: string): Promise<QueueStats> {
  const now = Date.now()
  let visible = 0
  let inFlight = 0
  let delayed = 0
  for (const entry of index.entries.values()) {
    const state = stateOf(entry, now)
    if (state === 'visible') visible++
    else if (state === 'inFlight') inFlight++
    else if (state === 'delayed') delayed++
  }
  const unread = index.unread()
  const [onDisk, oldest] = await store.run(async (db) => {
    let count = 0
    if (unread) {
      for await (const k of db.keys({
        gte: key.message(queue, unread.from),
        lt: key.message(queue, unread.to),
      })) {
        if (!index.entries.has(seqOf(k))) count++ // a held (delayed) one is counted above
      }
    }
    const [first] = await db.values({ ...key.range('M', queue), limit: 1 }).all()
    return [count, first] as const
  })
  visible += onDisk
  const oldestAt = oldest === undefined ? now : decodeIncoming(oldest, '', 0).enqueuedAt.getTime()
  return {
    visible,
    inFlight,
    active: visible + inFlight,
    delayed,
    oldestAgeSeconds: Math.max(0, (now - oldestAt) / 1000),
  }
}

/**
 * The first `max` messages in seq (FIFO) order, read from disk, each with its state and deliveries
 * from the index where it is held; one the index does not hold is on disk, visible, and delivered
 * once if below the delivered mark the queue was loaded with (as the read-ahead would count it).
 */
export async function localPeek(
  store: Store,
  index: QueueIndex,
  queue: string,
  max: number,
): Promise<PeekedIncomingMessage[]> {
  const now = Date.now()
  const end = index.unread()?.to ?? index.scan
  return store.run(async (db) => {
    const shown: PeekedIncomingMessage[] = []
    for await (const [k, value] of db.iterator(key.range('M', queue))) {
      const seq = seqOf(k)
      const entry = index.entries.get(seq)
      // Not held: acked while we read (below the cursor), or a send still being written (at its end).
      if (entry === undefined && (seq < index.scan || seq >= end)) continue
      const deliveries = entry?.deliveries ?? (seq < index.loadedMark ? 1 : 0)
      const state = entry === undefined ? 'visible' : stateOf(entry, now)
      if (state === undefined) continue
      const { receiptHandle: _handle, attempt: _attempt, ...message } = decodeIncoming(value, '', deliveries)
      shown.push({ ...message, deliveries, state })
      if (shown.length >= max) break
    }
    return shown
  })
}

/** Where an entry stands at `now`: a lease or delay that ran out is visible, as a receive would find. */
function stateOf(entry: Entry, now: number): PeekedState | undefined {
  switch (entry.place) {
    case Place.Ready:
      return 'visible'
    case Place.Leased:
      return entry.visibleAt > now ? 'inFlight' : 'visible'
    case Place.Waiting:
      return entry.visibleAt > now ? 'delayed' : 'visible'
    default:
      return undefined
  }
}

import { parseSubscriptionAddress } from '@anyqueue/queue-core/driver'
import type { Level } from 'level'
import { key } from './keys.js'
import type { Batch } from './write-queue.js'

/**
 * Final deletion. A queue (a subscription, a topic's subscriptions) is deleted in ONE synced batch
 * that removes its marker and delivered mark and writes `X!<queue>`; its messages are cleared after,
 * then the `X!` goes. A crash at any point leaves either the queue whole (the batch did not land) or
 * no marker and an `X!` that the next open completes: a deleted queue never comes back with its
 * messages, and a deletion whose call resolved is on disk.
 */
export function deletionOps(queues: readonly string[]): Batch {
  return queues.flatMap(
    (queue): Batch => [
      { type: 'del', key: key.queue(queue) },
      { type: 'del', key: key.delivered(queue) },
      { type: 'put', key: key.deleting(queue), value: '' },
    ],
  )
}

/** Clears the messages of queues whose deletion batch landed, then their `X!` marks. */
export async function clearDeleted(db: Level<string, string>, queues: readonly string[]): Promise<void> {
  for (const queue of queues) {
    await Promise.all([db.clear(key.range('M', queue)), db.clear(key.range('S', queue))])
  }
  if (queues.length > 0) await db.batch(queues.map((queue) => ({ type: 'del', key: key.deleting(queue) })))
}

async function keysOf(db: Level<string, string>, kind: string): Promise<string[]> {
  const found: string[] = []
  for await (const k of db.keys({ gt: `${kind}!`, lt: `${kind}!~` })) found.push(k.slice(kind.length + 1))
  return found
}

/**
 * On open, before anything is read: completes the deletions a crash cut short (every `X!`), and
 * deletes the subscriptions a store written before final deletion may hold detached — a
 * subscription queue without its record or its topic, a record without its topic. Removes them
 * from `known` (the queues read from the `Q!` markers).
 */
export async function finishDeletions(db: Level<string, string>, known: Set<string>): Promise<void> {
  const topics = new Set(await keysOf(db, 'T'))
  const records = await keysOf(db, 'U')
  const subscriptions = new Set(records)
  const detached = [...known].filter((queue) => {
    const address = parseSubscriptionAddress(queue)
    return (
      address !== undefined &&
      (!topics.has(address.topic) || !subscriptions.has(`${address.topic}!${address.subscription}`))
    )
  })
  const orphans: Batch = records
    .filter((record) => !topics.has(record.slice(0, record.indexOf('!'))))
    .map((record) => ({ type: 'del', key: `U!${record}` }))
  if (detached.length > 0 || orphans.length > 0) {
    await db.batch([...orphans, ...deletionOps(detached)], { sync: true })
    for (const queue of detached) known.delete(queue)
  }
  await clearDeleted(db, await keysOf(db, 'X'))
}

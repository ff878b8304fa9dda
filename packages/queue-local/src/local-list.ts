import { parseSubscriptionAddress } from '@anyqueue/queue-core/driver'
import type { Level } from 'level'

/**
 * The portable names of the queues in a local store, sorted: each `Q!<queue>` marker, without the
 * subscriptions of topics (stored as queues named `topic/subscription`). Local names are portable
 * names unchanged, so there is nothing to map back.
 */
export async function listLocalQueues(
  db: Level<string, string>,
  open: () => Promise<void>,
): Promise<string[]> {
  await open()
  const names: string[] = []
  for await (const key of db.keys({ gt: 'Q!', lt: 'Q!~' })) {
    const name = key.slice(2)
    if (!parseSubscriptionAddress(name)) names.push(name)
  }
  return names.sort()
}

/**
 * Subscription names (issue 20, DESIGN.md §5: "a subscription name is unique within its topic"):
 * each the real local driver mapping `(topic, subscription)` to one backend queue in a way that is
 * not injective. The first address that maps to a backend name owns it; any later one reads it.
 */
import { parseSubscriptionAddress, type QueueDriver } from '@anyqueue/queue-core/driver'
import type { LocalDriver } from '../../src/index.js'
import { type BrokenDriver, entry } from './wrap.js'

function mappedBy(real: LocalDriver, backendName: (topic: string, subscription: string) => string) {
  const owner = new Map<string, string>()
  const map = (queue: string) => {
    const address = parseSubscriptionAddress(queue)
    if (!address) return queue
    const name = backendName(address.topic, address.subscription)
    if (!owner.has(name)) owner.set(name, queue)
    return owner.get(name)!
  }
  return {
    receiveBatch: (q, r) => real.receiveBatch(map(q), r),
    ackBatch: (q, h) => real.ackBatch(map(q), h),
    nack: (q, h, d) => real.nack(map(q), h, d),
    renewLease: (q, h) => real.renewLease(map(q), h),
  } satisfies Partial<QueueDriver>
}

export const topicNameDrivers: BrokenDriver[] = [
  // Topic and subscription joined with '-': (`x-a`, `b`) and (`x`, `a-b`) are one queue.
  entry('subscription-names-joined-with-a-dash', 'topics.subscription-names-per-topic', (real) =>
    mappedBy(real, (topic, subscription) => `${topic}-${subscription}`),
  ),
  // Subscription names global, as if unique across topics: `jobs` of two topics is one queue.
  entry('subscription-names-global', 'topics.subscription-names-per-topic', (real) =>
    mappedBy(real, (_, subscription) => subscription),
  ),
]

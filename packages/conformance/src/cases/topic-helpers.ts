import assert from 'node:assert/strict'
import { LIMITS, type Payload, type Topic } from '@anyqueue/queue-core'

/**
 * Topic cases make several resources each (a topic, up to three subscriptions, on SQS a queue and
 * an SNS subscription apiece): on an emulator shared by the whole suite that takes a while.
 */
export const topicTimeout = (leaseMs: number) => leaseMs * 2 + 90_000

/** How long a subscription must stay silent for a message it must never get. */
export const SILENCE_MS = 3_000

/** Publishes every entry, a batch at a time, and fails on any entry the topic refuses. */
export async function publishAll<T extends Payload>(
  topic: Topic<T>,
  entries: Array<{ payload: T; attributes?: Record<string, string> }>,
): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < entries.length; i += LIMITS.maxBatch) {
    const results = await topic.publishBatch(entries.slice(i, i + LIMITS.maxBatch))
    for (const r of results) {
      assert.ok(r.ok, `publish failed: ${r.ok ? '' : r.error.message}`)
      ids.push(r.id)
    }
  }
  return ids
}

import type { QueueStats, StatsCapabilities } from '@anyqueue/queue-core/driver'
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs'

/**
 * `stats()` on SQS: the queue's own `ApproximateNumberOfMessages` (visible), `…NotVisible` (in
 * flight: received and not deleted, including a delayed nack, which SQS keeps as a longer
 * visibility timeout) and `…Delayed` (delayed sends), read with GetQueueAttributes — never by
 * receiving. SQS calls them approximate: they converge within about a minute once the queue is
 * left alone. SQS keeps no age of the oldest message outside CloudWatch, and the dead-letter queue
 * is a queue of its own (its `visible` is its count).
 */
export const SQS_STATS: StatsCapabilities = Object.freeze({
  visible: 'approximate',
  inFlight: 'approximate',
  active: 'approximate',
  delayed: 'approximate',
} as const)

const ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
] as const

/** The three counts of the queue at `url`. */
export async function readSqsStats(client: SQSClient, url: string): Promise<QueueStats> {
  const reply = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [...ATTRIBUTES] }),
  )
  const count = (name: (typeof ATTRIBUTES)[number]) => {
    const value = Number(reply.Attributes?.[name] ?? 0)
    return Number.isFinite(value) && value > 0 ? value : 0
  }
  const visible = count('ApproximateNumberOfMessages')
  const inFlight = count('ApproximateNumberOfMessagesNotVisible')
  return {
    visible,
    inFlight,
    active: visible + inFlight,
    delayed: count('ApproximateNumberOfMessagesDelayed'),
  }
}

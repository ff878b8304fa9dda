import { QUEUE_NAME_PATTERN } from '@anyqueue/queue-core/driver'
import { GetQueueAttributesCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs'
import { classifySqsError } from './sqs-errors.js'

/** What `subscriptionQueueName()` makes: `<topic ≤24>-<subscription ≤24>-<12 hex>`. */
const SUBSCRIPTION_SHAPE = /^[A-Za-z0-9_-]{1,24}-[A-Za-z0-9_-]{1,24}-[0-9a-f]{12}$/

/**
 * The portable names of the SQS queues under `prefix`, sorted. A queue's SQS name is the prefix
 * and the portable name unchanged, so the name is its URL's last segment without the prefix; names
 * no portable name maps to (FIFO `.fifo` queues, other characters) are left out. So are the queues
 * behind topic subscriptions: a name of their shape is kept only when its access policy does not
 * let SNS deliver to it (one GetQueueAttributes each, for those few).
 */
export async function listSqsQueues(client: SQSClient, prefix: string): Promise<string[]> {
  const candidates: Array<{ name: string; url: string }> = []
  let NextToken: string | undefined
  do {
    const reply = await client.send(
      new ListQueuesCommand({ QueueNamePrefix: prefix || undefined, MaxResults: 1000, NextToken }),
    )
    for (const url of reply.QueueUrls ?? []) {
      const sqsName = decodeURIComponent(url.slice(url.lastIndexOf('/') + 1))
      if (!sqsName.startsWith(prefix)) continue
      const name = sqsName.slice(prefix.length)
      if (QUEUE_NAME_PATTERN.test(name)) candidates.push({ name, url })
    }
    NextToken = reply.NextToken
  } while (NextToken)
  const kept = await Promise.all(
    candidates.map(async ({ name, url }) =>
      SUBSCRIPTION_SHAPE.test(name) && (await feedsFromSns(client, url)) ? undefined : name,
    ),
  )
  return kept.filter((name) => name !== undefined).sort()
}

async function feedsFromSns(client: SQSClient, url: string): Promise<boolean> {
  try {
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Policy'] }),
    )
    return Attributes?.Policy?.includes('sns.amazonaws.com') ?? false
  } catch (error) {
    if (classifySqsError(error)?.code === 'QUEUE_NOT_FOUND') return true // deleted since: not listed
    throw error
  }
}

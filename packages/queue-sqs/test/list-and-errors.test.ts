// Against a real SQS API (moto or LocalStack, as the conformance suite resolves it): listQueues
// maps names back and leaves topic subscriptions out; a missing queue names itself.
import {
  type Backend,
  inCI,
  resolveBackend,
  type SqsConnection,
  sqsBackend,
} from '@anyqueue/conformance/backends'
import { QueueClient } from '@anyqueue/queue-core'
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createSqsDriver } from '../src/index.js'

let backend: Backend<SqsConnection> | undefined
let unavailable = ''
beforeAll(async () => {
  try {
    backend = await resolveBackend(sqsBackend, { log: false })
  } catch (error) {
    if (inCI()) throw error
    unavailable = (error as Error).message.replaceAll('\n', ' ')
  }
}, 120_000)
afterAll(() => backend?.stop())

// A prefix per run keeps a shared backend's other queues out of the listing.
const prefix = `l${Date.now().toString(36).slice(-6)}-`

describe('sqs', () => {
  test('listQueues: portable names under the prefix, sorted; subscriptions, FIFO and other queues left out', {
    timeout: 60_000,
  }, async ({ skip }) => {
    if (!backend) return skip(unavailable)
    const client = new QueueClient(createSqsDriver({ clientConfig: backend.connection, prefix }))
    try {
      expect(await client.driver.listQueues!()).toEqual([])
      for (const name of ['orders', 'Jobs', 'orders-dlq', 'a-b-0123456789ab']) await client.createQueue(name)
      await client.createTopic('news')
      await client.createSubscription('news', 'mail')
      const raw = new SQSClient(backend.connection)
      await raw.send(
        new CreateQueueCommand({ QueueName: `${prefix}x.fifo`, Attributes: { FifoQueue: 'true' } }),
      )
      await raw.send(new CreateQueueCommand({ QueueName: `other-${prefix}orders` }))
      raw.destroy()
      // `a-b-0123456789ab` has a subscription queue's shape but is a queue: it stays.
      expect(await client.driver.listQueues!()).toEqual(['Jobs', 'a-b-0123456789ab', 'orders', 'orders-dlq'])
    } finally {
      await client.deleteTopic('news').catch(() => {})
      await client.close()
    }
  })

  test('a missing queue: QUEUE_NOT_FOUND names it and says how to create it', { timeout: 30_000 }, async ({
    skip,
  }) => {
    if (!backend) return skip(unavailable)
    const client = new QueueClient(createSqsDriver({ clientConfig: backend.connection, prefix }))
    try {
      const error = await client
        .queue('nowhere')
        .send('x')
        .catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'QUEUE_NOT_FOUND', driver: 'sqs' })
      expect((error as Error).message).toMatch(
        /^\[anyqueue\] \[sqs\] queue "nowhere" does not exist \(.+\): create it with createQueue\("nowhere"\), or open the driver with createIfMissing: true$/,
      )
    } finally {
      await client.close()
    }
  })
})

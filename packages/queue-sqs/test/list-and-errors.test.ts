// Against a real SQS API (moto or LocalStack, as the conformance suite resolves it): listQueues
// maps names back and leaves topic subscriptions out; a missing queue names itself.
import { type SqsConnection, sqsBackend } from '@anyqueue/conformance/backends'
import { fileBackend, missingQueueNamedTest } from '@anyqueue/conformance/vitest'
import { QueueClient } from '@anyqueue/queue-core'
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs'
import { describe, expect, test } from 'vitest'
import { createSqsDriver } from '../src/index.js'

const backend = fileBackend(sqsBackend, { log: false })

// A prefix per run keeps a shared backend's other queues out of the listing.
const prefix = `l${Date.now().toString(36).slice(-6)}-`
const open = (connection: SqsConnection) => createSqsDriver({ clientConfig: connection, prefix })

describe('sqs', () => {
  test('listQueues: portable names under the prefix, sorted; subscriptions, FIFO and other queues left out', {
    timeout: 60_000,
  }, async ({ skip }) => {
    const { connection } = backend.require(skip)
    const client = new QueueClient(open(connection))
    try {
      expect(await client.driver.listQueues!()).toEqual([])
      for (const name of ['orders', 'Jobs', 'orders-dlq', 'a-b-0123456789ab']) await client.createQueue(name)
      await client.createTopic('news')
      await client.createSubscription('news', 'mail')
      const raw = new SQSClient(connection)
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

  missingQueueNamedTest(backend, open, { via: 'send', timeoutMs: 30_000 })
})

// Against the Pub/Sub emulator (as the conformance suite resolves it): listQueues maps names back
// and leaves out what is not a queue; a missing queue names itself.
import { type PubSubConnection, pubsubBackend } from '@anyqueue/conformance/backends'
import { fileBackend, missingQueueNamedTest } from '@anyqueue/conformance/vitest'
import { QueueClient } from '@anyqueue/queue-core'
import { PubSub } from '@google-cloud/pubsub'
import { describe, expect, test } from 'vitest'
import { createPubSubDriver } from '../src/index.js'

const backend = fileBackend(pubsubBackend, { log: false })

// A prefix per run keeps a shared emulator's other resources out of the listing.
const prefix = `l${Date.now().toString(36).slice(-6)}-`
const open = (connection: PubSubConnection) => createPubSubDriver({ clientConfig: connection, prefix })

describe('pubsub', () => {
  test('listQueues: the topic/subscription pairs by portable name, sorted; topics, their subscriptions, dead-letter companions and foreign subscriptions left out', {
    timeout: 90_000,
  }, async ({ skip }) => {
    const { connection } = backend.require(skip)
    const client = new QueueClient(open(connection))
    const raw = new PubSub(connection)
    try {
      expect(await client.driver.listQueues!()).toEqual([])
      for (const name of ['orders', 'Jobs', 'orders-dlq']) await client.createQueue(name)
      await client.createTopic('news')
      await client.createSubscription('news', 'mail')
      // Another application's subscription whose id looks like a queue's, on a topic of another id.
      const [foreignTopic] = await raw.createTopic(`${prefix}feed`)
      await foreignTopic.createSubscription(`${prefix}reader`)
      expect(await client.driver.listQueues!()).toEqual(['Jobs', 'orders', 'orders-dlq'])
    } finally {
      await client.deleteTopic('news').catch(() => {})
      await raw.close()
      await client.close()
    }
  })

  missingQueueNamedTest(backend, open, { via: 'receive' })
})

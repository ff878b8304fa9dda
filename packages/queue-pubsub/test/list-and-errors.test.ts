// Against the Pub/Sub emulator (as the conformance suite resolves it): listQueues maps names back
// and leaves out what is not a queue; a missing queue names itself.
import {
  type Backend,
  inCI,
  type PubSubConnection,
  pubsubBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import { QueueClient } from '@anyqueue/queue-core'
import { PubSub } from '@google-cloud/pubsub'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createPubSubDriver } from '../src/index.js'

let backend: Backend<PubSubConnection> | undefined
let unavailable = ''
beforeAll(async () => {
  try {
    backend = await resolveBackend(pubsubBackend, { log: false })
  } catch (error) {
    if (inCI()) throw error
    unavailable = (error as Error).message.replaceAll('\n', ' ')
  }
}, 120_000)
afterAll(() => backend?.stop())

// A prefix per run keeps a shared emulator's other resources out of the listing.
const prefix = `l${Date.now().toString(36).slice(-6)}-`

describe('pubsub', () => {
  test('listQueues: the topic/subscription pairs by portable name, sorted; topics, their subscriptions, dead-letter companions and foreign subscriptions left out', {
    timeout: 90_000,
  }, async ({ skip }) => {
    if (!backend) return skip(unavailable)
    const client = new QueueClient(createPubSubDriver({ clientConfig: backend.connection, prefix }))
    const raw = new PubSub(backend.connection)
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

  test('a missing queue: QUEUE_NOT_FOUND names it and says how to create it', { timeout: 60_000 }, async ({
    skip,
  }) => {
    if (!backend) return skip(unavailable)
    const client = new QueueClient(createPubSubDriver({ clientConfig: backend.connection, prefix }))
    try {
      const error = await client
        .queue('nowhere')
        .receive({ waitSeconds: 0 })
        .catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'QUEUE_NOT_FOUND', driver: 'pubsub' })
      expect((error as Error).message).toMatch(
        /^\[anyqueue\] \[pubsub\] queue "nowhere" does not exist \(.+\): create it with createQueue\("nowhere"\), or open the driver with createIfMissing: true$/,
      )
    } finally {
      await client.close()
    }
  })
})

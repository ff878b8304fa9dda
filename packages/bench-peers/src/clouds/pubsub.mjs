import { pubsubBackend, resolveBackend } from '@anyqueue/conformance/backends'
import { QueueClient } from '@anyqueue/queue-core'
import { createPubSubDriver } from '@anyqueue/queue-pubsub'
import { PubSub } from '@google-cloud/pubsub'
import { consumeSide, fillQueue } from './consume.mjs'

/**
 * Pub/Sub: consume(16) (StreamingPull) against the SDK's streaming subscriber,
 * `subscription.on('message')` with flow control 16 and acks batched for at most 1 ms (the SDK's
 * default 100 ms ack batching holds 16 slots for up to 100 ms each: ~150 msg/s on the emulator).
 */
export const pubsubPeers = {
  name: 'pubsub',
  async open() {
    const backend = await resolveBackend(pubsubBackend)
    const driver = createPubSubDriver({ clientConfig: backend.connection, prefix: 'bench-' })
    const client = new QueueClient(driver)
    const pubsub = new PubSub(backend.connection)
    return {
      fill: async (count, payload) => ({
        ...(await fillQueue(client, 'ps', count, payload)),
      }),
      anyqueue: consumeSide(),
      sdk: {
        name: "SDK subscription.on('message')",
        async drain({ name }, count, concurrency) {
          const subscription = pubsub.subscription(driver.backendName(name), {
            flowControl: { maxMessages: concurrency, allowExcessMessages: false },
            batching: { maxMilliseconds: 1 },
          })
          let handled = 0
          await new Promise((resolve) => {
            subscription.on('message', (message) => {
              message.ack()
              if (++handled === count) resolve()
            })
            subscription.on('error', (error) => console.error('pubsub SDK:', error))
          })
          await subscription.close()
        },
      },
      async close() {
        await client.close()
        await pubsub.close()
        await backend.stop()
      },
    }
  },
}

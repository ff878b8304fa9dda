import { resolveBackend, servicebusBackend } from '@anyqueue/conformance/backends'
import { QueueClient } from '@anyqueue/queue-core'
import { createServiceBusDriver } from '@anyqueue/queue-servicebus'
import { ServiceBusClient } from '@azure/service-bus'
import { consumeSide, fillQueue } from './consume.mjs'

/** Service Bus: consume(16) against the SDK's `receiver.subscribe()`, autoComplete, 16 concurrent calls. */
export const servicebusPeers = {
  name: 'servicebus',
  async open() {
    const backend = await resolveBackend(servicebusBackend)
    const driver = createServiceBusDriver({ ...backend.connection, leaseSeconds: 60 })
    const client = new QueueClient(driver)
    const sdk = new ServiceBusClient(backend.connection.connectionString)
    return {
      fill: (count, payload) => fillQueue(client, 'sb', count, payload),
      anyqueue: consumeSide(),
      sdk: {
        name: 'SDK receiver.subscribe()',
        async drain({ name }, count, concurrency) {
          const receiver = sdk.createReceiver(name, { maxAutoLockRenewalDurationInMs: 0 })
          let handled = 0
          let subscription
          await new Promise((resolve) => {
            subscription = receiver.subscribe(
              {
                processMessage: async () => {
                  if (++handled === count) resolve()
                },
                processError: async ({ error }) => console.error('servicebus SDK:', error),
              },
              { autoCompleteMessages: true, maxConcurrentCalls: concurrency },
            )
          })
          await subscription.close()
          await receiver.close()
        },
      },
      async close() {
        await client.close()
        await sdk.close()
        await backend.stop()
      },
    }
  },
}

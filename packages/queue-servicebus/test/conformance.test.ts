import { fileURLToPath } from 'node:url'
import type { ForeignMessage } from '@anyqueue/conformance'
import { servicebusBackend } from '@anyqueue/conformance/backends'
import { backendConformanceSuite } from '@anyqueue/conformance/vitest'
import { ServiceBusClient } from '@azure/service-bus'
import { afterAll } from 'vitest'
import { createServiceBusDriver } from '../src/index.js'

const rawClients: ServiceBusClient[] = []

/**
 * Another producer on Service Bus: the raw SDK sending bytes in a data section (as .NET, Java and
 * the JS SDK's Buffer bodies do), a content type and application properties only when given.
 */
function rawServiceBusProducer(connectionString: string) {
  const client = new ServiceBusClient(connectionString)
  rawClients.push(client)
  return async (queue: string, message: ForeignMessage): Promise<void> => {
    const sender = client.createSender(queue) // the suite's drivers use no prefix
    try {
      await sender.sendMessages({
        body:
          typeof message.body === 'string' ? Buffer.from(message.body, 'utf8') : Buffer.from(message.body),
        contentType: message.contentType,
        applicationProperties: message.attributes,
      })
    } finally {
      await sender.close()
    }
  }
}

// The backend is resolved in order: SERVICEBUS_CONNECTION_STRING → Microsoft's emulator (Docker)
// → @anyqueue/servicebus-emulator in this process. A 5 s lock (Service Bus's shortest) keeps the
// lease cases short.
backendConformanceSuite(
  servicebusBackend,
  (backend) => ({
    name: 'servicebus',
    open: () => createServiceBusDriver({ ...backend.connection, leaseSeconds: 5 }),
    process: {
      module: fileURLToPath(new URL('./target.fixture.mjs', import.meta.url)),
      env: {
        ANYQUEUE_TARGET_CONFIG: JSON.stringify({ connectionString: backend.connection.connectionString }),
        ANYQUEUE_LEASE: '5',
      },
    },
    sendForeign: rawServiceBusProducer(backend.connection.connectionString),
    foreignBytes: true,
  }),
  { leaseSeconds: 5 },
)

// Registered after the suite, so it runs before the backend stops (after-hooks run in reverse).
afterAll(async () => {
  await Promise.allSettled(rawClients.map((client) => client.close()))
})

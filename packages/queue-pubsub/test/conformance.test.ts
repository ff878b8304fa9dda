import { fileURLToPath } from 'node:url'
import type { ForeignMessage } from '@anyqueue/conformance'
import { type PubSubConnection, pubsubBackend } from '@anyqueue/conformance/backends'
import { backendConformanceSuite } from '@anyqueue/conformance/vitest'
import { PubSub } from '@google-cloud/pubsub'
import { afterAll } from 'vitest'
import { createPubSubDriver } from '../src/index.js'

/** The topic id is this prefix, then the portable name. */
const PREFIX = 'aq-'
const rawClients: PubSub[] = []

/** Another producer on Pub/Sub: the raw client publishing bytes, a `content-type` attribute only when given. */
function rawPubSubProducer(connection: PubSubConnection) {
  const pubsub = new PubSub(connection)
  rawClients.push(pubsub)
  return async (queue: string, message: ForeignMessage): Promise<void> => {
    const attributes = { ...message.attributes }
    if (message.contentType !== undefined) attributes['content-type'] = message.contentType
    const data =
      typeof message.body === 'string' ? Buffer.from(message.body, 'utf8') : Buffer.from(message.body)
    await pubsub.topic(PREFIX + queue).publishMessage({ data, attributes })
  }
}

// The backend is resolved in order: PUBSUB_EMULATOR_HOST → the emulator container (Docker) →
// Google's emulator from the Cloud CLI. 10 s is Pub/Sub's shortest ack deadline.
backendConformanceSuite(
  pubsubBackend,
  (backend) => ({
    name: 'pubsub',
    open: () => createPubSubDriver({ clientConfig: backend.connection, leaseSeconds: 10, prefix: PREFIX }),
    process: {
      module: fileURLToPath(new URL('./target.fixture.mjs', import.meta.url)),
      env: { ANYQUEUE_TARGET_CONFIG: JSON.stringify(backend.connection), ANYQUEUE_LEASE: '10' },
    },
    sendForeign: rawPubSubProducer(backend.connection),
    foreignBytes: true,
  }),
  { leaseSeconds: 10 },
)

// Registered after the suite, so it runs before the backend stops (after-hooks run in reverse).
afterAll(async () => {
  await Promise.allSettled(rawClients.map((client) => client.close()))
})

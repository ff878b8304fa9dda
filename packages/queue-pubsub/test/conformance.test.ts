import { fileURLToPath } from 'node:url'
import { type ConformanceTarget, consumerCases, type ForeignMessage } from '@anyqueue/conformance'
import {
  type Backend,
  inCI,
  type PubSubConnection,
  pubsubBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import { conformanceSuite } from '@anyqueue/conformance/vitest'
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
// Google's emulator from the Cloud CLI; once, for both suites. Without one the suites are skipped
// with the reason, except in CI. 10 s is Pub/Sub's shortest ack deadline.
let backend: Promise<Backend<PubSubConnection> | string> | undefined
const resolved = () =>
  (backend ??= resolveBackend(pubsubBackend).catch((error: unknown) => {
    if (inCI()) throw error
    return (error as Error).message.replaceAll('\n', ' ')
  }))

function target(connection: PubSubConnection, name: string, streamingPull: boolean): ConformanceTarget {
  return {
    name,
    open: () =>
      createPubSubDriver({ clientConfig: connection, leaseSeconds: 10, prefix: PREFIX, streamingPull }),
    process: {
      module: fileURLToPath(new URL('./target.fixture.mjs', import.meta.url)),
      env: {
        ANYQUEUE_TARGET_CONFIG: JSON.stringify(connection),
        ANYQUEUE_LEASE: '10',
        ANYQUEUE_STREAMING_PULL: String(streamingPull),
      },
    },
    sendForeign: rawPubSubProducer(connection),
    foreignBytes: true,
  }
}

// The whole suite on the driver as it comes: consume() on StreamingPull.
conformanceSuite(
  async () => {
    const b = await resolved()
    return typeof b === 'string' ? b : target(b.connection, 'pubsub', true)
  },
  { name: 'pubsub', leaseSeconds: 10 },
)

// The consumer's cases again on the other path, unary Pull (`streamingPull: false`): the driver
// has both, so both are proven. The queue cases never stream, so they run once, above.
conformanceSuite(
  async () => {
    const b = await resolved()
    return typeof b === 'string' ? b : target(b.connection, 'pubsub (unary pull)', false)
  },
  { name: 'pubsub (unary pull)', leaseSeconds: 10, cases: consumerCases },
)

// Registered after the suite, so it runs before the backend stops (after-hooks run in reverse).
afterAll(async () => {
  await Promise.allSettled(rawClients.map((client) => client.close()))
  const b = await backend?.catch(() => undefined)
  if (b && typeof b !== 'string') await b.stop()
})

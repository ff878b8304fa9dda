import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TriggerTarget } from '@anyqueue/conformance'
import {
  type Backend,
  inCI,
  type PubSubConnection,
  pubsubBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import { triggerConformanceSuite } from '@anyqueue/conformance/vitest'
import { QueueClient } from '@anyqueue/queue-core'
import { PubSub } from '@google-cloud/pubsub'
import { afterAll } from 'vitest'
import {
  createPubSubDriver,
  createPubSubPushHandler,
  type PushHandler,
  toNodeListener,
} from '../src/index.js'

// The trigger conformance section for the push handler: each case's runner is a node:http server
// and a real push subscription of Google's emulator delivering to it.
const PREFIX = 'aq-'
let backend: Backend<PubSubConnection> | undefined
let raw: PubSub | undefined
let client: QueueClient | undefined

afterAll(async () => {
  await client?.close()
  await raw?.close()
  await backend?.stop()
})

triggerConformanceSuite('pubsub push handler', async (): Promise<TriggerTarget | string> => {
  try {
    backend = await resolveBackend(pubsubBackend)
  } catch (error) {
    if (inCI()) throw error
    return (error as Error).message
  }
  const pubsub = new PubSub(backend.connection)
  const opened = new QueueClient(
    createPubSubDriver({ clientConfig: backend.connection, leaseSeconds: 60, prefix: PREFIX }),
  )
  raw = pubsub
  client = opened
  return {
    name: 'pubsub push handler',
    async open() {
      const name = `pushc-${randomBytes(4).toString('hex')}`
      await opened.createQueue(name)
      const queue = opened.queue(name)
      const topic = pubsub.topic(`${PREFIX}${name}`)
      // The push subscription must exist before the case sends (Pub/Sub delivers what is published
      // after a subscription exists): until the runner starts, the server nacks with 503.
      let push: PushHandler | undefined
      const server = createServer(
        toNodeListener((request) =>
          push ? push(request) : Promise.resolve(new Response(null, { status: 503 })),
        ),
      )
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const port = (server.address() as AddressInfo).port
      const [subscription] = await topic.createSubscription(`${PREFIX}${name}-push`, {
        pushConfig: { pushEndpoint: `http://127.0.0.1:${port}/push` },
        ackDeadlineSeconds: 10,
        retryPolicy: { minimumBackoff: { seconds: 0 }, maximumBackoff: { seconds: 1 } },
      })
      return {
        queue,
        deadLetterQueue: opened.queue(`${name}-dlq`),
        sendUndecodable: async () => {
          await topic.publishMessage({
            data: Buffer.from('{not json'),
            attributes: { 'content-type': 'application/json' },
          })
        },
        async start(handler, options) {
          push = createPubSubPushHandler(queue, handler, options)
          return {
            async stop() {
              push = undefined
            },
          }
        },
        async close() {
          await subscription.delete().catch(() => {})
          server.closeAllConnections()
          await new Promise((resolve) => server.close(resolve))
          await opened.deleteQueue(name)
          await opened.deleteQueue(`${name}-dlq`)
        },
      }
    },
  }
})

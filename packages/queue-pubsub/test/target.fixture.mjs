// How a child process of the kill cases opens the same backend: the connection comes in ANYQUEUE_TARGET_CONFIG.
import { createPubSubDriver } from '../dist/index.js'

const clientConfig = JSON.parse(process.env.ANYQUEUE_TARGET_CONFIG ?? '{}')
export default {
  name: 'pubsub',
  open: () =>
    createPubSubDriver({
      clientConfig,
      leaseSeconds: Number(process.env.ANYQUEUE_LEASE ?? 10),
      streamingPull: process.env.ANYQUEUE_STREAMING_PULL !== 'false',
    }),
}

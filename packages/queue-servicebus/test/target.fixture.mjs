// How a child process of the kill cases opens the same backend: the connection comes in ANYQUEUE_TARGET_CONFIG.
// The child only sends, receives and settles: it needs no queue management.
import { createServiceBusDriver } from '../dist/index.js'

const { connectionString } = JSON.parse(process.env.ANYQUEUE_TARGET_CONFIG ?? '{}')
export default {
  name: 'servicebus',
  open: () =>
    createServiceBusDriver({ connectionString, leaseSeconds: Number(process.env.ANYQUEUE_LEASE ?? 5) }),
}

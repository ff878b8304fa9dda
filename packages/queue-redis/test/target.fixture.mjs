// How a child process of the kill cases opens the same backend: the server comes in ANYQUEUE_REDIS_URL.
import { createRedisDriver } from '../dist/index.js'

export default {
  name: 'redis',
  open: () =>
    createRedisDriver({
      url: process.env.ANYQUEUE_REDIS_URL,
      leaseSeconds: Number(process.env.ANYQUEUE_LEASE ?? 2),
    }),
}

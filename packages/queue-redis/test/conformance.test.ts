import { fileURLToPath } from 'node:url'
import { sendThroughDriver } from '@anyqueue/conformance'
import { redisBackend } from '@anyqueue/conformance/backends'
import { backendConformanceSuite } from '@anyqueue/conformance/vitest'
import { createRedisDriver } from '../src/index.js'

// The backend is resolved in order: REDIS_URL → redis via testcontainers (Docker) → redis-server on
// PATH as a child process. Every case uses queues of its own names on the one server.
// No other producer writes the driver's records: foreign messages are raw writes through it (text).
backendConformanceSuite(
  redisBackend,
  (backend) => ({
    name: 'redis',
    open: () => createRedisDriver({ url: backend.connection.url, leaseSeconds: 2 }),
    process: {
      module: fileURLToPath(new URL('./target.fixture.mjs', import.meta.url)),
      env: { ANYQUEUE_REDIS_URL: backend.connection.url, ANYQUEUE_LEASE: '2' },
    },
    sendForeign: sendThroughDriver,
  }),
  { leaseSeconds: 2 },
)

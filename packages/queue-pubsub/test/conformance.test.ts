import { fileURLToPath } from 'node:url'
import { pubsubBackend } from '@anyqueue/conformance/backends'
import { backendConformanceSuite } from '@anyqueue/conformance/vitest'
import { createPubSubDriver } from '../src/index.js'

// The backend is resolved in order: PUBSUB_EMULATOR_HOST → the emulator container (Docker) →
// Google's emulator from the Cloud CLI. 10 s is Pub/Sub's shortest ack deadline.
backendConformanceSuite(
  pubsubBackend,
  (backend) => ({
    name: 'pubsub',
    open: () => createPubSubDriver({ clientConfig: backend.connection, leaseSeconds: 10 }),
    process: {
      module: fileURLToPath(new URL('./target.fixture.mjs', import.meta.url)),
      env: { ANYQUEUE_TARGET_CONFIG: JSON.stringify(backend.connection), ANYQUEUE_LEASE: '10' },
    },
  }),
  { leaseSeconds: 10 },
)

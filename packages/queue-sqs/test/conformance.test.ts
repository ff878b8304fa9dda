import { fileURLToPath } from 'node:url'
import { sqsBackend } from '@anyqueue/conformance/backends'
import { backendConformanceSuite } from '@anyqueue/conformance/vitest'
import { createSqsDriver } from '../src/index.js'

// The backend is resolved in order: AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL → LocalStack (Docker)
// → moto_server on PATH. A 3 s visibility timeout keeps the lease cases short.
backendConformanceSuite(
  sqsBackend,
  (backend) => ({
    name: 'sqs',
    open: () => createSqsDriver({ clientConfig: backend.connection, leaseSeconds: 3 }),
    // moto's SNS fan-out costs about 25 ms a message and its receives 300 ms a call: 1,000 × 3
    // takes over 4 minutes there. 300 × 3 keeps the case's promise at a third of the volume.
    topicLoadMessages: 300,
    process: {
      module: fileURLToPath(new URL('./target.fixture.mjs', import.meta.url)),
      env: { ANYQUEUE_TARGET_CONFIG: JSON.stringify(backend.connection), ANYQUEUE_LEASE: '3' },
    },
  }),
  { leaseSeconds: 3 },
)

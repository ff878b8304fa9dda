import { fileURLToPath } from 'node:url'
import { servicebusBackend } from '@anyqueue/conformance/backends'
import { backendConformanceSuite } from '@anyqueue/conformance/vitest'
import { createServiceBusDriver } from '../src/index.js'

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
  }),
  { leaseSeconds: 5 },
)

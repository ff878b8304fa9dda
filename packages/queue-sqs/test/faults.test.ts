import { sqsBackend } from '@anyqueue/conformance/backends'
import { backendOutageTest } from '@anyqueue/conformance/vitest'
import { createSqsDriver } from '../src/index.js'

backendOutageTest(sqsBackend, {
  port: (connection) => Number(new URL(connection.endpoint).port),
  open: (connection, proxyPort) =>
    createSqsDriver({
      clientConfig: { ...connection, endpoint: `http://127.0.0.1:${proxyPort}` },
      leaseSeconds: 5,
    }),
})

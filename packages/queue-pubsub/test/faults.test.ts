import { pubsubBackend } from '@anyqueue/conformance/backends'
import { backendOutageTest } from '@anyqueue/conformance/vitest'
import { createPubSubDriver } from '../src/index.js'

backendOutageTest(pubsubBackend, {
  port: (connection) => Number(connection.apiEndpoint.slice(connection.apiEndpoint.lastIndexOf(':') + 1)),
  open: (connection, proxyPort) =>
    createPubSubDriver({
      clientConfig: { ...connection, apiEndpoint: `127.0.0.1:${proxyPort}` },
      leaseSeconds: 10,
    }),
})

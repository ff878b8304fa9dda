import { assertOutageReport, outageScenario } from '@anyqueue/conformance'
import { inCI, pubsubBackend, resolveBackend, startFaultProxy } from '@anyqueue/conformance/backends'
import { QueueClient } from '@anyqueue/queue-core'
import { afterAll, expect, test } from 'vitest'
import { createPubSubDriver } from '../src/index.js'

const backend = await resolveBackend(pubsubBackend).catch((error: unknown) => {
  if (inCI()) throw error
  return undefined
})
afterAll(() => backend?.stop())

test.skipIf(!backend)(
  'an outage mid-run: calls fail UNAVAILABLE, every resolved send is delivered',
  { timeout: 120_000 },
  async () => {
    const { apiEndpoint } = backend!.connection
    const port = Number(apiEndpoint.slice(apiEndpoint.lastIndexOf(':') + 1))
    const proxy = await startFaultProxy({ port })
    const config = { ...backend!.connection, apiEndpoint: `127.0.0.1:${proxy.port}` }
    const client = new QueueClient(createPubSubDriver({ clientConfig: config, leaseSeconds: 10 }), {
      retry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200 },
    })
    const name = `aq-outage-${Date.now()}`
    await client.createQueue(name)
    try {
      const report = await outageScenario(client.queue(name), proxy)
      assertOutageReport(report)
      expect(report.sent.length).toBeGreaterThan(40)
    } finally {
      await client.deleteQueue(name).catch(() => {})
      await client.close()
      await proxy.close()
    }
  },
)

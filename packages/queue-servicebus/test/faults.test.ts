import { assertOutageReport, outageScenario } from '@anyqueue/conformance'
import { servicebusBackend } from '@anyqueue/conformance/backends'
import { backendOutageTest } from '@anyqueue/conformance/vitest'
import { QueueClient } from '@anyqueue/queue-core'
import { startEmulator } from '@anyqueue/servicebus-emulator'
import { expect, test } from 'vitest'
import { createServiceBusDriver } from '../src/index.js'

const withPort = (connectionString: string, port: number) =>
  connectionString.replace(/(Endpoint=sb:\/\/[^:;/]+):\d+/i, `$1:${port}`)

// Whatever backend resolves, a TCP proxy in front of it cuts every connection mid-run.
backendOutageTest(servicebusBackend, {
  port: (connection) =>
    Number(/Endpoint=sb:\/\/[^:;/]+:(\d+)/i.exec(connection.connectionString)?.[1] ?? 5672),
  open: (connection, proxyPort) =>
    createServiceBusDriver({
      ...connection,
      connectionString: withPort(connection.connectionString, proxyPort),
      leaseSeconds: 5,
    }),
})

// Our emulator can itself go away and come back with its messages, as a broker restart would.
test('servicebus: the emulator stopped and restarted mid-run; calls fail UNAVAILABLE, no resolved send is lost', {
  timeout: 180_000,
}, async () => {
  const emulator = await startEmulator()
  const client = new QueueClient(
    createServiceBusDriver({
      connectionString: emulator.connectionString,
      admin: emulator.admin,
      leaseSeconds: 5,
    }),
    { retry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 200 } },
  )
  try {
    await client.createQueue('restart')
    const report = await outageScenario(client.queue('restart'), {
      port: emulator.port,
      cut: () => void emulator.stop(),
      restore: () => void emulator.start(),
      close: async () => {},
    })
    assertOutageReport(report)
    expect(report.sent.length).toBeGreaterThan(40)
  } finally {
    await client.close()
    await emulator.close()
  }
})

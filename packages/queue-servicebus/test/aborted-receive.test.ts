import { QueueClient } from '@anyqueue/queue-core'
import { startEmulator } from '@anyqueue/servicebus-emulator'
import { expect, test } from 'vitest'
import { createServiceBusDriver } from '../src/index.js'

// The SDK gives up an aborted receive without draining its link. Were the receiver pooled as it
// was, the credit it still had would take the next message and hold it, unseen, for the lease.
test('servicebus: a message sent after an aborted receive is received at once, not a lease later', {
  timeout: 60_000,
}, async () => {
  const emulator = await startEmulator()
  const client = new QueueClient(
    createServiceBusDriver({
      connectionString: emulator.connectionString,
      admin: emulator.admin,
      leaseSeconds: 60,
    }),
  )
  try {
    await client.createQueue('aborted')
    const queue = client.queue('aborted')
    for (let round = 0; round < 3; round++) {
      const stop = new AbortController()
      const pending = queue.receive({ maxMessages: 10, waitSeconds: 10, signal: stop.signal })
      await new Promise((resolve) => setTimeout(resolve, 200))
      stop.abort()
      expect(await pending).toEqual([])
      await queue.send({ round })
      // A long poll ends with the first message: 20 s is patience for a slow machine, and still
      // a third of the 60 s lease the message would be held for.
      const received = await queue.receive({ maxMessages: 10, waitSeconds: 20 })
      expect(received.map((m) => m.payload)).toEqual([{ round }])
      // Sent while the aborted link still had credit, it was delivered there and released: attempt 2.
      expect([1, 2]).toContain(received[0]!.attempt)
      await queue.ackBatch(received)
    }
  } finally {
    await client.close()
    await emulator.close()
  }
})

import { ServiceBusClient } from '@azure/service-bus'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

const TOTAL = 10_000
const CLIENTS = 4

let emulator: ServiceBusEmulator
const survived: unknown[] = []
beforeAll(async () => {
  emulator = await startEmulator({
    onError: (e) => survived.push(e),
    config: { queues: [{ name: 'soak', properties: { lockDurationMs: 30_000, maxDeliveryCount: 100 } }] },
  })
})
afterAll(() => emulator?.close())

it(`soak: ${CLIENTS} clients send and receive ${TOTAL} messages with random abandons; none lost, none after completion`, async () => {
  const clients = Array.from({ length: CLIENTS }, () => new ServiceBusClient(emulator.connectionString))
  const completed = new Set<number>()
  const violations: string[] = []
  let abandons = 0
  const perClient = TOTAL / CLIENTS

  const send = clients.map(async (client, c) => {
    const sender = client.createSender('soak')
    for (let start = 0; start < perClient; start += 100) {
      const batch = await sender.createMessageBatch()
      for (let i = start; i < start + 100; i++) batch.tryAddMessage({ body: c * perClient + i })
      await sender.sendMessages(batch)
    }
  })

  const receive = clients.map(async (client) => {
    const receiver = client.createReceiver('soak', { maxAutoLockRenewalDurationInMs: 0 })
    while (completed.size < TOTAL) {
      const messages = await receiver.receiveMessages(50, { maxWaitTimeInMs: 500 })
      for (const m of messages) {
        if (completed.has(m.body as number)) violations.push(`${m.body} delivered after completion`)
      }
      // Completes first, then abandons: rhea (under the SDK) coalesces dispositions issued in the
      // same tick into ranges and can send two different outcomes as one, which no broker can undo.
      const abandoned = messages.filter(() => Math.random() < 0.1)
      await Promise.all(
        messages
          .filter((m) => !abandoned.includes(m))
          .map(async (m) => {
            await receiver.completeMessage(m)
            completed.add(m.body as number)
          }),
      )
      abandons += abandoned.length
      await Promise.all(abandoned.map((m) => receiver.abandonMessage(m)))
    }
  })

  await Promise.all([...send, ...receive])
  await Promise.all(clients.map((c) => c.close()))
  expect(survived).toEqual([])
  expect(violations).toEqual([])
  expect(completed.size).toBe(TOTAL)
  expect(abandons).toBeGreaterThan(0)
  expect(emulator.broker.receivable('soak').counts()).toEqual({
    active: 0,
    deferred: 0,
    scheduled: 0,
    locked: 0,
  })
}, 300_000)

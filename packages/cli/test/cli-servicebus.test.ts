// Issue 22's Service Bus scenario, in process against our emulator: a queue with maxDeliveryCount 3,
// one message, three `count`s and three `peek`s. Counting by receiving used to dead-letter it
// (MaxDeliveryCountExceeded); looking must leave it active, never delivered.
import { Writable } from 'node:stream'
import { QueueClient } from '@anyqueue/queue-core'
import { createServiceBusDriver } from '@anyqueue/queue-servicebus'
import { type ServiceBusEmulator, startEmulator } from '@anyqueue/servicebus-emulator'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { EXIT, main } from '../src/index.js'

let emulator: ServiceBusEmulator
beforeAll(async () => {
  emulator = await startEmulator({ port: 0 })
})
afterAll(() => emulator?.close())

const open = () =>
  new QueueClient(
    createServiceBusDriver({ connectionString: emulator.connectionString, admin: emulator.admin }),
  )

async function anyqueue(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const sink = (write: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        write(String(chunk))
        done()
      },
    })
  const code = await main(['servicebus://emulator', ...args], {
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
    open: async () => open(),
    signal: new AbortController().signal,
  })
  return { code, stdout, stderr }
}

test('three counts and three peeks leave the message active, not dead-lettered, and its next receive is attempt 1', {
  timeout: 120_000,
}, async () => {
  await emulator.admin.createQueue('peeky', { maxDeliveryCount: 3, lockDuration: 'PT5S' })
  const client = open()
  try {
    await client.queue('peeky').send({ job: 1 })
    for (let look = 0; look < 3; look++) {
      const counted = await anyqueue('count', 'peeky', '--json')
      expect(counted.code, counted.stderr).toBe(EXIT.ok)
      expect(JSON.parse(counted.stdout)).toMatchObject({
        queue: 'peeky',
        count: 1,
        active: 1,
        deadLetters: 0,
      })
      const peeked = await anyqueue('peek', 'peeky', '--json')
      expect(peeked.code, peeked.stderr).toBe(EXIT.ok)
      expect(JSON.parse(peeked.stdout)).toMatchObject({ payload: { job: 1 }, deliveries: 0, state: 'active' })
    }
    const human = await anyqueue('count', 'peeky')
    expect(human.stdout).toBe('~1 active (visible or in flight), ~0 delayed, ~0 dead-lettered\n')
    const runtime = await emulator.admin.getQueueRuntimeProperties('peeky')
    expect(runtime).toMatchObject({ activeMessageCount: 1, deadLetterMessageCount: 0 })
    const [message] = await client.queue('peeky').receive({ waitSeconds: 5 })
    expect(message).toMatchObject({ payload: { job: 1 }, attempt: 1 })
    await client.queue('peeky').ack(message!)
  } finally {
    await client.close()
  }
})

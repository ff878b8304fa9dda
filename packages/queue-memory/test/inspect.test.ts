import { QueueClient } from '@anyqueue/queue-core'
import { expect, test } from 'vitest'
import { createMemoryDriver, ManualClock } from '../src/index.js'

function open() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const client = new QueueClient(createMemoryDriver({ clock, leaseSeconds: 30 }))
  return { clock, client }
}

test('stats() counts visible, in flight and delayed messages exactly, and the oldest age, without receiving', async () => {
  const { clock, client } = open()
  await client.createQueue('jobs')
  const jobs = client.queue<string>('jobs')
  expect(await jobs.stats()).toEqual({ visible: 0, inFlight: 0, active: 0, delayed: 0, oldestAgeSeconds: 0 })
  await jobs.send('a')
  await clock.advance(5_000)
  await jobs.send('b')
  await jobs.send('c', { delaySeconds: 60 })
  const [a] = await jobs.receive({ waitSeconds: 0 })
  expect(await jobs.stats()).toEqual({ visible: 1, inFlight: 1, active: 2, delayed: 1, oldestAgeSeconds: 5 })
  await jobs.nack(a!, { delaySeconds: 10 })
  expect(await jobs.stats()).toMatchObject({ visible: 1, inFlight: 0, delayed: 2 })
  await clock.advance(60_000)
  expect(await jobs.stats()).toMatchObject({ visible: 3, inFlight: 0, delayed: 0, oldestAgeSeconds: 65 })
  await client.close()
})

test('peek() shows messages in send order with their states and leaves attempts and leases alone', async () => {
  const { client } = open()
  await client.createQueue('jobs')
  const jobs = client.queue<{ n: number }>('jobs')
  for (let n = 1; n <= 3; n++) await jobs.send({ n }, { attributes: { k: `v${n}` } })
  for (let look = 0; look < 5; look++) {
    const seen = await jobs.peek({ maxMessages: 2 })
    expect(seen.map((m) => [m.payload, m.state, m.deliveries, m.attributes])).toEqual([
      [{ n: 1 }, 'visible', 0, { k: 'v1' }],
      [{ n: 2 }, 'visible', 0, { k: 'v2' }],
    ])
    expect(seen[0]).not.toHaveProperty('receiptHandle')
  }
  const [first] = await jobs.receive({ waitSeconds: 0 })
  expect(first!.attempt).toBe(1)
  const seen = await jobs.peek({ maxMessages: 100 })
  expect(seen.map((m) => [m.payload.n, m.state, m.deliveries])).toEqual([
    [1, 'inFlight', 1],
    [2, 'visible', 0],
    [3, 'visible', 0],
  ])
  // The leased message stays leased: the next receive gets the second one.
  const [second] = await jobs.receive({ waitSeconds: 0 })
  expect(second!.payload).toEqual({ n: 2 })
  await client.close()
})

test('peek() validates maxMessages; stats() and peek() on a missing queue are QUEUE_NOT_FOUND and create nothing', async () => {
  const clock = new ManualClock(0)
  const driver = createMemoryDriver({ clock, createIfMissing: true })
  const client = new QueueClient(driver)
  const q = client.queue('nowhere')
  await expect(q.peek({ maxMessages: 0 })).rejects.toMatchObject({
    code: 'INVALID_ARGUMENT',
    field: 'maxMessages',
  })
  await expect(q.peek({ maxMessages: 101 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', limit: 100 })
  await expect(q.stats()).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' })
  await expect(q.peek()).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' })
  expect(await driver.listQueues()).toEqual([])
  await client.close()
})

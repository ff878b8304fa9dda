import { expect, test } from 'vitest'
import { type ConsumerEvent, consume, QueueClient } from '../src/index.js'
import { FakeDriver, throttled } from './fake-driver.js'

const until = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

test('a lease that cannot be renewed aborts the handler, and its result is neither acked nor nacked', async () => {
  const driver = new FakeDriver()
  driver.leaseSeconds = 0.1 // renew every 50 ms
  const queue = new QueueClient(driver, { retry: false }).queue('q')
  await queue.send('slow')
  driver.failNext('renewLease', Object.assign(new Error('lock lost'), { kind: 'denied' }))
  let aborted = false
  const errors: unknown[] = []
  const consumer = consume(
    queue,
    async (_, { signal }) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
      aborted = true
    },
    { waitSeconds: 0, onError: (e) => errors.push(e) },
  )
  await until(() => aborted)
  await consumer.stop()
  expect(errors).toHaveLength(1)
  expect(driver.calls.filter((c) => c.method === 'ackBatch' || c.method === 'nack')).toEqual([])
})

test('backend errors are reported and the consumer keeps going', async () => {
  const driver = new FakeDriver()
  const queue = new QueueClient(driver, { retry: false }).queue('q')
  await queue.send('after the outage')
  driver.failNext('receiveBatch', throttled(), throttled(), throttled())
  const errors: unknown[] = []
  const events: ConsumerEvent['type'][] = []
  const consumer = consume(queue, () => {}, {
    waitSeconds: 0,
    onError: (e) => errors.push(e),
    onEvent: (e) => events.push(e.type),
  })
  await until(() => events.includes('succeeded'))
  await consumer.stop()
  expect(errors.map((e) => (e as { code?: string }).code)).toEqual([
    'UNAVAILABLE',
    'UNAVAILABLE',
    'UNAVAILABLE',
  ])
  expect(events).toEqual(['received', 'succeeded'])
})

test('options are validated with typed errors', () => {
  const queue = new QueueClient(new FakeDriver()).queue('q')
  expect(() => consume(queue, () => {}, { concurrency: 0 })).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
  )
  expect(() => consume(queue, () => {}, { maxAttempts: 1.5 })).toThrow(
    expect.objectContaining({ field: 'maxAttempts' }),
  )
})

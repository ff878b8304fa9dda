import { expect, test } from 'vitest'
import { type ConsumerEvent, consume, QueueClient } from '../src/index.js'
import { FakeDriver, fakeTopics, throttled } from './fake-driver.js'

/** Waits for `check`; the deadline is generous because it only ends a test that fails anyway. */
const until = async (check: () => boolean, ms = 30_000) => {
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

test('options are checked at the call: an unknown option, a dead-letter queue that cannot be, the queue itself', () => {
  const driver = new FakeDriver()
  driver.capabilities = { ...driver.capabilities, topics: { filters: [] } }
  driver.topics = fakeTopics()
  const client = new QueueClient(driver)
  const queue = client.queue('q')
  expect(() => consume(queue, () => {}, { maxAtempts: 2 } as never)).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.maxAtempts' }),
  )
  // The default `<name>-dlq` is no queue name for a subscription, nor for a name of 61+ characters.
  const deadLetter = expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'deadLetterQueue' })
  expect(() => consume(client.subscription('orders', 'crm'), () => {})).toThrow(deadLetter)
  expect(() => consume(client.queue('q'.repeat(61)), () => {})).toThrow(deadLetter)
  expect(() => consume(queue, () => {}, { deadLetterQueue: client.queue('q') })).toThrow(deadLetter)
  // Each is fine with a dead-letter queue of its own; 60 characters keep their default.
  const dlq = client.queue('orders-crm-dlq')
  const consumers = [
    consume(client.subscription('orders', 'crm'), () => {}, { deadLetterQueue: dlq }),
    consume(client.queue('q'.repeat(61)), () => {}, { deadLetterQueue: dlq }),
    consume(client.queue('q'.repeat(60)), () => {}),
  ]
  return Promise.all(consumers.map((c) => c.stop()))
})

test('a backoff beyond the driver’s longest nack delay is capped, and the event says so', async () => {
  for (const [nackDelay, expected] of [
    [5, 5], // capped at the driver's maximum
    [0, 30], // no delayed nack at all: the lease (30 s) brings it back
  ]) {
    const driver = new FakeDriver()
    driver.capabilities = { ...driver.capabilities, nackDelay: nackDelay! }
    const queue = new QueueClient(driver).queue('q')
    await queue.send('fails')
    const retried: number[] = []
    const consumer = consume(
      queue,
      () => {
        throw new Error('no')
      },
      {
        waitSeconds: 0,
        backoff: () => 10,
        onError: () => {},
        onEvent: (e) => {
          if (e.type === 'retried') retried.push(e.delaySeconds)
        },
      },
    )
    await until(() => retried.length > 0)
    await consumer.stop()
    expect(retried).toEqual([expected])
    const nacks = driver.calls.filter((c) => c.method === 'nack').map((c) => c.args[2])
    expect(nacks).toEqual(nackDelay ? [nackDelay] : [])
  }
})

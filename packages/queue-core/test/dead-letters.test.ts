import { expect, test } from 'vitest'
import { countMessages, QueueClient } from '../src/index.js'
import { FakeDriver } from './fake-driver.js'

test('countMessages counts each message once and releases them all', async () => {
  const driver = new FakeDriver()
  const queue = new QueueClient(driver).queue('dlq')
  await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: i })))
  await queue.sendBatch(Array.from({ length: 3 }, (_, i) => ({ payload: i })))
  expect(await countMessages(queue)).toBe(13)
  expect(driver.calls.filter((c) => c.method === 'nack')).toHaveLength(13)
})

test('countMessages ends on a backend that keeps handing out the same messages', async () => {
  // A backend whose leases do not hide messages: every receive returns the same two.
  const driver = new FakeDriver()
  driver.receiveBatch = async () =>
    ['a', 'b'].map((id) => ({
      id,
      body: '"x"',
      contentType: 'application/json',
      receiptHandle: `fake:${id}`,
      attempt: 1,
      enqueuedAt: new Date(0),
      attributes: {},
    }))
  expect(await countMessages(new QueueClient(driver).queue('dlq'))).toBe(2)
})

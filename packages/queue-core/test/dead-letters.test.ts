import { expect, test } from 'vitest'
import {
  consume,
  countMessages,
  DEAD_LETTER_ATTRIBUTES,
  QueueClient,
  REDRIVE_ATTRIBUTES,
  redrive,
  redrivenAttributes,
} from '../src/index.js'
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

test.each([
  ['JSON with an escaped lone surrogate', '{"a":"\\ud800"}', 'application/json', /^\{"a":"\\ud800"\}$/],
  [
    'JSON nested 100 levels',
    `${'['.repeat(100)}1${']'.repeat(100)}`,
    'application/json',
    /^\[{100}1\]{100}$/,
  ],
  ['text larger than the limit', 'x'.repeat(70_000), undefined, /^x+…$/],
])(
  'a payload from another producer that cannot be re-sent as it is (%s) still reaches the dead-letter queue',
  async (_, body, contentType, kept) => {
    const driver = new FakeDriver()
    driver.stored.push({
      body,
      contentType,
      bytes: body.length,
      delaySeconds: 0,
      attributes: { 'bad.name': 'x', ok: 'y' },
    })
    const queue = new QueueClient(driver).queue('q')
    const dlq = new FakeDriver()
    const errors: unknown[] = []
    const consumer = consume(
      queue,
      () => {
        throw new Error('cannot handle it')
      },
      {
        maxAttempts: 1,
        waitSeconds: 0,
        deadLetterQueue: new QueueClient(dlq).queue('dlq'),
        onError: (e) => errors.push(e),
      },
    )
    // Waits for the dead letter (or an error); the deadline only ends a test that fails anyway.
    const end = performance.now() + 30_000
    while (dlq.stored.length === 0 && errors.length === 0 && performance.now() < end)
      await new Promise((r) => setTimeout(r, 10))
    await consumer.stop()
    expect(errors).toEqual([])
    expect(dlq.stored).toHaveLength(1)
    expect(dlq.stored[0]!.body).toMatch(kept)
    expect(dlq.stored[0]!.bytes).toBeLessThanOrEqual(65_536)
    expect(dlq.stored[0]!.attributes[DEAD_LETTER_ATTRIBUTES.reason]).toMatch(
      /cannot handle it.*payload kept as/,
    )
    expect(dlq.stored[0]!.attributes.ok).toBe('y')
    expect(driver.calls.filter((c) => c.method === 'ackBatch')).toHaveLength(1)
  },
)

test('redrive keeps the id each message had in the dead-letter queue as dlq-original-id, where there is room', async () => {
  // The fake driver keeps one list for all queues: a limit stops redrive from taking back what it sent.
  const client = new QueueClient(new FakeDriver())
  const dlq = client.queue('work-dlq')
  const work = client.queue('work')
  const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`own${i}`, 'v']))
  await dlq.sendBatch([
    { payload: 'plain', attributes: { tenant: 'acme', [DEAD_LETTER_ATTRIBUTES.reason]: 'boom' } },
    { payload: 'full', attributes: eight },
  ])
  expect(await redrive(dlq, work, { limit: 2 })).toBe(2) // received as r-1 and r-2
  const back = await work.receive({ maxMessages: 10, waitSeconds: 0 })
  expect(back.map((m) => [m.payload, m.attributes])).toEqual([
    ['plain', { tenant: 'acme', [REDRIVE_ATTRIBUTES.originalId]: 'r-1' }],
    // Eight attributes of its own leave no room: they are all kept, the id is not.
    ['full', eight],
  ])
  expect(REDRIVE_ATTRIBUTES.originalId).toBe('dlq-original-id')
  // An earlier redrive's id is replaced by the one the message has now.
  expect(redrivenAttributes({ id: 'x', attributes: { [REDRIVE_ATTRIBUTES.originalId]: 'older' } })).toEqual({
    [REDRIVE_ATTRIBUTES.originalId]: 'x',
  })
})

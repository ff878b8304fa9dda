import { describe, expect, test } from 'vitest'
import { queueNotFound } from '../src/driver.js'
import { QueueClient, QueueError } from '../src/index.js'
import { FakeDriver, missing } from './fake-driver.js'

const NEXT_STEP = 'create it with createQueue("orders"), or open the driver with createIfMissing: true'

describe('QUEUE_NOT_FOUND names the queue and the next step', () => {
  test.each([
    ['send', (q: ReturnType<QueueClient['queue']>) => q.send('x'), 'sendBatch'],
    ['receive', (q: ReturnType<QueueClient['queue']>) => q.receive({ waitSeconds: 0 }), 'receiveBatch'],
    ['ack', (q: ReturnType<QueueClient['queue']>) => q.ack('fake:1'), 'ackBatch'],
    ['nack', (q: ReturnType<QueueClient['queue']>) => q.nack('fake:1'), 'nack'],
    ['renewLease', (q: ReturnType<QueueClient['queue']>) => q.renewLease('fake:1'), 'renewLease'],
  ])(
    '%s: a backend error that does not name the queue is rewritten to one that does',
    async (_, call, method) => {
      const driver = new FakeDriver()
      const client = new QueueClient(driver, { retry: false })
      if (method === 'sendBatch') driver.sendErrors = [missing()]
      else driver.failNext(method, missing())
      const error = await call(client.queue('orders')).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(QueueError)
      expect(error).toMatchObject({ code: 'QUEUE_NOT_FOUND', driver: 'fake' })
      expect((error as Error).message).toBe(
        `[anyqueue] [fake] queue "orders" does not exist (NoSuchQueue: The specified queue does not exist.): ${NEXT_STEP}`,
      )
      expect((error as Error).cause).toBeInstanceOf(Error) // the backend's error stays reachable
      await client.close()
    },
  )

  test('a subscription says to create the subscription', async () => {
    const driver = new FakeDriver()
    driver.failNext('receiveBatch', missing())
    const client = new QueueClient(driver, { retry: false })
    // FakeDriver has no topics; the address is what a subscription queue is called.
    const error = await client
      .queue('orders')
      .receive({ waitSeconds: 0 })
      .catch((e: unknown) => e)
    expect((error as Error).message).toContain('queue "orders"')
    expect(queueNotFound('news/mail', { driver: 'x' }).message).toBe(
      '[anyqueue] [x] subscription "mail" of topic "news" does not exist: create it with createSubscription("news", "mail")',
    )
    await client.close()
  })

  test('only the wording changes: a driver that calls it retryable is not corrected here', async () => {
    const driver = new FakeDriver()
    driver.failNext('nack', new QueueError('QUEUE_NOT_FOUND', 'gone', { driver: 'fake', retryable: true }))
    const client = new QueueClient(driver, { retry: false })
    await expect(client.queue('orders').nack('fake:1')).rejects.toMatchObject({
      code: 'QUEUE_NOT_FOUND',
      retryable: true,
      message: `[anyqueue] [fake] queue "orders" does not exist (gone): ${NEXT_STEP}`,
    })
    await client.close()
  })

  test('an error that already names the queue and the next step is kept as it is', async () => {
    const driver = new FakeDriver()
    const own = queueNotFound('orders', { driver: 'fake', detail: ' in /data' })
    driver.failNext('receiveBatch', own)
    const client = new QueueClient(driver, { retry: false })
    await expect(client.queue('orders').receive({ waitSeconds: 0 })).rejects.toBe(own)
    expect(own.message).toBe(`[anyqueue] [fake] queue "orders" does not exist in /data: ${NEXT_STEP}`)
    await client.close()
  })
})

import {
  type Backend,
  type RedisConnection,
  redisBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import type { OutgoingMessage } from '@anyqueue/queue-core/driver'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createRedisDriver } from '../src/index.js'

let backend: Backend<RedisConnection>
beforeAll(async () => {
  backend = await resolveBackend(redisBackend, { log: false })
}, 120_000)
afterAll(() => backend?.stop())

const text = (body: string, delaySeconds = 0): OutgoingMessage => ({
  body,
  contentType: 'text/plain; charset=utf-8',
  bytes: body.length,
  delaySeconds,
  attributes: { n: body },
})

test('stats() and peek() read exact states and change nothing', { timeout: 60_000 }, async () => {
  const driver = createRedisDriver({ url: backend.connection.url, leaseSeconds: 60 })
  const queue = `look-${Date.now()}`
  await driver.createQueue(queue)
  try {
    expect(await driver.stats(queue)).toEqual({
      visible: 0,
      inFlight: 0,
      active: 0,
      delayed: 0,
      oldestAgeSeconds: 0,
    })
    await driver.sendBatch(queue, [text('a'), text('b'), text('c', 600)])
    const [leased] = await driver.receiveBatch(queue, { maxMessages: 1, waitSeconds: 0 })
    expect(leased?.body).toBe('a')
    const stats = await driver.stats(queue)
    expect({ ...stats, oldestAgeSeconds: undefined }).toEqual({
      visible: 1,
      inFlight: 1,
      active: 2,
      delayed: 1,
      oldestAgeSeconds: undefined,
    })
    expect(stats.oldestAgeSeconds).toBeGreaterThanOrEqual(0)
    const peeked = await driver.peek(queue, { maxMessages: 10 })
    expect(peeked.map((m) => [m.body, m.state, m.deliveries, m.attributes.n])).toEqual([
      ['a', 'inFlight', 1, 'a'],
      ['b', 'visible', 0, 'b'],
      ['c', 'delayed', 0, 'c'],
    ])
    expect(await driver.peek(queue, { maxMessages: 1 })).toHaveLength(1)
    // The look changed nothing: b is still the next delivery, on its first attempt.
    const [next] = await driver.receiveBatch(queue, { maxMessages: 1, waitSeconds: 0 })
    expect([next?.body, next?.attempt]).toEqual(['b', 1])
    await expect(driver.stats('missing-queue')).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' })
    await expect(driver.peek('missing-queue', { maxMessages: 1 })).rejects.toMatchObject({
      code: 'QUEUE_NOT_FOUND',
    })
  } finally {
    await driver.deleteQueue(queue)
    await driver.close()
  }
})

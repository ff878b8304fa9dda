/**
 * The long poll, beyond the suite: one receive that is waiting when a delayed message (or an
 * expired lease) comes due returns it — the suite's delay cases poll repeatedly, so they cannot tell
 * a poll that sleeps past the due time. The deaf broken driver of `broken-scripts.ts` must fail it.
 */

import {
  type Backend,
  type RedisConnection,
  redisBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import { LIMITS, type QueueDriver } from '@anyqueue/queue-core/driver'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createRedisDriver } from '../src/index.js'
import { breakages, brokenTarget } from './broken-scripts.js'

let backend: Backend<RedisConnection>
beforeAll(async () => {
  backend = await resolveBackend(redisBackend, { log: false })
}, 120_000)
afterAll(() => backend?.stop())

const message = (body: string, delaySeconds: number) => ({
  body,
  contentType: 'text/plain; charset=utf-8',
  bytes: body.length,
  delaySeconds,
  attributes: {},
})

/** Whether one receive of up to 20 s, waiting when a 1 s delayed message comes due, returns it. */
async function oneWaitingReceiveGetsTheDelayed(driver: QueueDriver): Promise<boolean> {
  const queue = `long-poll-${Math.random().toString(36).slice(2)}`
  await driver.createQueue(queue)
  try {
    await driver.sendBatch(queue, [message('later', 1)])
    const got = await driver.receiveBatch(queue, { maxMessages: 1, waitSeconds: LIMITS.maxWaitSeconds })
    return got.length === 1 && got[0]!.body === 'later'
  } finally {
    await driver.deleteQueue(queue)
    await driver.close()
  }
}

describe.concurrent('long poll', () => {
  test('a waiting receive returns a delayed message once it comes due', { timeout: 60_000 }, async () => {
    const driver = createRedisDriver({ url: backend.connection.url, leaseSeconds: 2 })
    expect(await oneWaitingReceiveGetsTheDelayed(driver)).toBe(true)
  })

  test('a waiting receive returns a message whose lease expired meanwhile', { timeout: 60_000 }, async () => {
    const driver = createRedisDriver({ url: backend.connection.url, leaseSeconds: 1 })
    const queue = `lease-poll-${Math.random().toString(36).slice(2)}`
    await driver.createQueue(queue)
    try {
      await driver.sendBatch(queue, [message('leased', 0)])
      const [first] = await driver.receiveBatch(queue, { maxMessages: 1, waitSeconds: 0 })
      expect(first?.attempt).toBe(1)
      const again = await driver.receiveBatch(queue, { maxMessages: 1, waitSeconds: LIMITS.maxWaitSeconds })
      expect(again.map((m) => m.attempt)).toEqual([2])
    } finally {
      await driver.deleteQueue(queue)
      await driver.close()
    }
  })

  test('killed: a poll deaf to due times sleeps to its deadline and returns nothing', {
    timeout: 60_000,
  }, async () => {
    const deaf = breakages.find((b) => b.gap)!
    const driver = await brokenTarget(backend.connection.url, deaf).open('deaf')
    expect(await oneWaitingReceiveGetsTheDelayed(driver)).toBe(false)
  })
})

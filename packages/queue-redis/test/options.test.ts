import { openQueueClient } from '@anyqueue/queue-core'
import { describe, expect, test } from 'vitest'
import { createRedisDriver } from '../src/index.js'

const lazy = { redisOptions: { lazyConnect: true } }

describe('options', () => {
  test('an unknown option is refused by name', () => {
    expect(() => createRedisDriver({ ...lazy, createIfMising: true } as never)).toThrow(
      /options\.createIfMising/,
    )
  })

  test('prefix: at most 32 characters of A-Za-z0-9_:.-', () => {
    expect(() => createRedisDriver({ ...lazy, prefix: 'a b' })).toThrow(/prefix must be/)
    expect(() => createRedisDriver({ ...lazy, prefix: 'x'.repeat(33) })).toThrow(/prefix must be/)
  })

  test('client with url is refused', async () => {
    const own = createRedisDriver(lazy)
    expect(() => createRedisDriver({ client: own.client, url: 'redis://127.0.0.1:1' })).toThrow(/not both/)
    await own.close()
  })

  test('leaseSeconds bounds', () => {
    expect(() => createRedisDriver({ ...lazy, leaseSeconds: 0 })).toThrow(/leaseSeconds/)
  })

  test('redis:// and rediss:// URLs open the driver with their query options', async () => {
    const client = await openQueueClient('redis://127.0.0.1:1?leaseSeconds=7&prefix=app:')
    expect(client.driver.name).toBe('redis')
    expect(client.driver.leaseSeconds).toBe(7)
    await client.close()
    await expect(openQueueClient('redis://127.0.0.1:1?nope=1')).rejects.toThrow(/nope/)
  })
})

import {
  type Backend,
  type RedisConnection,
  redisBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import { isQueueError } from '@anyqueue/queue-core/driver'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { classifyRedisError, createRedisDriver } from '../src/index.js'

/** An error reply as ioredis hands it up. */
const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' })

describe('classifyRedisError', () => {
  test.each([
    'LOADING Redis is loading the dataset in memory',
    'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'CLUSTERDOWN The cluster is down',
    "READONLY You can't write against a read only replica.",
  ])('%s is UNAVAILABLE, retryable', (message) => {
    const error = classifyRedisError(reply(message))
    expect([error?.code, error?.retryable]).toEqual(['UNAVAILABLE', true])
  })

  test('a lost connection is UNAVAILABLE, retryable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
    expect(classifyRedisError(refused)?.retryable).toBe(true)
    expect(classifyRedisError(new Error('Connection is closed.'))?.code).toBe('UNAVAILABLE')
  })

  test.each([
    'NOAUTH Authentication required.',
    'WRONGPASS invalid username-password pair or user is disabled.',
    "NOPERM this user has no permissions to run the 'evalsha' command",
  ])('%s is PERMISSION_DENIED', (message) => {
    expect(classifyRedisError(reply(message))?.code).toBe('PERMISSION_DENIED')
  })

  test('OOM names maxmemory', () => {
    const error = classifyRedisError(reply("OOM command not allowed when used memory > 'maxmemory'."))
    expect([error?.code, error?.limit, error?.retryable]).toEqual(['UNAVAILABLE', 'maxmemory', false])
    expect(error?.message).toMatch(/maxmemory/)
  })

  test('a script error carrying a code is classified by it', () => {
    const error = classifyRedisError(
      reply('ERR Error running script (call to f_x): @user_script:3: OOM command not allowed'),
    )
    expect(error?.limit).toBe('maxmemory')
  })

  test('anything else is a bug: undefined', () => {
    fc.assert(
      fc.property(fc.string(), (message) => {
        fc.pre(
          !/\b(WRONGTYPE|OOM|NOAUTH|WRONGPASS|NOPERM|LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|BUSY|NOREPLICAS)\b/.test(
            message,
          ),
        )
        fc.pre(
          !/^(Connection is closed|Stream isn't writeable|Reached the max|Failed to refresh|None of startup)/.test(
            message,
          ),
        )
        return classifyRedisError(reply(message)) === undefined
      }),
      { seed: 23, numRuns: 500 },
    )
  })
})

describe('against a server', () => {
  let backend: Backend<RedisConnection>
  beforeAll(async () => {
    backend = await resolveBackend(redisBackend, { log: false })
  }, 120_000)
  afterAll(() => backend?.stop())

  test('WRONGTYPE: a key of ours overwritten is a clear error naming the keys', async () => {
    const prefix = `wt${Date.now()}:`
    const driver = createRedisDriver({ url: backend.connection.url, prefix })
    const raw = new Redis(backend.connection.url)
    try {
      await driver.createQueue('jobs')
      await raw.set(`${prefix}{q:jobs}:ready`, 'not a sorted set')
      const error = await driver.receiveBatch('jobs', { maxMessages: 1, waitSeconds: 0 }).catch((e) => e)
      expect(isQueueError(error)).toBe(true)
      expect(error.retryable).toBe(false)
      expect(error.message).toContain(`${prefix}{q:jobs}:ready`)
      expect(error.message).toMatch(/another type/)
    } finally {
      await driver.deleteQueue('jobs')
      await driver.close()
      await raw.quit()
    }
  })

  test('NOAUTH: a server that wants a password refuses with PERMISSION_DENIED', async () => {
    const raw = new Redis(backend.connection.url)
    const url = new URL(backend.connection.url)
    const user = `aq${Date.now()}`
    try {
      await raw.call('ACL', 'SETUSER', user, 'on', '>secret', '~nothing', '-@all')
      url.username = user
      url.password = 'secret'
      const driver = createRedisDriver({ url: url.href })
      const error = await driver.createQueue('jobs').catch((e) => e)
      expect(error?.code).toBe('PERMISSION_DENIED')
      await driver.close()
      url.password = 'wrong'
      const wrong = createRedisDriver({ url: url.href, redisOptions: { maxRetriesPerRequest: 0 } })
      const denied = await wrong.createQueue('jobs').catch((e) => e)
      expect(denied?.code === 'PERMISSION_DENIED' || denied?.code === 'UNAVAILABLE').toBe(true)
      wrong.client.disconnect()
    } finally {
      await raw.call('ACL', 'DELUSER', user)
      await raw.quit()
    }
  })
})

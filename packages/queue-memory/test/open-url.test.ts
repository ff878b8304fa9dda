import { isQueueError, openQueueClient } from '@anyqueue/queue-core'
import { expect, test } from 'vitest'
import { MemoryDriver } from '../src/index.js'

test('memory: opens a fresh memory driver with the options in the query', async () => {
  const a = await openQueueClient('memory:?leaseSeconds=5&createIfMissing=true')
  expect(a.driver).toBeInstanceOf(MemoryDriver)
  expect(a.driver.leaseSeconds).toBe(5)
  await a.queue('jobs').send('x') // created on first use
  const b = await openQueueClient('memory:')
  expect(b.driver.leaseSeconds).toBe(30)
  expect(await (b.driver as MemoryDriver).listQueues()).toEqual([]) // nothing shared between opens
  await Promise.all([a.close(), b.close()])
})

test('memory: a bad option names itself', async () => {
  const error = await openQueueClient('memory:?leaseSeconds=0').catch((e: unknown) => e)
  expect(isQueueError(error, 'INVALID_ARGUMENT')).toBe(true)
  expect((error as { field?: string }).field).toBe('leaseSeconds')
  const unknown = await openQueueClient('memory:?lease=3').catch((e: unknown) => e)
  expect((unknown as Error).message).toMatch(/lease is not an option of "memory:" URLs/)
})

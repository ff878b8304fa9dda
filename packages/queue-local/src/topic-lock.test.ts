import { expect, test } from 'vitest'
import { TopicLock } from './topic-lock.js'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

test('shared holders run together; an exclusive holder runs alone, in arrival order', async () => {
  const lock = new TopicLock()
  const log: string[] = []
  let releaseFirst!: () => void
  const first = lock.shared(async () => {
    log.push('s1 in')
    await new Promise<void>((r) => {
      releaseFirst = r
    })
    log.push('s1 out')
  })
  const second = lock.shared(async () => {
    log.push('s2 in')
  })
  const change = lock.exclusive(async () => {
    log.push('x in')
    await tick()
    log.push('x out')
  })
  const late = lock.shared(async () => {
    log.push('s3 in')
  })
  await tick()
  expect(log).toEqual(['s1 in', 's2 in'])
  releaseFirst()
  await Promise.all([first, second, change, late])
  expect(log).toEqual(['s1 in', 's2 in', 's1 out', 'x in', 'x out', 's3 in'])
})

test('a holder that throws releases the lock', async () => {
  const lock = new TopicLock()
  await expect(lock.exclusive(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
  await expect(lock.exclusive(async () => 'after')).resolves.toBe('after')
})

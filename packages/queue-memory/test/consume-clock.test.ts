import { consume, QueueClient } from '@anyqueue/queue-core'
import { expect, test } from 'vitest'
import { createMemoryDriver, ManualClock } from '../src/index.js'

// consume() keeps its own timers on the driver's clock: on a ManualClock, retries with backoff
// happen when the clock is advanced, not after real waiting.
test('consume() on a ManualClock: retries at 0, 60 and 180 s, then the dead-letter queue, without waiting', async () => {
  const start = Date.UTC(2030, 0, 1)
  const clock = new ManualClock(start)
  const client = new QueueClient(createMemoryDriver({ clock }))
  await client.createQueue('jobs')
  const queue = client.queue<string>('jobs')
  const attempts: Array<[number, number]> = []
  const consumer = consume(
    queue,
    (message) => {
      attempts.push([message.attempt, (clock.now() - start) / 1000])
      throw new Error('not yet')
    },
    { maxAttempts: 3, backoff: { initialDelaySeconds: 60, multiplier: 2, jitter: false } },
  )
  await queue.send('job')
  await clock.advance(0)
  expect(attempts).toEqual([[1, 0]])
  await clock.advance(59_000)
  expect(attempts).toEqual([[1, 0]]) // not before its backoff
  await clock.advance(1_000)
  expect(attempts).toEqual([
    [1, 0],
    [2, 60],
  ])
  await clock.advance(120_000)
  expect(attempts).toEqual([
    [1, 0],
    [2, 60],
    [3, 180],
  ])
  await clock.advance(1_000)
  const [dead] = await client.queue('jobs-dlq').receive({ waitSeconds: 0 })
  expect(dead?.attributes['dlq-attempts']).toBe('3')
  await consumer.stop()
  await client.close()
})

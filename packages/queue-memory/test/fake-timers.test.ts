import { consume, QueueClient } from '@anyqueue/queue-core'
import { afterEach, expect, test, vi } from 'vitest'
import { createMemoryDriver } from '../src/index.js'

afterEach(() => {
  vi.useRealTimers()
})

// The consumer keeps timers of its own (lease renewal, a pause after an empty poll), so consumer
// tests fake every timer; the memory driver's default clock follows vitest's fake timers.
test("a consumer's retries and dead-lettering run on fake timers: exact backoff, no real waiting", async () => {
  vi.useFakeTimers({ now: Date.UTC(2030, 0, 1) })
  const client = new QueueClient(createMemoryDriver({ createIfMissing: true }))
  const queue = client.queue<string>('jobs')
  const attempts: Array<[attempt: number, atMs: number]> = []
  const retried: number[] = []
  const start = Date.now()
  await queue.send('flaky')
  const consumer = consume(
    queue,
    (m) => {
      attempts.push([m.attempt, Date.now() - start])
      throw new Error(`attempt ${m.attempt} failed`)
    },
    {
      maxAttempts: 3,
      backoff: { initialDelaySeconds: 60, multiplier: 2, jitter: false },
      onError: () => {},
      onEvent: (e) => {
        if (e.type === 'retried') retried.push(e.delaySeconds)
      },
    },
  )
  for (let step = 0; step < 400 && attempts.length < 3; step++) await vi.advanceTimersByTimeAsync(1_000)
  const stopping = consumer.stop()
  await vi.advanceTimersByTimeAsync(1_000)
  await stopping
  expect(retried).toEqual([60, 120])
  expect(attempts).toEqual([
    [1, 0],
    [2, 60_000],
    [3, 180_000],
  ])
  const [dead] = await client.queue<string>('jobs-dlq').receive({ waitSeconds: 0 })
  expect(dead?.payload).toBe('flaky')
  expect(dead?.attributes['dlq-attempts']).toBe('3')
  await client.close()
})

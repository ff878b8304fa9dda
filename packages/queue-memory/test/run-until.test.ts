import { consume, QueueClient } from '@anyqueue/queue-core'
import { describe, expect, test } from 'vitest'
import { createMemoryDriver, ManualClock } from '../src/index.js'

function open() {
  const start = Date.UTC(2030, 0, 1)
  const clock = new ManualClock(start)
  const client = new QueueClient(createMemoryDriver({ clock, createIfMissing: true }))
  return { start, clock, client, queue: client.queue<string>('jobs') }
}

describe('ManualClock.runUntilIdle', () => {
  test('fires every timer in time order, those set on the way too, and says how far it moved', async () => {
    const clock = new ManualClock(0)
    const fired: number[] = []
    clock.setTimeout(() => fired.push(clock.now()), 30)
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 15), 10)
    expect(await clock.runUntilIdle()).toBe(30)
    expect(fired).toEqual([25, 30])
    expect(clock.pendingTimers).toBe(0)
    expect(await clock.runUntilIdle()).toBe(0) // idle already: nothing moves
  })

  test('a receive on an empty queue: its long poll ends at 20 s of clock time instead of hanging', async () => {
    const { clock, queue, client } = open()
    const received = queue.receive() // waits its default 20 s
    expect(await clock.runUntilIdle()).toBe(20_000)
    expect(await received).toEqual([])
    await client.close()
  })

  test('a timer past limitMs fails with what is pending, instead of a test that hangs', async () => {
    const clock = new ManualClock(0)
    clock.setTimeout(() => {}, 5_000)
    clock.setTimeout(() => {}, 120_000)
    const error = await clock.runUntilIdle().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(
      /advanced 5000 ms \(limitMs 60000\) and timers are still pending: the next of 1 pending timer\(s\) is due 120000 ms/,
    )
    expect(clock.now()).toBe(5_000) // it moved as far as it could, no further
    expect(await clock.runUntilIdle({ limitMs: 120_000 })).toBe(115_000)
    await expect(clock.runUntilIdle({ limitMs: -1 })).rejects.toThrow(RangeError)
  })

  test('a running consumer never idles (it polls for ever): the error says so', async () => {
    const { clock, queue, client } = open()
    const handled: string[] = []
    const consumer = consume(queue, (message) => void handled.push(message.payload), { waitSeconds: 20 })
    await queue.send('job')
    await clock.runUntil(() => handled.length === 1) // the consumer is polling now
    const error = await clock.runUntilIdle({ limitMs: 30_000 }).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/timers are still pending.*A running consumer/)
    await consumer.stop()
    await client.close()
  })
})

describe('ManualClock.runUntil', () => {
  test('runs a consumer’s retries until a condition holds: attempts at 0, 60 and 180 s, then the dead-letter queue', async () => {
    const { start, clock, queue, client } = open()
    const attempts: number[] = []
    const deadLettered: string[] = []
    const consumer = consume(
      queue,
      () => {
        attempts.push((clock.now() - start) / 1000)
        throw new Error('not yet')
      },
      {
        maxAttempts: 3,
        backoff: { initialDelaySeconds: 60, multiplier: 2, jitter: false },
        onEvent: (event) => {
          if (event.type === 'dead-lettered') deadLettered.push(event.reason)
        },
      },
    )
    await queue.send('job')
    const moved = await clock.runUntil(() => deadLettered.length === 1, { limitMs: 10 * 60_000 })
    expect(attempts).toEqual([0, 60, 180])
    // It stopped once the condition held: a running consumer never idles, so had it gone on it
    // would have reached limitMs and failed. (How soon after 180 s depends on the work between
    // timers, so no upper bound is claimed.)
    expect(moved).toBeGreaterThanOrEqual(180_000)
    await consumer.stop()
    await client.close()
  })

  test('a condition nothing on the clock can make true fails with a hint about real timers', async () => {
    const { clock, queue, client } = open()
    let done = false
    // A handler doing real-timer work: the manual clock cannot move it along.
    // shutdownTimeoutMs: stop() waits for it on real time (30 s by default), a safety net the
    // manual clock does not move either.
    const consumer = consume(
      queue,
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 60_000).unref())
        done = true
      },
      { shutdownTimeoutMs: 10 },
    )
    await queue.send('job')
    const error = await clock.runUntil(() => done, { limitMs: 5_000 }).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(
      /and the condition does not hold: .*work done on real timers \(setTimeout in a handler\)/,
    )
    expect(done).toBe(false)
    await consumer.stop()
    await client.close()
  })

  test('with no timer pending and the condition false, it fails at once', async () => {
    const clock = new ManualClock(0)
    await expect(clock.runUntil(() => false)).rejects.toThrow(
      /advanced 0 ms .* no timer is pending, so moving the clock cannot change anything/,
    )
  })
})

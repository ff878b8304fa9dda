import { QueueClient } from '@anyqueue/queue-core'
import { describe, expect, test } from 'vitest'
import { createMemoryDriver, ManualClock } from '../src/index.js'

function open(leaseSeconds = 30) {
  const clock = new ManualClock(Date.UTC(2030, 0, 1))
  const client = new QueueClient(createMemoryDriver({ clock, leaseSeconds, createIfMissing: true }))
  return { clock, client, queue: client.queue<string>('jobs') }
}

describe('ManualClock', () => {
  test('fires timers in time order, each at its own instant, and only when advanced past them', async () => {
    const clock = new ManualClock(1_000)
    const fired: Array<[string, number]> = []
    clock.setTimeout(() => fired.push(['b', clock.now()]), 20)
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10)
    const cancelled = clock.setTimeout(() => fired.push(['never', clock.now()]), 5)
    clock.clearTimeout(cancelled)
    await clock.advance(9)
    expect(fired).toEqual([])
    await clock.advance(11)
    expect(fired).toEqual([
      ['a', 1_010],
      ['b', 1_020],
    ])
    expect(clock.now()).toBe(1_020)
    await expect(clock.advance(-1)).rejects.toThrow(RangeError)
  })

  test('a timer set by a firing timer fires in the same advance when it falls due', async () => {
    const clock = new ManualClock(0)
    const fired: number[] = []
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 5), 5)
    await clock.advance(10)
    expect(fired).toEqual([10])
    expect(clock.pendingTimers).toBe(0)
  })
})

describe('memory driver on a manual clock', () => {
  test('a delayed send becomes visible exactly at its delay', async () => {
    const { clock, client, queue } = open()
    await queue.send('later', { delaySeconds: 900 })
    await clock.advance(899_999)
    expect(await queue.receive({ waitSeconds: 0 })).toEqual([])
    await clock.advance(1)
    expect((await queue.receive({ waitSeconds: 0 })).map((m) => m.payload)).toEqual(['later'])
    await client.close()
  })

  test('an unacked message returns when the lease runs out on the clock, not before', async () => {
    const { clock, client, queue } = open(30)
    const sentAt = clock.now()
    await queue.send('job')
    const [first] = await queue.receive({ waitSeconds: 0 })
    expect(first?.enqueuedAt.getTime()).toBe(sentAt)
    await clock.advance(29_999)
    expect(await queue.receive({ waitSeconds: 0 })).toEqual([])
    await clock.advance(1)
    const [again] = await queue.receive({ waitSeconds: 0 })
    expect(again?.attempt).toBe(2)
    await client.close()
  })

  test('a long poll waits on the clock: it ends when the clock passes waitSeconds', async () => {
    const { clock, client, queue } = open()
    let settled = false
    const polling = queue.receive({ waitSeconds: 20 }).finally(() => {
      settled = true
    })
    await clock.advance(19_999)
    expect(settled).toBe(false)
    await clock.advance(1)
    expect(await polling).toEqual([])
    await client.close()
  })

  test('a long poll picks up a delayed message at the instant it becomes visible', async () => {
    const { clock, client, queue } = open()
    await queue.send('soon', { delaySeconds: 5 })
    const polling = queue.receive({ waitSeconds: 20 })
    await clock.advance(5_000)
    const [m] = await polling
    expect(m?.payload).toBe('soon')
    expect(clock.now()).toBe(Date.UTC(2030, 0, 1) + 5_000)
    await client.close()
  })
})

import { describe, expect, test } from 'vitest'
import { BUFFER_LIMIT, QueueIndex } from './queue-index.js'

const LEASE = 30_000

function fill(index: QueueIndex, count: number, now: number, delayMs = 0) {
  for (let sent = 0; sent < count; sent += 10) {
    const n = Math.min(10, count - sent)
    const first = index.allocate(n)
    index.sent(
      first,
      Array.from({ length: n }, () => ({ value: 'id\n\n0\n\n{}', visibleAt: now + delayMs })),
      now,
    )
  }
}

describe('QueueIndex', () => {
  test('acks leave nothing behind: after draining, every in-memory structure is empty', () => {
    const index = new QueueIndex(0, 0, 0)
    let now = 1_000
    for (let round = 0; round < 50; round++) {
      fill(index, 1_000, now)
      for (;;) {
        const taken = index.take(10, now, LEASE)
        if (taken.length === 0) break
        index.recordsFor(taken)
        for (const entry of taken) index.remove(entry)
      }
      now += 10
    }
    expect(index.footprint).toBe(0)
  })

  test('expired leases come back in FIFO order with their delivery counted, and an ack of a stale lease is gone from the lease list', () => {
    const index = new QueueIndex(0, 0, 0)
    fill(index, 20, 0)
    const first = index.take(10, 0, LEASE)
    const second = index.take(10, 1, LEASE)
    index.remove(second[3]!)
    const again = index.take(20, LEASE + 1, LEASE)
    expect(again.map((e) => e.seq)).toEqual(
      [...first, ...second].filter((_, i) => i !== 13).map((e) => e.seq),
    )
    expect(again.every((e) => e.deliveries === 2)).toBe(true)
    for (const e of again) index.remove(e)
    expect(index.footprint).toBe(0)
  })

  test('holds at most BUFFER_LIMIT undelivered sends; the rest wait on disk for the read-ahead', () => {
    const index = new QueueIndex(0, 0, 0)
    fill(index, BUFFER_LIMIT + 500, 0)
    const held = index.size
    expect(held).toBeLessThanOrEqual(BUFFER_LIMIT)
    expect(held).toBeGreaterThan(BUFFER_LIMIT - 10) // whole batches of 10
    expect(index.unread(10)).toBeUndefined() // enough in memory ahead of the cursor
    index.take(BUFFER_LIMIT, 0, LEASE)
    expect(index.unread(10)).toEqual({ from: held, to: BUFFER_LIMIT + 500 })
  })

  test('the delivered mark never covers a send still in flight, nor anything above what was taken', () => {
    const index = new QueueIndex(0, 0, 0)
    fill(index, 10, 0)
    const inFlight = index.allocate(10) // seqs 10..19, not yet written
    fill(index, 10, 0) // seqs 20..29, written, left on disk behind the send in flight
    const taken = index.take(10, 0, LEASE)
    expect(index.recordsFor(taken)).toEqual([])
    expect(index.mark).toBe(10)
    index.sent(
      inFlight,
      Array.from({ length: 10 }, () => ({ value: 'v', visibleAt: 0 })),
      0,
    )
    const next = index.take(10, 0, LEASE)
    expect(next.map((e) => e.seq)).toEqual([...Array(10).keys()].map((i) => 10 + i))
    index.recordsFor(next)
    expect(index.mark).toBe(20)
  })
})

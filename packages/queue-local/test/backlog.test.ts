import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { QueueClient } from '@anyqueue/queue-core'
import { afterAll, afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createLocalDriver } from '../src/index.js'
import { BUFFER_LIMIT, READ_AHEAD } from '../src/queue-index.js'
import { countDbCalls } from './db-calls.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-local-backlog-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let folders = 0
const location = () => join(root, `db${++folders}`)
const open = (at: string) =>
  new QueueClient(createLocalDriver({ location: at, createIfMissing: true, sync: false }))

/** A store holding `count` messages (payloads 0, 1, …) on disk, and no process holding it open. */
async function backlogOnDisk(count: number): Promise<string> {
  const at = location()
  const client = open(at)
  for (let b = 0; b < count; b += 10) {
    await client.queue('q').sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: b + i })))
  }
  await client.close()
  return at
}

async function receiveAll(client: QueueClient, ack: boolean) {
  const queue = client.queue<number>('q')
  const got: Array<{ payload: number; attempt: number }> = []
  for (;;) {
    const messages = await queue.receive({ maxMessages: 10, waitSeconds: 0 })
    if (messages.length === 0) return got
    got.push(...messages.map((m) => ({ payload: m.payload, attempt: m.attempt })))
    if (ack) await queue.ackBatch(messages)
  }
}

describe('a backlog beyond what the index holds in memory', () => {
  // The driver's time is Date.now(): frozen here, so no delay or lease runs out while a slow machine
  // is still sending or receiving, and a delay runs out only when a test moves the date past it.
  // Timers and I/O stay real, so LevelDB works as it does in production.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  test('FIFO, none lost or duplicated, across the read-ahead and with delayed messages in between', async () => {
    const at = location()
    let client = open(at)
    const total = BUFFER_LIMIT + 3 * READ_AHEAD + 7
    const delayed = new Set<number>()
    for (let b = 0; b < total; b += 10) {
      const entries = Array.from({ length: Math.min(10, total - b) }, (_, i) => {
        const n = b + i
        if (n % 97 === 5) delayed.add(n)
        return { payload: n, delaySeconds: n % 97 === 5 ? 1 : 0 }
      })
      await client.queue('q').sendBatch(entries)
    }
    await client.close()
    client = open(at) // the backlog is on disk, not in memory
    const first = await receiveAll(client, true)
    expect(first.map((m) => m.payload)).toEqual([...Array(total).keys()].filter((n) => !delayed.has(n)))
    vi.setSystemTime(Date.now() + 999)
    expect(await receiveAll(client, true), 'a delay of 1 s is not over after 999 ms').toEqual([])
    vi.setSystemTime(Date.now() + 1)
    const later = await receiveAll(client, true)
    expect(later.map((m) => m.payload)).toEqual([...delayed])
    await client.close()
  })

  test('a backlog on disk comes in full batches: the read-ahead runs before the in-memory run is short', async () => {
    const at = await backlogOnDisk(3 * READ_AHEAD * 10)
    const client = open(at)
    const sizes = new Set<number>()
    for (;;) {
      const messages = await client.queue('q').receive({ maxMessages: 10, waitSeconds: 0 })
      if (messages.length === 0) break
      sizes.add(messages.length)
      await client.queue('q').ackBatch(messages)
    }
    expect([...sizes]).toEqual([10])
    await client.close()
  })

  test('the next read starts while the in-memory run is still half full, not when a receive finds it short', async () => {
    const at = await backlogOnDisk(3 * READ_AHEAD * 10)
    const driver = createLocalDriver({ location: at, sync: false })
    const client = new QueueClient(driver)
    const reads = countDbCalls(driver.db, 'iterator')
    await client.queue('q').receive({ maxMessages: 1, waitSeconds: 0 }) // opens; the first read
    const opened = reads.count
    let received = 1
    const readsAt: Array<{ left: number; reads: number }> = []
    while (received < READ_AHEAD - 10) {
      received += (await client.queue('q').receive({ maxMessages: 10, waitSeconds: 0 })).length
      readsAt.push({ left: READ_AHEAD - received, reads: reads.count - opened })
    }
    // No read while half a read or more waits in memory; one, started by the receive that leaves less.
    expect(readsAt).toEqual(readsAt.map(({ left }) => ({ left, reads: left >= READ_AHEAD / 2 ? 0 : 1 })))
    expect(readsAt.some(({ left }) => left < READ_AHEAD / 2)).toBe(true)
    await client.close()
  })

  test('attempt counts every delivery across reopens, and only the delivered ones', async () => {
    const at = location()
    let client = open(at)
    const queue = () => client.queue<number>('q')
    for (let b = 0; b < 5; b++)
      await queue().sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: b * 10 + i })))
    const leased = await Promise.all([1, 2].map(() => queue().receive({ maxMessages: 10, waitSeconds: 0 })))
    await client.close()
    client = open(at)
    const second = await queue().receive({ maxMessages: 10, waitSeconds: 0 }) // redeliveries first (FIFO)
    await queue().nack(second[0]!, { delaySeconds: 0 })
    await client.close()
    client = open(at)
    const all = await receiveAll(client, true)
    const attempt = new Map(all.map((m) => [m.payload, m.attempt]))
    expect(all.length).toBe(50)
    const firstLeased = leased.flat().map((m) => m.payload)
    expect(firstLeased.length).toBe(20)
    for (let n = 0; n < 50; n++) {
      const expected = second.some((m) => m.payload === n) ? 3 : firstLeased.includes(n) ? 2 : 1
      expect({ n, attempt: attempt.get(n) }).toEqual({ n, attempt: expected })
    }
    await client.close()
  })

  test('concurrent sends and receives: after a reopen every unacked delivery counts once, no more', async () => {
    const at = location()
    let client = open(at)
    const queue = client.queue<number>('q')
    const delivered = new Set<number>()
    const receiving = (async () => {
      for (let idle = 0; idle < 20; ) {
        const got = await Promise.all([1, 2, 3].map(() => queue.receive({ maxMessages: 7, waitSeconds: 0 })))
        if (got.flat().length === 0) idle++
        for (const m of got.flat()) delivered.add(m.payload)
        await new Promise((r) => setImmediate(r))
      }
    })()
    await Promise.all(
      Array.from({ length: 30 }, (_, b) =>
        queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: b * 10 + i }))),
      ),
    )
    await receiving
    await client.close()
    client = open(at)
    const all = await receiveAll(client, true)
    expect(all.length).toBe(300)
    for (const m of all)
      expect({ n: m.payload, attempt: m.attempt }).toEqual({
        n: m.payload,
        attempt: delivered.has(m.payload) ? 2 : 1,
      })
    await client.close()
  })
})

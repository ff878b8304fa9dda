import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { QueueClient } from '@anyqueue/queue-core'
import { afterAll, expect, test } from 'vitest'
import { createLocalDriver } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-local-inspect-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

test('stats() and peek() after a reopen count the backlog on disk exactly, and a look creates nothing', async () => {
  const location = join(root, 'reopen')
  let client = new QueueClient(createLocalDriver({ location, createIfMissing: true }))
  const jobs = () => client.queue<number>('jobs')
  await jobs().sendBatch(Array.from({ length: 10 }, (_, n) => ({ payload: n })))
  await jobs().sendBatch(Array.from({ length: 10 }, (_, n) => ({ payload: 10 + n })))
  await jobs().send(99, { delaySeconds: 600 })
  const [first] = await jobs().receive({ waitSeconds: 0 })
  await jobs().nack(first!)
  await client.close()

  // Reopened: nothing read ahead yet, the backlog is on disk; the redelivered one has its record.
  client = new QueueClient(createLocalDriver({ location, createIfMissing: true }))
  expect(await jobs().stats()).toMatchObject({ visible: 20, inFlight: 0, active: 20, delayed: 1 })
  const peeked = await jobs().peek({ maxMessages: 100 })
  expect(peeked.map((m) => m.payload)).toEqual([...Array.from({ length: 20 }, (_, n) => n), 99])
  expect(peeked.map((m) => m.deliveries)).toEqual([1, ...Array(19).fill(0), 0])
  expect(peeked.at(-1)!.state).toBe('delayed')
  const got = await jobs().receive({ maxMessages: 5, waitSeconds: 0 })
  expect(got.map((m) => [m.payload, m.attempt])).toEqual([
    [0, 2],
    [1, 1],
    [2, 1],
    [3, 1],
    [4, 1],
  ])
  expect(await jobs().stats()).toMatchObject({ visible: 15, inFlight: 5, delayed: 1 })
  await expect(client.queue('nowhere').stats()).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' })
  await expect(client.queue('nowhere').peek()).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' })
  expect(await client.driver.listQueues!()).toEqual(['jobs'])
  await client.close()
})

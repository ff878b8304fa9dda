/**
 * The server crashes mid-consume: the postmaster and its backends are SIGKILLed together (a power
 * cut, as far as the server knows), then PostgreSQL restarts on the same data and port. Nothing whose
 * send resolved is lost, and nothing whose ack resolved comes back. Runs on a PostgreSQL this test
 * starts itself (Debian's binaries), since it must be able to kill it.
 */

import type { Backend } from '@anyqueue/conformance/backends'
import {
  inCI,
  type PostgresConnection,
  postgresBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import { QueueClient } from '@anyqueue/queue-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createPostgresDriver } from '../src/index.js'

const MESSAGES = 300
let backend: Backend<PostgresConnection> | undefined
let skip: string | undefined

beforeAll(async () => {
  const env = { ...process.env, DATABASE_URL: '', PGHOST: '' }
  try {
    backend = await resolveBackend({ ...postgresBackend, container: undefined }, { env })
  } catch (error) {
    if (inCI()) throw error
    skip = (error as Error).message
  }
}, 120_000)
afterAll(async () => {
  await backend?.stop()
}, 60_000)

test('SIGKILL of the server mid-consume: nothing committed is lost, nothing acked comes back', {
  timeout: 300_000,
}, async (context) => {
  if (skip || !backend?.connection.restart) return context.skip(skip ?? 'not a server this test started')
  const connection = backend.connection
  const client = new QueueClient(
    createPostgresDriver({
      connectionString: connection.connectionString,
      schema: 'anyqueue_kill',
      leaseSeconds: 2,
    }),
  )
  try {
    await client.createQueue('crash')
    const queue = client.queue<number>('crash')
    for (let n = 0; n < MESSAGES; n += 10) {
      await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: n + i })))
    }
    const acked = new Set<number>()
    // An ack the server committed just before it died may have failed on the client: that message
    // is gone, never acked here. Receiving it counts as not lost; the queue must end up empty.
    const received = new Set<number>()
    const backAfterAck: number[] = []
    let crashed = false
    const deadline = Date.now() + 240_000
    while (acked.size < MESSAGES && Date.now() < deadline) {
      if (!crashed && acked.size >= MESSAGES / 3) {
        crashed = true
        process.kill(-connection.pid!, 'SIGKILL') // the postmaster's process group: every backend too
        void connection.restart!() // comes back while the loop keeps failing and retrying
      }
      try {
        const messages = await queue.receive({ maxMessages: 10, waitSeconds: 1 })
        for (const m of messages) if (acked.has(m.payload)) backAfterAck.push(m.payload)
        for (const m of messages) received.add(m.payload)
        if (messages.length === 0 && crashed && received.size === MESSAGES) break
        await queue.ackBatch(messages)
        for (const m of messages) acked.add(m.payload)
      } catch (error) {
        // The server is down or restarting: UNAVAILABLE, retried by the portable layer and then here.
        expect((error as { code?: string }).code).toBe('UNAVAILABLE')
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    expect(crashed).toBe(true)
    expect(backAfterAck, 'messages delivered again after their ack resolved').toEqual([])
    expect(MESSAGES - received.size, 'messages lost').toBe(0)
    expect(await queue.stats()).toMatchObject({ visible: 0, inFlight: 0, delayed: 0 })
  } finally {
    await client.close()
  }
})

import { randomUUID } from 'node:crypto'
import { QueueClient } from '@anyqueue/queue-core'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { createPostgresDriver, type PostgresDriver } from '../src/index.js'
import { usePostgres } from './backend.js'

const SCHEMA = 'anyqueue_listener'
const postgres = usePostgres()
let admin: pg.Pool
const opened: QueueClient[] = []

beforeAll(() => {
  if (postgres.skip()) return
  admin = new pg.Pool({ connectionString: postgres.backend().connection.connectionString, max: 2 })
  // An idle client of a pool reports the server's shutdown at the end of the file as an 'error'
  // event, which would otherwise be an uncaught exception: the test's own pool ignores it.
  admin.on('error', () => {})
})
afterAll(async () => {
  for (const client of opened) await client.close()
  await admin?.end()
})

function open(options: { listen?: boolean } = {}): { driver: PostgresDriver; client: QueueClient } {
  const driver = createPostgresDriver({
    connectionString: postgres.backend().connection.connectionString,
    schema: SCHEMA,
    ...options,
  })
  const client = new QueueClient(driver)
  opened.push(client)
  return { driver, client }
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 60 s`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

// Messages come from a second driver, so only the server (a notification or a poll) can wake the
// waiting receive, never the sending driver's own in-process wake-up.
describe('long polls without a notification', () => {
  beforeEach((context) => {
    if (postgres.skip()) context.skip(postgres.skip())
  })

  test('the listening connection killed mid-wait: the receive still gets a message sent after', async () => {
    const waiter = open()
    const sender = open()
    const queue = `lst-${randomUUID().slice(0, 8)}`
    await waiter.client.createQueue(queue)
    const first = waiter.client.queue(queue).receive({ maxMessages: 1, waitSeconds: 20 })
    await until(() => waiter.driver.listening, 'LISTEN')
    const killed = await admin.query(
      'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE query LIKE \'LISTEN "anyqueue_' +
        SCHEMA +
        '"%\' AND pid <> pg_backend_pid()',
    )
    expect(killed.rows.length).toBeGreaterThan(0)
    await until(() => !waiter.driver.listening, 'the listener noticing the loss')
    await sender.client.queue(queue).send('after the drop')
    // A waiter that trusted a dead LISTEN would return [] after 20 s: the message proves the fallback.
    expect((await first).map((m) => m.payload)).toEqual(['after the drop'])
    // And the listener comes back: later notifications wake waiters again.
    await until(() => waiter.driver.listening, 'the listener reconnecting')
  })

  test('listen: false (PgBouncer in transaction mode): a long poll polls and gets a message sent during the wait', async () => {
    const waiter = open({ listen: false })
    const sender = open()
    const queue = `pgb-${randomUUID().slice(0, 8)}`
    await waiter.client.createQueue(queue)
    const waiting = waiter.client.queue(queue).receive({ maxMessages: 1, waitSeconds: 20 })
    await new Promise((r) => setTimeout(r, 300))
    await sender.client.queue(queue).send('polled')
    expect((await waiting).map((m) => m.payload)).toEqual(['polled'])
    expect(waiter.driver.listening).toBe(false)
  })
})

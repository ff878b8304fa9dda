import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { QueueClient } from '@anyqueue/queue-core'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, test } from 'vitest'
import { createPostgresDriver, type PostgresDriver } from '../src/index.js'
import { usePostgres } from './backend.js'

const SCHEMA = 'anyqueue_tx'
const postgres = usePostgres()
let pool: pg.Pool
let driver: PostgresDriver
let client: QueueClient

beforeAll(async () => {
  if (postgres.skip()) return
  pool = new pg.Pool({ connectionString: postgres.backend().connection.connectionString })
  // An idle client of a pool reports the server's shutdown at the end of the file as an 'error'
  // event, which would otherwise be an uncaught exception: the test's own pool ignores it.
  pool.on('error', () => {})
  await pool.query('CREATE TABLE IF NOT EXISTS business_orders (id text PRIMARY KEY)')
  driver = createPostgresDriver({ pool, schema: SCHEMA })
  client = new QueueClient(driver)
})

afterAll(async () => {
  await client?.close()
  await pool?.end()
})

/** A fresh queue, and a helper that reads what a receive would get now. */
async function freshQueue() {
  const name = `tx-${randomUUID().slice(0, 8)}`
  await driver.createQueue(name)
  return {
    name,
    received: async () =>
      (await client.queue(name).receive({ maxMessages: 10, waitSeconds: 0 })).map((m) => m.payload),
  }
}

async function ordersNamed(id: string): Promise<number> {
  return (await pool.query('SELECT count(*)::int AS n FROM business_orders WHERE id = $1', [id])).rows[0].n
}

describe('send in the caller’s transaction', () => {
  beforeEach((context) => {
    if (postgres.skip()) context.skip(postgres.skip())
  })

  test('a rolled-back transaction leaves neither the row nor the message', async () => {
    const queue = await freshQueue()
    const order = randomUUID()
    const tx = await pool.connect()
    try {
      await tx.query('BEGIN')
      await tx.query('INSERT INTO business_orders (id) VALUES ($1)', [order])
      await new QueueClient(driver.transaction(tx)).queue(queue.name).send({ order })
      await tx.query('ROLLBACK')
    } finally {
      tx.release()
    }
    expect(await ordersNamed(order)).toBe(0)
    expect(await queue.received()).toEqual([])
  })

  test('a committed transaction is received, and not before the commit', async () => {
    const queue = await freshQueue()
    const order = randomUUID()
    const tx = await pool.connect()
    try {
      await tx.query('BEGIN')
      await tx.query('INSERT INTO business_orders (id) VALUES ($1)', [order])
      const view = new QueueClient(driver.transaction(tx))
      await view.queue(queue.name).send({ order })
      await view.queue(queue.name).sendBatch([{ payload: 'second' }])
      expect(await queue.received()).toEqual([]) // uncommitted: invisible to everyone else
      await tx.query('COMMIT')
    } finally {
      tx.release()
    }
    expect(await ordersNamed(order)).toBe(1)
    expect((await queue.received()).sort()).toEqual([{ order }, 'second'].sort())
  })

  test('a commit wakes a receive that is already waiting (NOTIFY is delivered at commit)', async () => {
    const queue = await freshQueue()
    const waiting = client.queue(queue.name).receive({ maxMessages: 1, waitSeconds: 20 })
    const tx = await pool.connect()
    try {
      await tx.query('BEGIN')
      await new QueueClient(driver.transaction(tx)).queue(queue.name).send('woken')
      await tx.query('COMMIT')
    } finally {
      tx.release()
    }
    expect((await waiting).map((m) => m.payload)).toEqual(['woken'])
  })

  test('publish through a transaction fans out at commit only', async () => {
    const topic = `txt-${randomUUID().slice(0, 8)}`
    await client.createTopic(topic)
    await client.createSubscription(topic, 'all')
    const tx = await pool.connect()
    try {
      await tx.query('BEGIN')
      await new QueueClient(driver.transaction(tx)).topic(topic).publish('fanned')
      await tx.query('ROLLBACK')
      await tx.query('BEGIN')
      await new QueueClient(driver.transaction(tx)).topic(topic).publish('kept')
      await tx.query('COMMIT')
    } finally {
      tx.release()
    }
    const got = await client.subscription(topic, 'all').receive({ maxMessages: 10, waitSeconds: 0 })
    expect(got.map((m) => m.payload)).toEqual(['kept'])
  })

  test('a process killed between the business write and the commit leaves neither', async () => {
    const queue = await freshQueue()
    const order = randomUUID()
    const config = {
      connectionString: postgres.backend().connection.connectionString,
      schema: SCHEMA,
      queue: queue.name,
      order,
    }
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./transaction.fixture.mjs', import.meta.url)), JSON.stringify(config)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('written')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`the fixture exited with ${code} before writing`)))
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    // The server sees the socket close and rolls back; wait for that backend to be gone.
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      const open = await pool.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND query LIKE '%messages%'",
      )
      if (open.rows[0].n === 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(await ordersNamed(order)).toBe(0)
    expect(await queue.received()).toEqual([])
  })

  test('only the PostgreSQL driver has transaction(): the type tells drivers apart', () => {
    expectTypeOf(driver.transaction).toBeFunction()
  })
})

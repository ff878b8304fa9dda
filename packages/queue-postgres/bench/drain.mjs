// The long-drain measurement of issue 24: fill one queue with N messages (default 1,000,000; pass a
// smaller N for CI), drain it with 16 concurrent receive(10) + ack loops, and report throughput and
// the table's dead tuples and sizes at the start and end of the drain: a SKIP LOCKED queue whose
// autovacuum falls behind slows down as dead rows pile up in its index.
//   DATABASE_URL=postgres://… node bench/drain.mjs [N]
// Indicative only on a shared machine: compare start and end of one run, not runs across machines.
import { QueueClient } from '@anyqueue/queue-core'
import pg from 'pg'
import { createPostgresDriver } from '../dist/index.js'

const N = Number(process.argv[2] ?? 1_000_000)
const WORKERS = 16
const schema = `drain_${process.pid}`
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: WORKERS + 4 })
const client = new QueueClient(createPostgresDriver({ pool, schema }))
await client.createQueue('drain')
const queue = client.queue('drain')

async function tableState() {
  const { rows } = await pool.query(
    `SELECT n_live_tup::int AS live, n_dead_tup::int AS dead, autovacuum_count::int AS autovacuums,
       pg_total_relation_size(relid) AS bytes, pg_indexes_size(relid) AS index_bytes
     FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'messages'`,
    [schema],
  )
  return rows[0]
}

// Fill with raw inserts of anyqueue's row shape: the fill is not what is measured.
let started = Date.now()
for (let sent = 0; sent < N; ) {
  const n = Math.min(10_000, N - sent)
  await pool.query(
    `INSERT INTO "${schema}".messages (queue, id, body, content_type, visible_at)
     SELECT 'drain', gen_random_uuid(), convert_to('{"n":' || g || '}', 'UTF8'), 'application/json', now()
     FROM generate_series($1::int, $2::int) g`,
    [sent, sent + n - 1],
  )
  sent += n
}
console.log(`filled ${N} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
await pool.query(`ANALYZE "${schema}".messages`)

const windows = []
let done = 0
let windowStart = Date.now()
let windowDone = 0
const WINDOW = Math.max(1_000, Math.floor(N / 10))
started = Date.now()
console.log('start', await tableState())
async function worker() {
  for (;;) {
    const messages = await queue.receive({ maxMessages: 10, waitSeconds: 0 })
    if (messages.length === 0) return
    await queue.ackBatch(messages)
    done += messages.length
    windowDone += messages.length
    if (windowDone >= WINDOW) {
      const rate = windowDone / ((Date.now() - windowStart) / 1000)
      windows.push({ at: done, perSecond: Math.round(rate), ...(await tableState()) })
      console.log(windows.at(-1))
      windowStart = Date.now()
      windowDone = 0
    }
  }
}
await Promise.all(Array.from({ length: WORKERS }, worker))
const seconds = (Date.now() - started) / 1000
console.log(`drained ${done} in ${seconds.toFixed(1)} s: ${Math.round(done / seconds)}/s overall`)
console.log(
  `first window ${windows[0]?.perSecond}/s, last window ${windows.at(-1)?.perSecond}/s (${(
    windows.at(-1)?.perSecond / windows[0]?.perSecond
  ).toFixed(2)}×)`,
)
console.log('end', await tableState())
await client.close()
await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
await pool.end()

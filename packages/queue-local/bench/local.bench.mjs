// pnpm bench (queue-local): anyqueue's local driver against raw `level` doing the same durable work.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { consume, QueueClient } from '@anyqueue/queue-core'
import { Level } from 'level'
import { rate, report, reportConsumer } from '../../../scripts/bench-kit.mjs'
import { createLocalDriver } from '../dist/index.js'

const N = Number(process.env.BENCH_MESSAGES ?? 20_000)
const root = process.argv[2] === '--heap' ? '' : mkdtempSync(join(tmpdir(), 'anyqueue-bench-'))
const payload = { order: 12345, items: ['a', 'b', 'c'], note: 'x'.repeat(200) }
const body = JSON.stringify(payload)
const batches = (n) => Array.from({ length: n / 10 }, (_, b) => b)

async function anyqueue() {
  const client = new QueueClient(createLocalDriver({ location: join(root, 'aq'), createIfMissing: true }))
  const single = client.queue('single')
  const batched = client.queue('batched')
  const sendOne = await rate(N, async () => {
    for (let i = 0; i < N; i++) await single.send(payload)
  })
  const entries = Array.from({ length: 10 }, () => ({ payload }))
  const sendTen = await rate(N, async () => {
    for (const _ of batches(N)) await batched.sendBatch(entries)
  })
  const receiveAck = await rate(N, async () => {
    for (let got = 0; got < N; ) {
      const messages = await batched.receive({ maxMessages: 10, waitSeconds: 0 })
      await batched.ackBatch(messages)
      got += messages.length
    }
  })
  await client.close()
  return { sendOne, sendTen, receiveAck }
}

/** The floor: the same durable writes straight to level, with no queue semantics at all. */
async function raw() {
  const db = new Level(join(root, 'raw'), { valueEncoding: 'utf8' })
  await db.open()
  let seq = 0
  const key = () => `m!${(seq++).toString(16).padStart(13, '0')}`
  const sendOne = await rate(N, async () => {
    for (let i = 0; i < N; i++) await db.put(key(), body, { sync: true })
  })
  const sendTen = await rate(N, async () => {
    for (const _ of batches(N)) {
      await db.batch(
        Array.from({ length: 10 }, () => ({ type: 'put', key: key(), value: body })),
        { sync: true },
      )
    }
  })
  const receiveAck = await rate(N, async () => {
    for (let got = 0; got < N; ) {
      const entries = await db.iterator({ gte: 'm!', lt: 'm!~', limit: 10 }).all()
      await db.batch(entries.map(([k]) => ({ type: 'del', key: k })))
      got += entries.length
    }
  })
  await db.close()
  return { sendOne, sendTen, receiveAck }
}

/** Heap after opening `location` and loading queue `name`'s index, in a fresh process. */
function heapAfterLoad(location, name) {
  const out = execFileSync(process.execPath, [
    '--expose-gc',
    fileURLToPath(import.meta.url),
    '--heap',
    location,
    name,
  ])
  return Number(out.toString().trim())
}

if (process.argv[2] === '--heap') {
  const [location, name] = process.argv.slice(3)
  const client = new QueueClient(createLocalDriver({ location }))
  await client.queue(name).receive({ waitSeconds: 0 }) // loads the index
  for (let i = 0; i < 3; i++) globalThis.gc()
  console.log(process.memoryUsage().heapUsed)
  await client.close()
  process.exit(0)
}

/** Memory the in-memory index holds per queued message (bodies stay on disk): full minus empty. */
async function indexMemory() {
  const location = join(root, 'mem')
  const client = new QueueClient(createLocalDriver({ location, createIfMissing: true }))
  await client.createQueue('empty')
  const q = client.queue('full')
  const entries = Array.from({ length: 10 }, () => ({ payload }))
  for (const _ of batches(N)) await q.sendBatch(entries)
  await client.close()
  return (heapAfterLoad(location, 'full') - heapAfterLoad(location, 'empty')) / N
}

/** Consumer throughput on its own store (no fsync: the consumer, not the disk, is measured). */
async function consumer() {
  const client = new QueueClient(createLocalDriver({ location: join(root, 'consumer'), sync: false }))
  await client.createQueue('c')
  await reportConsumer('queue-local', consume, client.queue('c'), N, payload)
  await client.close()
}

try {
  const a = await anyqueue()
  const r = await raw()
  report(
    `queue-local vs raw level — ${N.toLocaleString('en-US')} messages of ${body.length} bytes, sync writes`,
    'anyqueue',
    'raw level',
    [
      { name: 'send, one at a time', subject: a.sendOne, baseline: r.sendOne },
      { name: 'sendBatch of 10', subject: a.sendTen, baseline: r.sendTen },
      { name: 'receive 10 + ackBatch', subject: a.receiveAck, baseline: r.receiveAck },
    ],
  )
  await consumer()
  const perMessage = await indexMemory()
  console.log(
    `index memory: ${Math.round(perMessage)} bytes of heap per queued message (bodies stay on disk)`,
  )
} finally {
  if (root) rmSync(root, { recursive: true, force: true })
}

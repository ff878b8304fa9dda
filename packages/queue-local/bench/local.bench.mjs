// pnpm bench (queue-local): anyqueue's local driver against its floor — raw `level` doing the least
// work that keeps the same promises — in the same process, in interleaved rounds on fresh folders.
// Then memory and open time with a large backlog, each measured in a fresh process.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { consume, QueueClient } from '@anyqueue/queue-core'
import { Level } from 'level'
import { rate, report } from '../../../scripts/bench-kit.mjs'

const { createLocalDriver } = await import(process.env.BENCH_DRIVER ?? '../dist/index.js')

const N = Number(process.env.BENCH_MESSAGES ?? 20_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 1_000_000)
const payload = { order: 12345, items: ['a', 'b', 'c'], note: 'x'.repeat(60) }
const body = JSON.stringify(payload)
const tenEntries = Array.from({ length: 10 }, () => ({ payload }))

if (process.argv[2] === '--memory') {
  await memoryChild(process.argv[3], process.argv[4], process.argv[5] === 'drain')
  process.exit(0)
}

/** anyqueue: each workload through the portable Queue, default options (sync: true). */
async function anyqueue(folder) {
  const driver = createLocalDriver({ location: folder, createIfMissing: true })
  const client = new QueueClient(driver)
  const calls = countCalls(driver.db)
  const single = client.queue('single')
  const batched = client.queue('batched')
  const sendOne = await rate(N, async () => {
    for (let i = 0; i < N; i++) await single.send(payload)
  })
  const sendTen = await rate(N, async () => {
    for (let b = 0; b < N / 10; b++) await batched.sendBatch(tenEntries)
  })
  calls.reset()
  const [receiveAck, receiveAckCpu, receiveAckMain] = await timed(N, async () => {
    for (let got = 0; got < N; ) {
      const messages = await batched.receive({ maxMessages: 10, waitSeconds: 0 })
      await batched.ackBatch(messages)
      got += messages.length
    }
  })
  const receiveAckCalls = calls.per(N / 10)
  for (let b = 0; b < N / 10; b++) await batched.sendBatch(tenEntries)
  let handled = 0
  calls.reset()
  const [consume16, consume16Cpu, consume16Main] = await timed(N, async () => {
    let finish
    const finished = new Promise((resolve) => {
      finish = resolve
    })
    const consumer = consume(batched, () => void (++handled === N && finish()), {
      concurrency: 16,
      waitSeconds: 1,
    })
    await finished
    await consumer.stop()
  })
  const consumeCalls = calls.per(N / 10)
  await client.close()
  return {
    sendOne,
    sendTen,
    receiveAck,
    consume16,
    receiveAckCpu,
    consume16Cpu,
    receiveAckMain,
    consume16Main,
    receiveAckCalls,
    consumeCalls,
  }
}

/**
 * The floor: raw `level` with no queue semantics, doing the minimum for the same durability — a
 * synced put per send, a synced batch per 10, and a drain that reads on from a cursor (never
 * re-reading deleted keys from the head) and deletes what it read in one unsynced batch, as
 * anyqueue's acks are unsynced.
 */
async function floor(folder) {
  const db = new Level(folder, { valueEncoding: 'utf8' })
  await db.open()
  let seq = 0
  const key = (prefix) => `${prefix}!${(seq++).toString(16).padStart(13, '0')}`
  const sendOne = await rate(N, async () => {
    for (let i = 0; i < N; i++) await db.put(key('a'), body, { sync: true })
  })
  const fill = async () => {
    for (let b = 0; b < N / 10; b++) {
      await db.batch(
        Array.from({ length: 10 }, () => ({ type: 'put', key: key('b'), value: body })),
        { sync: true },
      )
    }
  }
  const sendTen = await rate(N, fill)
  let cursor = 'b!'
  const [receiveAck, receiveAckCpu, receiveAckMain] = await timed(N, async () => {
    for (let got = 0; got < N; ) {
      const entries = await db.iterator({ gt: cursor, lt: 'b!~', limit: 10 }).all()
      for (const [, value] of entries) JSON.parse(value) // decoded, as a consumer would
      await db.batch(entries.map(([k]) => ({ type: 'del', key: k })))
      cursor = entries[entries.length - 1][0]
      got += entries.length
    }
  })
  await db.close()
  return { sendOne, sendTen, receiveAck, receiveAckCpu, receiveAckMain }
}

/**
 * Counts LevelDB round trips (calls into the database) and the operations they carry, through the
 * driver's `db` escape hatch: a figure the machine's load cannot blur.
 */
function countCalls(db) {
  const count = { calls: 0, ops: 0 }
  for (const method of ['put', 'del', 'get', 'getMany', 'batch', 'iterator']) {
    const original = db[method].bind(db)
    db[method] = (first, ...rest) => {
      count.calls += 1
      count.ops += method === 'batch' || method === 'getMany' ? first.length : 1
      return original(first, ...rest)
    }
  }
  return {
    reset: () => Object.assign(count, { calls: 0, ops: 0 }),
    per: (units) => `${(count.calls / units).toFixed(2)} calls, ${(count.ops / units).toFixed(1)} operations`,
  }
}

/**
 * Messages per second of wall time, per second of CPU time (every thread of the process, so
 * LevelDB's and the garbage collector's too), and per second of the main thread's own CPU time,
 * where the JavaScript runs: on a shared machine the last is blurred least by other processes' load
 * (Linux only; elsewhere it repeats the wall figure).
 */
async function timed(messages, work) {
  const started = process.cpuUsage()
  const mainStarted = mainThreadNs()
  const wall = await rate(messages, work)
  const used = process.cpuUsage(started)
  const main = mainStarted === undefined ? undefined : mainThreadNs() - mainStarted
  return [wall, messages / ((used.user + used.system) / 1e6), main ? messages / (main / 1e9) : wall]
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`
/** Nanoseconds the main thread has run on a CPU (its first schedstat field), if the system says. */
function mainThreadNs() {
  return existsSync(SCHEDSTAT) ? Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) : undefined
}

const best = (runs, field) => Math.max(...runs.map((r) => r[field]))

/** Child process: open a store, time the first receive (the open), then optionally drain it. */
async function memoryChild(location, name, drain) {
  const heap = () => {
    for (let i = 0; i < 3; i++) globalThis.gc()
    return process.memoryUsage().heapUsed
  }
  const before = heap()
  const client = new QueueClient(createLocalDriver({ location }))
  const queue = client.queue(name)
  const started = process.hrtime.bigint()
  const first = await queue.receive({ maxMessages: 10, waitSeconds: 0 })
  const openMs = Number(process.hrtime.bigint() - started) / 1e6
  const opened = heap()
  let drained = 0
  let warm
  if (drain) {
    await queue.ackBatch(first)
    drained = first.length
    for (;;) {
      const messages = await queue.receive({ maxMessages: 10, waitSeconds: 0 })
      if (messages.length === 0) break
      await queue.ackBatch(messages)
      drained += messages.length
      if (warm === undefined && drained >= 100_000) warm = heap()
    }
  }
  const after = heap()
  await client.close()
  console.log(JSON.stringify({ before, openMs, opened, warm, after, drained }))
}

function measure(location, name, drain) {
  const out = execFileSync(process.execPath, [
    '--expose-gc',
    fileURLToPath(import.meta.url),
    '--memory',
    location,
    name,
    drain ? 'drain' : '',
  ])
  return JSON.parse(out.toString())
}

/** Open time and heap with a large backlog, and heap after draining all of it, against empty. */
async function memory(root) {
  const location = join(root, 'backlog')
  const client = new QueueClient(createLocalDriver({ location, createIfMissing: true, sync: false }))
  await client.createQueue('empty')
  const queue = client.queue('full')
  for (let b = 0; b < BACKLOG / 10; b++) await queue.sendBatch(tenEntries)
  await client.close()
  const empty = measure(location, 'empty', false)
  const full = measure(location, 'full', true)
  const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`
  console.log(
    [
      '',
      `memory — ${BACKLOG.toLocaleString('en-US')} queued messages, each figure from a fresh process`,
      `open an empty queue: ${empty.openMs.toFixed(0)} ms, heap ${mb(empty.opened)}`,
      `open the backlog:    ${full.openMs.toFixed(0)} ms, heap ${mb(full.opened)} (+${mb(full.opened - empty.opened)} over empty)`,
      `after draining all ${full.drained.toLocaleString('en-US')}: heap ${mb(full.after)} (${(full.after / empty.opened).toFixed(2)}× the empty heap, which has run no drain; ${full.warm ? `${(full.after / full.warm).toFixed(2)}× the heap after the first 100,000` : ''})`,
    ].join('\n'),
  )
}

const root = mkdtempSync(join(tmpdir(), 'anyqueue-bench-'))
try {
  const subject = []
  const baseline = []
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which side goes first, so drift in the machine's load hits both alike.
    const sides = [
      async () => subject.push(await anyqueue(join(root, `aq${round}`))),
      async () => baseline.push(await floor(join(root, `raw${round}`))),
    ]
    if (round % 2) sides.reverse()
    for (const side of sides) await side()
  }
  report(
    `queue-local vs its floor (raw level) — ${N.toLocaleString('en-US')} messages of ${body.length} bytes, sync sends, best of ${ROUNDS} interleaved rounds`,
    'anyqueue',
    'floor',
    [
      { name: 'send, one at a time', field: 'sendOne' },
      { name: 'sendBatch of 10', field: 'sendTen' },
      { name: 'receive 10 + ackBatch', field: 'receiveAck' },
      { name: 'consume, concurrency 16 (floor: drain)', field: 'consume16', floor: 'receiveAck' },
    ].map(({ name, field, floor = field }) => ({
      name,
      subject: best(subject, field),
      baseline: best(baseline, floor),
    })),
  )
  report(
    'the same, per second of CPU time (all threads) rather than wall time',
    'anyqueue',
    'floor',
    [
      { name: 'receive 10 + ackBatch', field: 'receiveAckCpu' },
      { name: 'consume, concurrency 16 (floor: drain)', field: 'consume16Cpu', floor: 'receiveAckCpu' },
    ].map(({ name, field, floor = field }) => ({
      name,
      subject: best(subject, field),
      baseline: best(baseline, floor),
    })),
  )
  report(
    "the same, per second of the main thread's CPU time (where the JavaScript runs; load blurs it least)",
    'anyqueue',
    'floor',
    [
      { name: 'receive 10 + ackBatch', field: 'receiveAckMain' },
      { name: 'consume, concurrency 16 (floor: drain)', field: 'consume16Main', floor: 'receiveAckMain' },
    ].map(({ name, field, floor = field }) => ({
      name,
      subject: best(subject, field),
      baseline: best(baseline, floor),
    })),
  )
  console.log(
    `consume(concurrency 16) ÷ the manual receive 10 + ackBatch loop: ${(best(subject, 'consume16') / best(subject, 'receiveAck')).toFixed(2)} (wall), ${(best(subject, 'consume16Main') / best(subject, 'receiveAckMain')).toFixed(2)} (main-thread CPU)`,
  )
  console.log(
    [
      'LevelDB round trips per 10 messages (the floor: 2 calls, 11 operations — a read of 10, a batch of 10 deletes):',
      `  receive 10 + ackBatch: ${subject[0].receiveAckCalls}`,
      `  consume, concurrency 16: ${subject[0].consumeCalls}`,
    ].join('\n'),
  )
  if (BACKLOG > 0) await memory(root)
} finally {
  rmSync(root, { recursive: true, force: true })
}

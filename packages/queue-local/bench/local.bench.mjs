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
import { drainLoop, rate, report } from '../../../scripts/bench-kit.mjs'

const { createLocalDriver } = await import(process.env.BENCH_DRIVER ?? '../dist/index.js')

const N = Number(process.env.BENCH_MESSAGES ?? 20_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
/** Messages per turn when a drain alternates between anyqueue and the floor. */
const CHUNK = Number(process.env.BENCH_CHUNK ?? 1_000)
const CONCURRENCY = 16
if (N % CHUNK !== 0 || N % 10 !== 0) {
  throw new Error(`BENCH_MESSAGES (${N}) must be a multiple of BENCH_CHUNK (${CHUNK}) and of 10`)
}
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 1_000_000)
const payload = { order: 12345, items: ['a', 'b', 'c'], note: 'x'.repeat(60) }
const body = JSON.stringify(payload)
const tenEntries = Array.from({ length: 10 }, () => ({ payload }))

if (process.argv[2] === '--memory') {
  await memoryChild(process.argv[3], process.argv[4], process.argv[5] === 'drain')
  process.exit(0)
}

/**
 * One round, both sides open side by side on fresh folders: the sends timed phase by phase (the
 * side going first alternates by round), then each drain interleaved chunk by chunk — `CHUNK`
 * messages through anyqueue, `CHUNK` through the floor, and so on, each side timed on its own
 * chunks only — so whatever the machine does meanwhile (other processes, LevelDB's compactions)
 * falls on both alike rather than on whichever side's turn it happened to be.
 */
async function round(folder, index) {
  const driver = createLocalDriver({ location: join(folder, 'anyqueue'), createIfMissing: true })
  const client = new QueueClient(driver)
  const calls = countCalls(driver.db)
  const single = client.queue('single')
  const batched = client.queue('batched')
  const floor = new Floor(join(folder, 'floor'))
  await floor.open()
  const result = { subject: {}, baseline: {} }
  const sends = {
    sendOne: {
      subject: async () => {
        for (let i = 0; i < N; i++) await single.send(payload)
      },
      baseline: () => floor.sendOne(N),
    },
    sendTen: { subject: () => fillQueue(batched, N), baseline: () => floor.fill('b', N) },
  }
  for (const [field, work] of Object.entries(sends)) {
    for (const side of index % 2 ? ['baseline', 'subject'] : ['subject', 'baseline']) {
      result[side][field] = await rate(N, work[side])
    }
  }
  const { subject, baseline } = result

  calls.reset()
  const drained = await interleavedChunks(index, {
    subject: async () => {
      await drainLoop(batched, CHUNK)
      await calls.idle() // a read-ahead it started counts as its work, not the floor's
    },
    baseline: () => floor.drain('b', CHUNK),
  })
  subject.receiveAckCalls = calls.per(N / 10)

  // The consumer holds the messages past each chunk's end (at most its concurrency) until the next:
  // a few more than N, so the last chunk finds its messages.
  await fillQueue(batched, N + 2 * CONCURRENCY)
  await floor.fill('c', N)
  await floor.fill('d', N)
  const consumer = steppedConsumer(driver, batched, CONCURRENCY)
  await consumer.ready()
  calls.reset()
  const consumed = await interleavedChunks(index + 1, {
    subject: async () => {
      await consumer.run(CHUNK)
      await calls.idle()
    },
    baseline: () => floor.drain('c', CHUNK),
    overlapped: () => floor.drain('d', CHUNK, true),
  })
  subject.consumeCalls = calls.per(N / 10)
  await consumer.stop()
  await client.close()
  await floor.close()
  return {
    subject: {
      ...subject,
      receiveAck: drained.subject.wall,
      receiveAckMain: drained.subject.main,
      consume16: consumed.subject.wall,
      consume16Main: consumed.subject.main,
    },
    baseline: {
      ...baseline,
      receiveAck: drained.baseline.wall,
      receiveAckMain: drained.baseline.main,
      drainForConsume: consumed.baseline.wall,
      drainForConsumeMain: consumed.baseline.main,
      overlappedForConsume: consumed.overlapped.wall,
      overlappedForConsumeMain: consumed.overlapped.main,
    },
  }
}

async function fillQueue(queue, count) {
  for (let b = 0; b < count / 10; b++) await queue.sendBatch(tenEntries)
}

/**
 * Runs N ÷ CHUNK chunks of each side, alternating (which side starts alternates with `index`), and
 * returns each side's messages per second of wall time and of main-thread CPU over its own chunks.
 */
async function interleavedChunks(index, chunks) {
  const sides = Object.keys(chunks)
  const total = Object.fromEntries(sides.map((side) => [side, { wall: 0, main: 0 }]))
  for (let chunk = 0; chunk < N / CHUNK; chunk++) {
    // Which side goes first rotates chunk by chunk, so no side always follows the same one (what a
    // side leaves running in the background, such as its compactions, falls on each alike).
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(i + index + chunk) % sides.length]
      const main = mainThreadNs()
      const started = process.hrtime.bigint()
      await chunks[side]()
      total[side].wall += Number(process.hrtime.bigint() - started)
      total[side].main += main === undefined ? 0 : mainThreadNs() - main
    }
  }
  const perSecond = ({ wall, main }) => ({
    wall: N / (wall / 1e9),
    main: main ? N / (main / 1e9) : N / (wall / 1e9),
  })
  return Object.fromEntries(sides.map((side) => [side, perSecond(total[side])]))
}

/**
 * consume() with a no-op handler, run a chunk at a time: `run(count)` resolves once `count` more
 * handlers ran and the consumer went quiet — each of its slots holds a message (a handler called
 * past the chunk waits for the next `run`) and no ack is in flight — so none of its work spills
 * into the floor's turn. `driver.ackBatch` is wrapped to see the acks in flight.
 */
function steppedConsumer(driver, queue, concurrency) {
  let handled = 0
  let target = 0
  let acking = 0
  let quiet = () => {}
  let release = () => {}
  let held = new Promise((resolve) => {
    release = resolve
  })
  const check = () => {
    if (handled >= target + concurrency && acking === 0) quiet()
  }
  const ackBatch = driver.ackBatch.bind(driver)
  driver.ackBatch = (name, handles) => {
    acking += 1
    return ackBatch(name, handles).finally(() => {
      acking -= 1
      check()
    })
  }
  const consumer = consume(
    queue,
    () => {
      handled += 1
      if (handled <= target) return
      check()
      return held
    },
    { concurrency, waitSeconds: 1 },
  )
  const settle = () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`the consumer never went quiet: ${handled} handled, ${acking} acks in flight`)),
        60_000,
      )
      quiet = () => {
        clearTimeout(timer)
        resolve()
      }
      check()
    })
  return {
    /** Resolves once the consumer filled its slots before the first chunk (untimed). */
    ready: settle,
    run(count) {
      target += count
      const done = settle()
      const previous = release
      held = new Promise((resolve) => {
        release = resolve
      })
      previous()
      return done
    },
    async stop() {
      target = Number.POSITIVE_INFINITY
      release()
      await consumer.stop()
    },
  }
}

/**
 * The floor: raw `level` with no queue semantics, doing the minimum for the same durability — a
 * synced put per send, a synced batch per 10, and a drain that reads on from a cursor (never
 * re-reading deleted keys from the head) and deletes what it read in one unsynced batch, as
 * anyqueue's acks are unsynced.
 */
class Floor {
  #seq = 0
  #cursors = new Map()

  constructor(location) {
    this.db = new Level(location, { valueEncoding: 'utf8' })
  }

  open() {
    return this.db.open()
  }

  close() {
    return this.db.close()
  }

  #key(prefix) {
    return `${prefix}!${(this.#seq++).toString(16).padStart(13, '0')}`
  }

  async sendOne(count) {
    for (let i = 0; i < count; i++) await this.db.put(this.#key('a'), body, { sync: true })
  }

  async fill(prefix, count) {
    for (let b = 0; b < count / 10; b++) {
      await this.db.batch(
        Array.from({ length: 10 }, () => ({ type: 'put', key: this.#key(prefix), value: body })),
        { sync: true },
      )
    }
  }

  /**
   * Reads on from the prefix's cursor and deletes what it read, 10 at a time, `count` in all. With
   * `overlap`, each read goes out while the previous batch's deletes are still being written — the
   * overlap `consume()` has between one receive's acks and the next receive — so consume can also
   * be compared with a floor that may overlap as much.
   */
  async drain(prefix, count, overlap = false) {
    let cursor = this.#cursors.get(prefix) ?? `${prefix}!`
    let deleting
    for (let got = 0; got < count; ) {
      const entries = await this.db.iterator({ gt: cursor, lt: `${prefix}!~`, limit: 10 }).all()
      for (const [, value] of entries) JSON.parse(value) // decoded, as a consumer would
      await deleting
      deleting = this.db.batch(entries.map(([k]) => ({ type: 'del', key: k })))
      if (!overlap) await deleting
      cursor = entries[entries.length - 1][0]
      got += entries.length
    }
    await deleting
    this.#cursors.set(prefix, cursor)
  }
}

/**
 * Counts LevelDB round trips (calls into the database) and the operations they carry, through the
 * driver's `db` escape hatch: a figure the machine's load cannot blur.
 */
function countCalls(db) {
  const count = { calls: 0, ops: 0 }
  let pending = 0
  let waiters = []
  const track = (promise) => {
    pending += 1
    const done = () => {
      if (--pending > 0) return
      for (const wake of waiters) wake()
      waiters = []
    }
    promise.then(done, done)
    return promise
  }
  for (const method of ['put', 'del', 'get', 'getMany', 'batch', 'iterator']) {
    const original = db[method].bind(db)
    db[method] = (first, ...rest) => {
      count.calls += 1
      count.ops += method === 'batch' || method === 'getMany' ? first.length : 1
      if (method !== 'iterator') return track(original(first, ...rest))
      const iterator = original(first, ...rest)
      const all = iterator.all.bind(iterator)
      iterator.all = (...args) => track(all(...args))
      return iterator
    }
  }
  return {
    reset: () => Object.assign(count, { calls: 0, ops: 0 }),
    per: (units) => `${(count.calls / units).toFixed(2)} calls, ${(count.ops / units).toFixed(1)} operations`,
    /** Resolves once no call into the database is in flight (a read-ahead started in the background). */
    idle: () => (pending === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
  }
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`
/** Nanoseconds the main thread has run on a CPU (its first schedstat field), if the system says. */
function mainThreadNs() {
  return existsSync(SCHEDSTAT) ? Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) : undefined
}

const best = (runs, field) => Math.max(...runs.map((r) => r[field]))

/**
 * A drain row from rounds whose sides ran interleaved: each round's ratio is a fair pair, so the
 * row shows the round with the median ratio, and `ratios` lists every round's.
 */
function paired(name, rounds, subjectField, baselineField) {
  const ratio = (r) => r.subject[subjectField] / r.baseline[baselineField]
  const sorted = [...rounds].sort((x, y) => ratio(x) - ratio(y))
  const median = sorted[Math.floor((sorted.length - 1) / 2)]
  return {
    name,
    subject: median.subject[subjectField],
    baseline: median.baseline[baselineField],
    ratios: rounds.map((r) => ratio(r).toFixed(2)).join(' '),
  }
}

function printPaired(title, rows) {
  report(title, 'anyqueue', 'floor', rows)
  for (const { name, ratios } of rows) console.log(`  ${name}, every round: ${ratios}`)
}

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
  // A first round unrecorded: both sides' code compiled and the disk's caches warm before any counts.
  await round(join(root, 'warm-up'), 0)
  const rounds = []
  for (let index = 0; index < ROUNDS; index++) rounds.push(await round(join(root, `round${index}`), index))
  const subject = rounds.map((r) => r.subject)
  const baseline = rounds.map((r) => r.baseline)
  report(
    `queue-local vs its floor (raw level) — sends: ${N.toLocaleString('en-US')} messages of ${body.length} bytes, synced, best of ${ROUNDS} rounds`,
    'anyqueue',
    'floor',
    [
      { name: 'send, one at a time', field: 'sendOne' },
      { name: 'sendBatch of 10', field: 'sendTen' },
    ].map(({ name, field }) => ({ name, subject: best(subject, field), baseline: best(baseline, field) })),
  )
  printPaired(
    `drains: ${N.toLocaleString('en-US')} messages, interleaved with the floor ${CHUNK.toLocaleString('en-US')} at a time; the round with the median ratio of ${ROUNDS}`,
    [
      paired('receive 10 + ackBatch', rounds, 'receiveAck', 'receiveAck'),
      paired(`consume(${CONCURRENCY}); floor: drain`, rounds, 'consume16', 'drainForConsume'),
      paired(`consume(${CONCURRENCY}); floor: overlapped drain`, rounds, 'consume16', 'overlappedForConsume'),
    ],
  )
  printPaired(
    "the same, per second of the main thread's CPU time (where the JavaScript runs; load blurs it least)",
    [
      paired('receive 10 + ackBatch', rounds, 'receiveAckMain', 'receiveAckMain'),
      paired(`consume(${CONCURRENCY}); floor: drain`, rounds, 'consume16Main', 'drainForConsumeMain'),
      paired(
        `consume(${CONCURRENCY}); floor: overlapped drain`,
        rounds,
        'consume16Main',
        'overlappedForConsumeMain',
      ),
    ],
  )
  const loopRatios = (field, loop) =>
    rounds.map((r) => r.subject[field] / r.subject[loop]).sort((x, y) => x - y)
  const median = (values) => values[Math.floor((values.length - 1) / 2)].toFixed(2)
  console.log(
    `consume(concurrency ${CONCURRENCY}) ÷ the manual receive 10 + ackBatch loop, median of ${ROUNDS} rounds: ${median(loopRatios('consume16', 'receiveAck'))} (wall), ${median(loopRatios('consume16Main', 'receiveAckMain'))} (main-thread CPU)`,
  )
  console.log(
    [
      'LevelDB round trips per 10 messages (the floor: 2 calls, 11 operations — a read of 10, a batch of 10 deletes):',
      `  receive 10 + ackBatch: ${subject[0].receiveAckCalls}`,
      `  consume, concurrency ${CONCURRENCY}: ${subject[0].consumeCalls}`,
    ].join('\n'),
  )
  if (BACKLOG > 0) await memory(root)
} finally {
  rmSync(root, { recursive: true, force: true })
}

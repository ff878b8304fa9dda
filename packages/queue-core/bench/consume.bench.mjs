// pnpm bench (queue-core): what consume() costs over the loop a user would write by hand
// (receive 10, ackBatch), on an in-memory driver, so the consumer's own overhead is all there is to
// see. Rounds alternate between the two. Two measures, because a shared machine makes wall time
// scatter: the best round of each side (wall clock), and messages per CPU-second of this process
// over all rounds (what the work costs, whoever else runs). BENCH_CORE=<path to a built index.js>
// runs another build of the core, to compare before and after a change.
import { report } from '../../../scripts/bench-kit.mjs'
import { createMemoryDriver } from './memory-driver.mjs'

const core = await import(process.env.BENCH_CORE ?? '../dist/index.js')
const N = Number(process.env.BENCH_MESSAGES ?? 20_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const payload = { order: 12345, items: ['a', 'b', 'c'], note: 'x'.repeat(200) }
const entries = Array.from({ length: 10 }, () => ({ payload }))

const client = new core.QueueClient(createMemoryDriver())
const queue = client.queue('bench')

async function fill() {
  for (let b = 0; b < N / 10; b++) await queue.sendBatch(entries)
}

/** Runs `work` on a freshly filled queue: { wall: messages/s, cpu: CPU seconds it used }. */
async function timed(work) {
  await fill()
  const cpu = process.cpuUsage()
  const started = process.hrtime.bigint()
  await work()
  const used = process.cpuUsage(cpu)
  return { wall: N / (Number(process.hrtime.bigint() - started) / 1e9), cpu: (used.user + used.system) / 1e6 }
}

const manualLoop = () =>
  timed(async () => {
    for (let got = 0; got < N; ) {
      const batch = await queue.receive({ maxMessages: 10, waitSeconds: 0 })
      await queue.ackBatch(batch)
      got += batch.length
    }
  })

const consumeAt = (concurrency) =>
  timed(async () => {
    let handled = 0
    let finish
    const finished = new Promise((resolve) => {
      finish = resolve
    })
    const consumer = core.consume(
      queue,
      () => {
        if (++handled === N) finish()
      },
      { concurrency, waitSeconds: 1 },
    )
    await finished
    await consumer.stop()
  })

const wall = []
const cpu = []
for (const concurrency of [1, 16, 32]) {
  const best = { subject: 0, baseline: 0 }
  const cpuSeconds = { subject: 0, baseline: 0 }
  for (let round = 0; round < ROUNDS; round++) {
    const manual = await manualLoop()
    const consumed = await consumeAt(concurrency)
    best.baseline = Math.max(best.baseline, manual.wall)
    best.subject = Math.max(best.subject, consumed.wall)
    cpuSeconds.baseline += manual.cpu
    cpuSeconds.subject += consumed.cpu
  }
  const name = `consume, concurrency ${concurrency}`
  wall.push({ name, ...best })
  cpu.push({ name, subject: (N * ROUNDS) / cpuSeconds.subject, baseline: (N * ROUNDS) / cpuSeconds.baseline })
}
const what = `${N.toLocaleString('en-US')} messages, no-op handler, ${ROUNDS} alternating rounds; manual loop = receive 10 + ackBatch`
report(
  `consume() on an in-memory driver, best round (wall clock) — ${what}`,
  'consume()',
  'manual loop',
  wall,
)
report(
  `consume() on an in-memory driver, per CPU-second of all rounds — ${what}`,
  'consume()',
  'manual loop',
  cpu,
)
await client.close()

// pnpm bench (queue-core): what consume() costs over the loop a user would write by hand
// (receive 10, ackBatch), on an in-memory driver, so the consumer's own overhead is all there is to
// see. Rounds alternate between the two and each side keeps its best, so load from other processes
// on the machine slows both alike instead of deciding the ratio. BENCH_CORE=<path to a built
// index.js> runs another build of the core (to compare before and after a change).
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

async function timed(work) {
  await fill()
  const started = process.hrtime.bigint()
  await work()
  return N / (Number(process.hrtime.bigint() - started) / 1e9)
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

const rows = []
for (const concurrency of [1, 16, 32]) {
  let subject = 0
  let baseline = 0
  for (let round = 0; round < ROUNDS; round++) {
    baseline = Math.max(baseline, await manualLoop())
    subject = Math.max(subject, await consumeAt(concurrency))
  }
  rows.push({ name: `consume, concurrency ${concurrency}`, subject, baseline })
}
report(
  `consume() on an in-memory driver — ${N.toLocaleString('en-US')} messages, no-op handler, best of ${ROUNDS} alternating rounds; manual loop = receive 10 + ackBatch`,
  'consume()',
  'manual loop',
  rows,
)
await client.close()

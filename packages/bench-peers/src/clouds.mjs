// pnpm bench:peers (the cloud part; `pnpm --filter @anyqueue/bench-peers run clouds` alone): each
// cloud driver's consume({ concurrency: 16 }) against its SDK's best consumer, on the emulators the
// tests use (resolved the same way: environment → container → local process), one process, the two
// sides interleaved round by round (alternating which goes first), each on a queue filled afresh.
// A no-op handler that acks; BENCH_CLOUD_MESSAGES per drain (default 3,000; SQS on moto 600), BENCH_ROUNDS (default 3),
// BENCH_CLOUDS=pubsub,servicebus,sqs to pick. Reports msg/s and CPU-seconds per 1,000 messages for
// each side and the median of the per-round ratios. A cloud whose emulator cannot be had is skipped
// with the reason.

import { pubsubPeers } from './clouds/pubsub.mjs'
import { servicebusPeers } from './clouds/servicebus.mjs'
import { sqsPeers } from './clouds/sqs.mjs'

/** Per drain; moto answers a receive in tens of milliseconds, so SQS drains fewer unless told. */
const N_SET = process.env.BENCH_CLOUD_MESSAGES
const N_DEFAULT = { pubsub: 3_000, servicebus: 3_000, sqs: 600 }
let N = 3_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONCURRENCY = 16
const picked = (process.env.BENCH_CLOUDS ?? 'pubsub,servicebus,sqs').split(',')
const payload = { order: 12345, customer: 'c-000042', items: ['a', 'b', 'c'], note: 'x'.repeat(24) }

/** Runs `drain` once on a freshly filled queue: wall time and this process's CPU time, in seconds. */
async function measure(side, fill, count = N) {
  const target = await fill(count, payload)
  const cpu = process.cpuUsage()
  const started = process.hrtime.bigint()
  await side.drain(target, count, CONCURRENCY)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const used = process.cpuUsage(cpu)
  await target.cleanup?.()
  return { rate: count / seconds, cpuPer1000: ((used.user + used.system) / 1e6 / count) * 1000 }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

const summary = []
for (const peers of [pubsubPeers, servicebusPeers, sqsPeers].filter((p) => picked.includes(p.name))) {
  N = Number(N_SET ?? N_DEFAULT[peers.name])
  let opened
  try {
    opened = await peers.open()
  } catch (error) {
    console.log(`${peers.name}: skipped — ${error.message.split('\n')[0]}`)
    summary.push(`${peers.name.padEnd(11)} skipped: ${error.message.split('\n')[0]}`)
    continue
  }
  const { anyqueue, sdk } = opened
  const rounds = []
  try {
    // A warm-up drain each, unmeasured: connections, JIT.
    await measure(anyqueue, opened.fill, Math.min(N, 300))
    await measure(sdk, opened.fill, Math.min(N, 300))
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [anyqueue, sdk] : [sdk, anyqueue]
      const result = {}
      for (const side of order) result[side === anyqueue ? 'ours' : 'sdk'] = await measure(side, opened.fill)
      rounds.push(result)
      console.log(
        `${peers.name} round ${round + 1}: consume(16) ${fmt(result.ours.rate)}/s ${fmt(result.ours.cpuPer1000, 3)} CPU-s/1k | ${sdk.name} ${fmt(result.sdk.rate)}/s ${fmt(result.sdk.cpuPer1000, 3)} CPU-s/1k`,
      )
    }
  } finally {
    await opened.close()
  }
  const speed = median(rounds.map((r) => r.ours.rate / r.sdk.rate))
  const cpu = median(rounds.map((r) => r.ours.cpuPer1000 / r.sdk.cpuPer1000))
  summary.push(
    `${peers.name.padEnd(11)} consume(16) ${fmt(median(rounds.map((r) => r.ours.rate))).padStart(6)}/s ${fmt(median(rounds.map((r) => r.ours.cpuPer1000)), 3)} CPU-s/1k | ${sdk.name}: ${fmt(median(rounds.map((r) => r.sdk.rate))).padStart(6)}/s ${fmt(median(rounds.map((r) => r.sdk.cpuPer1000)), 3)} CPU-s/1k | speed ${fmt(speed, 2)}×, CPU per message ${fmt(cpu, 2)}× (medians of per-round ratios)`,
  )
}

console.log(
  [
    '',
    `clouds — consume(16) vs the SDK's best consumer, ${N_SET ? fmt(Number(N_SET)) : '3,000 (SQS: 600)'} messages per drain, ${ROUNDS} interleaved rounds, no-op handler`,
    ...summary,
  ].join('\n'),
)

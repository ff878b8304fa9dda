// pnpm bench:peers — the same workload on anyqueue local, BullMQ + Redis and pg-boss + PostgreSQL:
// 20,000 messages of ~90 bytes sent in batches of 10, drained by receive (up to 10) + ack, then
// sent again and drained by each system's own worker at concurrency 16. Redis and PostgreSQL are
// Debian's, started here on free loopback ports in temp dirs; a system whose server is not
// installed is skipped with the reason. Each system's durability setting is printed beside it.

import { anyqueueLocal } from './systems/anyqueue.mjs'
import { anyqueuePostgres } from './systems/anyqueue-postgres.mjs'
import { bullmq } from './systems/bullmq.mjs'
import { pgBoss } from './systems/pg-boss.mjs'

const N = Number(process.env.BENCH_MESSAGES ?? 20_000)
const CONCURRENCY = 16
// ~90 bytes as JSON.
const payload = { order: 12345, customer: 'c-000042', items: ['a', 'b', 'c'], note: 'x'.repeat(24) }

async function timed(work) {
  const started = process.hrtime.bigint()
  await work()
  return N / (Number(process.hrtime.bigint() - started) / 1e9)
}

const fmt = (n) => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'))
const rows = []
console.log(
  `payload ${Buffer.byteLength(JSON.stringify(payload))} bytes of JSON, ${N.toLocaleString('en-US')} messages`,
)
// BENCH_SYSTEMS=postgres runs only the two PostgreSQL systems (same binaries, same settings).
const only = process.env.BENCH_SYSTEMS === 'postgres'
for (const system of only ? [anyqueuePostgres, pgBoss] : [anyqueueLocal, anyqueuePostgres, bullmq, pgBoss]) {
  let opened
  try {
    opened = await system.open()
  } catch (error) {
    opened = { skipped: `failed to start: ${error.message}` }
  }
  if (opened.skipped) {
    console.log(`${system.name}: skipped — ${opened.skipped}`)
    rows.push({ name: system.name, durability: opened.skipped })
    continue
  }
  try {
    const send = await timed(() => opened.sendBatches(N, payload))
    const drain = await timed(() => opened.drain(N))
    await opened.sendBatches(N, payload)
    const worker = await timed(() => opened.work(N, CONCURRENCY))
    rows.push({ name: system.name, durability: opened.durability, send, drain, worker })
    console.log(`${system.name}: send ${fmt(send)}/s, receive+ack ${fmt(drain)}/s, worker ${fmt(worker)}/s`)
  } finally {
    await opened.close()
  }
}

console.log(
  [
    '',
    `peers — ${N.toLocaleString('en-US')} messages of ~90 B (messages/s, higher is better)`,
    `${'system'.padEnd(26)}${'send (batches of 10)'.padStart(22)}${'receive + ack'.padStart(16)}${`worker, conc. ${CONCURRENCY}`.padStart(20)}  durability`,
    ...rows.map(
      (r) =>
        `${r.name.padEnd(26)}${fmt(r.send).padStart(22)}${fmt(r.drain).padStart(16)}${fmt(r.worker).padStart(20)}  ${r.durability}`,
    ),
  ].join('\n'),
)

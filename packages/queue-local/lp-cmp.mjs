import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { QueueClient } from '@anyqueue/queue-core'
import { createLocalDriver } from './dist/index.js'
const payload = { order: 12345, items: ['a', 'b', 'c'], note: 'x'.repeat(60) }
const body = JSON.stringify(payload)
const entries = Array.from({ length: 10 }, () => ({ payload }))
const N = 50000
const measure = async (fn) => { const t = process.hrtime.bigint(); const c = process.cpuUsage(); await fn(); const cpu = process.cpuUsage(c); return { rate: Math.round(N / (Number(process.hrtime.bigint() - t) / 1e9)), cpu: +((cpu.user + cpu.system) / N).toFixed(2) } }
async function aq(mode) {
  const root = mkdtempSync(join(tmpdir(), 'lp-'))
  const driver = createLocalDriver({ location: root, createIfMissing: true, sync: false })
  const client = new QueueClient(driver); const q = client.queue('q')
  for (let b = 0; b < N / 10; b++) await q.sendBatch(entries)
  const r = await measure(async () => {
    if (mode === 'driver') for (let got = 0; got < N; ) { const m = await driver.receiveBatch('q', { maxMessages: 10, waitSeconds: 0 }); for (const x of m) JSON.parse(x.body); await driver.ackBatch('q', m.map((x) => x.receiptHandle)); got += m.length }
    else for (let got = 0; got < N; ) { const m = await q.receive({ maxMessages: 10, waitSeconds: 0 }); await q.ackBatch(m); got += m.length }
  })
  await client.close(); rmSync(root, { recursive: true, force: true }); return r
}
async function raw() {
  const root = mkdtempSync(join(tmpdir(), 'lp-'))
  const db = new Level(root); await db.open(); let seq = 0
  const k = () => `b!${(seq++).toString(16).padStart(13, '0')}`
  for (let b = 0; b < N / 10; b++) await db.batch(Array.from({ length: 10 }, () => ({ type: 'put', key: k(), value: body })))
  let cursor = 'b!'
  const r = await measure(async () => { for (let got = 0; got < N; ) { const e = await db.iterator({ gt: cursor, lt: 'b!~', limit: 10 }).all(); for (const [, v] of e) JSON.parse(v); await db.batch(e.map(([key]) => ({ type: 'del', key }))); cursor = e[e.length - 1][0]; got += e.length } })
  await db.close(); rmSync(root, { recursive: true, force: true }); return r
}
for (let i = 0; i < 3; i++) console.log('raw', JSON.stringify(await raw()), 'client', JSON.stringify(await aq('client')), 'driver', JSON.stringify(await aq('driver')))

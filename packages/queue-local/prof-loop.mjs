import { QueueClient } from '@anyqueue/queue-core'
import { createLocalDriver } from '/work/main/packages/queue-local/dist/index.js'
const N = 200000
const payload = { order: 12345, items: ['a', 'b', 'c'], note: 'x'.repeat(60) }
const ten = Array.from({ length: 10 }, () => ({ payload }))
const client = new QueueClient(createLocalDriver({ location: '/tmp/prof/db', createIfMissing: true, sync: false }))
const q = client.queue('q')
if (process.argv[2] === 'fill') { for (let b = 0; b < N / 10; b++) await q.sendBatch(ten) } else {
await q.receive({ maxMessages: 1, waitSeconds: 0 })
const t = performance.now()
for (let got = 0; got < N-1;) { const m = await q.receive({ maxMessages: 10, waitSeconds: 0 }); if (!m.length) break; await q.ackBatch(m); got += m.length }
console.log((N / (performance.now() - t) * 1000).toFixed(0), '/s') }
await client.close()

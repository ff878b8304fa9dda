import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { consume, QueueClient } from '@anyqueue/queue-core'
import { createLocalDriver } from '@anyqueue/queue-local'

export const anyqueueLocal = {
  name: 'anyqueue local (LevelDB)',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'anyqueue-peers-local-'))
    const client = new QueueClient(createLocalDriver({ location: dir }))
    await client.createQueue('peers')
    const queue = client.queue('peers')
    return {
      durability: 'sync: true (the default: every write fsynced before it resolves)',
      async sendBatches(n, payload) {
        const entries = Array.from({ length: 10 }, () => ({ payload }))
        for (let i = 0; i < n / 10; i++) await queue.sendBatch(entries)
      },
      async drain(n) {
        for (let got = 0; got < n; ) {
          const batch = await queue.receive({ maxMessages: 10, waitSeconds: 1 })
          await queue.ackBatch(batch)
          got += batch.length
        }
      },
      async work(n, concurrency) {
        let handled = 0
        let finish
        const finished = new Promise((resolve) => {
          finish = resolve
        })
        const consumer = consume(
          queue,
          () => {
            if (++handled === n) finish()
          },
          { concurrency, waitSeconds: 1 },
        )
        await finished
        await consumer.stop()
      },
      async close() {
        await client.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
}

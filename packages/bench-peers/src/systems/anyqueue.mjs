import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { consume, QueueClient } from '@anyqueue/queue-core'
import { createLocalDriver } from '@anyqueue/queue-local'
import { drainLoop, drainWith } from '../../../../scripts/bench-kit.mjs'

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
      drain: (n) => drainLoop(queue, n),
      work: (n, concurrency) => drainWith(consume, queue, n, concurrency),
      async close() {
        await client.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
}

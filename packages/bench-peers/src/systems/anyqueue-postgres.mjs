import { consume, QueueClient } from '@anyqueue/queue-core'
import { drainLoop, drainWith } from '../../../../scripts/bench-kit.mjs'
// By path, not as a dependency of this private package: it is built in the workspace, and pg
// resolves from queue-postgres's own node_modules.
import { createPostgresDriver } from '../../../queue-postgres/dist/index.js'
import { POSTGRES_DURABILITY, startPostgres, until } from '../servers.mjs'

export const anyqueuePostgres = {
  name: 'anyqueue postgres',
  async open() {
    const pg = await startPostgres()
    if (pg.skipped) return pg
    const connectionString = `postgres://postgres@127.0.0.1:${pg.port}/postgres`
    let client
    try {
      await until(
        async () => {
          const probe = new QueueClient(createPostgresDriver({ connectionString }))
          try {
            await probe.createQueue('peers')
            return true
          } finally {
            await probe.close()
          }
        },
        30_000,
        'PostgreSQL',
      )
      client = new QueueClient(createPostgresDriver({ connectionString, poolConfig: { max: 20 } }))
    } catch (error) {
      await pg.stop()
      throw error
    }
    const queue = client.queue('peers')
    return {
      durability: `PostgreSQL ${POSTGRES_DURABILITY}`,
      async sendBatches(n, payload) {
        const entries = Array.from({ length: 10 }, () => ({ payload }))
        for (let i = 0; i < n / 10; i++) await queue.sendBatch(entries)
      },
      drain: (n) => drainLoop(queue, n),
      work: (n, concurrency) => drainWith(consume, queue, n, concurrency),
      async close() {
        await client.close()
        await pg.stop()
      },
    }
  },
}

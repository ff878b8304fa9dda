import { PgBoss } from 'pg-boss'
import { POSTGRES_DURABILITY, startPostgres, until } from '../servers.mjs'

export const pgBoss = {
  name: 'pg-boss + PostgreSQL',
  async open() {
    const pg = await startPostgres()
    if (pg.skipped) return pg
    const connectionString = `postgres://postgres@127.0.0.1:${pg.port}/postgres`
    let boss
    try {
      await until(
        async () => {
          const probe = new PgBoss({ connectionString, supervise: false, schedule: false })
          probe.on('error', () => {})
          await probe.start()
          await probe.stop({ graceful: false })
          return true
        },
        30_000,
        'PostgreSQL',
      )
      boss = new PgBoss({ connectionString })
      boss.on('error', (error) => console.error('pg-boss:', error))
      await boss.start()
      await boss.createQueue('peers')
    } catch (error) {
      await pg.stop()
      throw error
    }
    const name = 'peers'
    return {
      durability: `PostgreSQL ${POSTGRES_DURABILITY}`,
      async sendBatches(n, payload) {
        const jobs = Array.from({ length: 10 }, () => ({ data: payload }))
        for (let i = 0; i < n / 10; i++) await boss.insert(name, jobs)
      },
      async drain(n) {
        for (let got = 0; got < n; ) {
          const jobs = await boss.fetch(name, { batchSize: 10 })
          if (jobs.length === 0) continue
          await boss.complete(
            name,
            jobs.map((j) => j.id),
          )
          got += jobs.length
        }
      },
      async work(n, concurrency) {
        let handled = 0
        let finish
        const finished = new Promise((resolve) => {
          finish = resolve
        })
        // One poller fetching `concurrency` jobs at a time, fetching again at once while batches come
        // back full (burstWhenBatchFull): pg-boss's fastest way to keep 16 jobs in hand. Without the
        // burst, or with 16 pollers of one job each, every fetch waits the polling interval (~32/s).
        const id = await boss.work(
          name,
          { batchSize: concurrency, pollingIntervalSeconds: 0.5, burstWhenBatchFull: true },
          async (jobs) => {
            handled += jobs.length
            if (handled >= n) finish()
          },
        )
        await finished
        await boss.offWork(name, { id })
      },
      async close() {
        await boss.stop({ graceful: false })
        await pg.stop()
      },
    }
  },
}

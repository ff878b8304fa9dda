import { randomUUID } from 'node:crypto'
import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { REDIS_DURABILITY, startRedis } from '../servers.mjs'

export const bullmq = {
  name: 'BullMQ + Redis',
  async open() {
    const redis = await startRedis()
    if (redis.skipped) return redis
    // BullMQ takes a client of its own making only under CommonJS: in ESM it is given one per role.
    const clients = []
    const connect = () => {
      const client = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null })
      clients.push(client)
      return client
    }
    const name = 'peers'
    let queue
    try {
      queue = new Queue(name, { connection: connect() })
      await queue.waitUntilReady()
    } catch (error) {
      for (const client of clients) client.disconnect()
      await redis.stop()
      throw error
    }
    // Completed jobs are removed, as a queue that only hands work over would.
    const jobOptions = { removeOnComplete: true, removeOnFail: true }
    return {
      durability: `Redis ${REDIS_DURABILITY}`,
      async sendBatches(n, payload) {
        const jobs = Array.from({ length: 10 }, () => ({ name: 'job', data: payload, opts: jobOptions }))
        for (let i = 0; i < n / 10; i++) await queue.addBulk(jobs)
      },
      async drain(n) {
        // BullMQ has no batch receive: the manual-processing API takes one job at a time.
        const worker = new Worker(name, null, { connection: connect(), autorun: false })
        const token = randomUUID()
        for (let got = 0; got < n; ) {
          const job = await worker.getNextJob(token, { block: false })
          if (!job) continue
          await job.moveToCompleted('ok', token, false)
          got++
        }
        await worker.close()
      },
      async work(n, concurrency) {
        let handled = 0
        let finish
        const finished = new Promise((resolve) => {
          finish = resolve
        })
        const worker = new Worker(
          name,
          async () => {
            if (++handled === n) finish()
          },
          { connection: connect(), concurrency },
        )
        await finished
        await worker.close()
      },
      async close() {
        await queue.close()
        for (const client of clients) client.disconnect()
        await redis.stop()
      },
    }
  },
}

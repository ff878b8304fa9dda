import { consume, QueueClient } from '@anyqueue/queue-core'
import { createMemoryDriver, ManualClock } from '@anyqueue/queue-memory'
import fc from 'fast-check'
import { afterEach, expect, test } from 'vitest'
import { collectQueueMetrics, createDashboard } from '../src/index.js'
import { serve } from './serve.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done()
})

/** The value of one sample line of a Prometheus exposition, or undefined when it is missing. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

test('the dashboard’s /metrics endpoint is scraped: queue gauges equal stats(), consumer counters count what happened', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const client = new QueueClient(createMemoryDriver({ clock, leaseSeconds: 30 }))
  cleanup.push(() => client.close())
  await client.createQueue('jobs')
  await client.createQueue('jobs-dlq')
  const dashboard = createDashboard(client)
  const server = await serve(dashboard)
  cleanup.push(server.close)
  const jobs = client.queue<string>('jobs')
  await jobs.sendBatch([{ payload: 'ok' }, { payload: 'ok' }, { payload: 'fail' }])
  const consumer = consume(
    jobs,
    async (m) => {
      if (m.payload === 'fail') throw new Error('no')
    },
    { maxAttempts: 1, waitSeconds: 0, onEvent: dashboard.metrics.consumerEvents('jobs') },
  )
  const dlq = client.queue('jobs-dlq')
  while ((await dlq.stats()).visible !== 1) await new Promise((r) => setTimeout(r, 10))
  await consumer.stop()
  await jobs.send('later', { delaySeconds: 60 })
  await clock.advance(5_000)
  await jobs.send('now')

  const response = await fetch(`${server.url}metrics`)
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  const stats = await jobs.stats()
  expect(sample(text, 'anyqueue_queue_visible_messages', 'queue="jobs"')).toBe(stats.visible)
  expect(sample(text, 'anyqueue_queue_in_flight_messages', 'queue="jobs"')).toBe(stats.inFlight)
  expect(sample(text, 'anyqueue_queue_delayed_messages', 'queue="jobs"')).toBe(1)
  expect(sample(text, 'anyqueue_queue_visible_messages', 'queue="jobs-dlq"')).toBe(1)
  expect(sample(text, 'anyqueue_queue_oldest_message_age_seconds', 'queue="jobs"')).toBe(
    stats.oldestAgeSeconds,
  )
  expect(sample(text, 'anyqueue_queue_stats_up', 'queue="jobs"')).toBe(1)
  expect(sample(text, 'anyqueue_consumer_received_total', 'queue="jobs"')).toBe(3)
  expect(sample(text, 'anyqueue_consumer_succeeded_total', 'queue="jobs"')).toBe(2)
  expect(sample(text, 'anyqueue_consumer_failed_total', 'queue="jobs"')).toBe(1)
  expect(sample(text, 'anyqueue_consumer_dead_lettered_total', 'queue="jobs"')).toBe(1)
  expect(
    sample(text, 'anyqueue_consumer_handler_duration_seconds_count', 'queue="jobs",outcome="succeeded"'),
  ).toBe(2)
  // A scrape is a look: nothing was received.
  expect(await jobs.stats()).toEqual(stats)
})

test('collectQueueMetrics for an app: names given, prefix and registry chosen, a missing queue reports up 0', async () => {
  const client = new QueueClient(createMemoryDriver())
  cleanup.push(() => client.close())
  await client.createQueue('a')
  const metrics = collectQueueMetrics(client, { queues: ['a', 'gone'], listQueues: false, prefix: 'app_' })
  await client.queue('a').send('x')
  const text = await metrics.metrics()
  expect(sample(text, 'app_queue_visible_messages', 'queue="a"')).toBe(1)
  expect(sample(text, 'app_queue_stats_up', 'queue="a"')).toBe(1)
  expect(sample(text, 'app_queue_stats_up', 'queue="gone"')).toBe(0)
  expect(sample(text, 'app_queue_visible_messages', 'queue="gone"')).toBeUndefined()
})

test('gauges follow stats() for any sequence of sends, receives, nacks and acks (seeded)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom('send', 'delayed', 'receive', 'nack', 'ack'), { maxLength: 30 }),
      async (steps) => {
        const client = new QueueClient(createMemoryDriver({ clock: new ManualClock(0) }))
        try {
          await client.createQueue('q')
          const q = client.queue<string>('q')
          const metrics = collectQueueMetrics(client)
          const held: Awaited<ReturnType<typeof q.receive>> = []
          for (const step of steps) {
            if (step === 'send') await q.send('m')
            if (step === 'delayed') await q.send('m', { delaySeconds: 30 })
            if (step === 'receive') held.push(...(await q.receive({ waitSeconds: 0 })))
            if (step === 'nack' && held.length > 0) await q.nack(held.pop()!)
            if (step === 'ack' && held.length > 0) await q.ack(held.pop()!)
          }
          const stats = await q.stats()
          const text = await metrics.metrics()
          expect(sample(text, 'anyqueue_queue_visible_messages', 'queue="q"')).toBe(stats.visible)
          expect(sample(text, 'anyqueue_queue_in_flight_messages', 'queue="q"')).toBe(stats.inFlight)
          expect(sample(text, 'anyqueue_queue_delayed_messages', 'queue="q"')).toBe(stats.delayed)
        } finally {
          await client.close()
        }
      },
    ),
    { seed: 22, numRuns: 50 },
  )
})

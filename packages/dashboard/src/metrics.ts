import type { ConsumerEvent, QueueClient } from '@anyqueue/queue-core'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { StatsReader, type TargetOptions, type TargetStats } from './targets.js'

/** Options of `collectQueueMetrics`: which queues to count, and where the metrics go. */
export interface QueueMetricsOptions extends TargetOptions {
  /** The registry to register in (e.g. prom-client's global `register`). Default: a new one. */
  registry?: Registry
  /** Prefix of every metric name. Default `anyqueue_`. */
  prefix?: string
  /** Handler duration histogram buckets, in seconds. Default prom-client's (5 ms to 10 s). */
  buckets?: number[]
}

/** A consumer's running totals for one queue, as the dashboard charts them. */
export interface ConsumerTotals {
  handled: number
  failed: number
  deadLettered: number
}

/** Prometheus metrics of queues (read at scrape time with `stats()`) and of the consumers observed. */
export interface QueueMetrics {
  readonly registry: Registry
  /**
   * An `onEvent` for `consume()` on `queue`: counts deliveries, successes, failures, retries and
   * dead-letterings, and times each handler run. Observes only; the consumer is unchanged.
   */
  consumerEvents(queue: string): (event: ConsumerEvent<any>) => void
  /** Totals per queue of the consumers observed so far. */
  consumerTotals(): ReadonlyMap<string, ConsumerTotals>
  /** The exposition text for a scrape; its content type is `registry.contentType`. */
  metrics(): Promise<string>
}

const QUEUE_GAUGES = [
  ['visible', 'queue_visible_messages', 'Messages a receive could take now.'],
  ['inFlight', 'queue_in_flight_messages', 'Messages under a lease (received, not yet acked).'],
  ['active', 'queue_active_messages', 'Visible and in-flight messages (all some backends count).'],
  ['delayed', 'queue_delayed_messages', 'Messages not due yet (delayed sends and nacks).'],
  ['deadLetters', 'queue_dead_letter_messages', "Messages in the backend's own dead-letter queue."],
  ['oldestAgeSeconds', 'queue_oldest_message_age_seconds', 'Age of the oldest message held.'],
] as const

/**
 * Prometheus metrics for an app: one gauge per count `stats()` gives (label `queue`; a subscription
 * is `topic/name`), read from the backend at scrape time — never by receiving — and consumer
 * counters and a handler-duration histogram fed by `consumerEvents(queue)` passed to `consume()`.
 */
export function collectQueueMetrics(client: QueueClient, options: QueueMetricsOptions = {}): QueueMetrics {
  return createQueueMetrics(new StatsReader(client, options), options)
}

/** As `collectQueueMetrics`, over a reader the dashboard shares. */
export function createQueueMetrics(reader: StatsReader, options: QueueMetricsOptions = {}): QueueMetrics {
  const registry = options.registry ?? new Registry()
  const prefix = options.prefix ?? 'anyqueue_'
  let scrape: Promise<TargetStats[]> | undefined
  // All gauges of one scrape share one read of every queue.
  const readOnce = () => {
    scrape ??= reader.read().finally(() => setImmediate(() => (scrape = undefined)))
    return scrape
  }
  for (const [field, name, help] of QUEUE_GAUGES) {
    new Gauge({
      name: prefix + name,
      help,
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        this.reset()
        for (const target of await readOnce()) {
          const value = target.stats?.[field]
          if (value !== undefined) this.set({ queue: target.key }, value)
        }
      },
    })
  }
  new Gauge({
    name: `${prefix}queue_stats_up`,
    help: '1 when the last stats() read of the queue succeeded, else 0.',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const target of await readOnce()) this.set({ queue: target.key }, target.stats ? 1 : 0)
    },
  })
  const counter = (name: string, help: string) =>
    new Counter({
      name: `${prefix}consumer_${name}_total`,
      help,
      labelNames: ['queue'],
      registers: [registry],
    })
  const received = counter('received', 'Messages a consumer received.')
  const succeeded = counter('succeeded', 'Handler runs that succeeded (the message was acked).')
  const failed = counter('failed', 'Handler runs that failed.')
  const retried = counter('retried', 'Failed messages released for another attempt.')
  const deadLettered = counter('dead_lettered', 'Messages a consumer moved to its dead-letter queue.')
  const duration = new Histogram({
    name: `${prefix}consumer_handler_duration_seconds`,
    help: 'How long each handler run took, by outcome.',
    labelNames: ['queue', 'outcome'],
    registers: [registry],
    ...(options.buckets && { buckets: options.buckets }),
  })
  const totals = new Map<string, ConsumerTotals>()
  return {
    registry,
    consumerEvents(queue) {
      const labels = { queue }
      const mine = totals.get(queue) ?? { handled: 0, failed: 0, deadLettered: 0 }
      totals.set(queue, mine)
      return (event) => {
        switch (event.type) {
          case 'received':
            received.inc(labels)
            break
          case 'succeeded':
            mine.handled++
            succeeded.inc(labels)
            duration.observe({ queue, outcome: 'succeeded' }, event.durationMs / 1000)
            break
          case 'failed':
            mine.handled++
            mine.failed++
            failed.inc(labels)
            duration.observe({ queue, outcome: 'failed' }, event.durationMs / 1000)
            break
          case 'retried':
            retried.inc(labels)
            break
          case 'dead-lettered':
            mine.deadLettered++
            deadLettered.inc(labels)
            break
        }
      }
    },
    consumerTotals: () => totals,
    metrics: () => registry.metrics(),
  }
}

import { isQueueError, type QueueClient, QueueError, type QueueStats } from '@anyqueue/queue-core'

/** A subscription to show: its topic and its name. */
export interface SubscriptionRef {
  topic: string
  name: string
}

/** Which queues and subscriptions a dashboard or the metrics look at. */
export interface TargetOptions {
  /** Queues to show beside those `driver.listQueues()` finds (all of them where it has none). */
  queues?: readonly string[]
  /** Subscriptions to show; no driver lists them. */
  subscriptions?: readonly SubscriptionRef[]
  /** Ask the driver for its queues (where it can list them). Default true. */
  listQueues?: boolean
}

/** One queue or subscription as the dashboard shows it; `key` is its name or `topic/subscription`. */
export interface TargetStats {
  key: string
  kind: 'queue' | 'subscription'
  /** The queue this one is the dead-letter queue of (by core's `<name>-dlq` convention). */
  deadLetterOf?: string
  stats?: QueueStats
  /** Why `stats` is missing: the driver cannot count (`NOT_SUPPORTED`), or the read failed. */
  error?: { code: string; message: string }
}

/** The dead-letter queue `consume()` uses by default for `queue`. */
export const deadLetterName = (queue: string): string => `${queue}-dlq`

/**
 * Reads every target's counts with `stats()` (never by receiving). Reads running at once are shared,
 * so a scrape and a page refresh arriving together cost the backend one read of each queue.
 */
export class StatsReader {
  readonly #client: QueueClient
  readonly #options: TargetOptions
  #pending: Promise<TargetStats[]> | undefined

  constructor(client: QueueClient, options: TargetOptions) {
    this.#client = client
    this.#options = options
  }

  read(): Promise<TargetStats[]> {
    this.#pending ??= this.#readAll().finally(() => {
      this.#pending = undefined
    })
    return this.#pending
  }

  /** The queue (or subscription) handle for a key the page sent; only a known target is accepted. */
  async resolve(key: string) {
    const keys = await this.#keys()
    const kind = keys.get(key)
    if (kind === undefined) {
      throw new QueueError('QUEUE_NOT_FOUND', `the dashboard shows no queue or subscription "${key}"`, {
        field: 'queue',
      })
    }
    if (kind === 'queue') return this.#client.queue(key)
    const [topic = '', name = ''] = key.split('/')
    return this.#client.subscription(topic, name)
  }

  async #keys(): Promise<Map<string, 'queue' | 'subscription'>> {
    const keys = new Map<string, 'queue' | 'subscription'>()
    const { queues = [], subscriptions = [], listQueues = true } = this.#options
    const listed = listQueues && this.#client.driver.listQueues ? await this.#client.driver.listQueues() : []
    for (const name of [...queues, ...listed].sort()) keys.set(name, 'queue')
    for (const s of subscriptions) keys.set(`${s.topic}/${s.name}`, 'subscription')
    return keys
  }

  async #readAll(): Promise<TargetStats[]> {
    const keys = await this.#keys()
    return Promise.all(
      [...keys].map(async ([key, kind]): Promise<TargetStats> => {
        const source = key.endsWith('-dlq') ? key.slice(0, -4) : undefined
        const entry: TargetStats = {
          key,
          kind,
          ...(source !== undefined && keys.has(source) && { deadLetterOf: source }),
        }
        try {
          return { ...entry, stats: await (await this.resolve(key)).stats() }
        } catch (error) {
          const code = isQueueError(error) ? error.code : 'UNKNOWN'
          return {
            ...entry,
            error: { code, message: error instanceof Error ? error.message : String(error) },
          }
        }
      }),
    )
  }
}

/** Messages a queue holds in all: visible and in flight (or active), and delayed. */
export function depthOf(stats: QueueStats | undefined): number | undefined {
  if (stats === undefined) return undefined
  const active = stats.active ?? (stats.visible ?? 0) + (stats.inFlight ?? 0)
  return active + (stats.delayed ?? 0)
}

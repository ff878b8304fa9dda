/**
 * Topic promises (the conformance README's "Topics" section), each broken once on top of the real local driver: the topic cases
 * must fail the one that states it. A suite that passes a broken driver proves nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runConformance, selectCases } from '@anyqueue/conformance'
import {
  type OutgoingMessage,
  parseSubscriptionAddress,
  type QueueDriver,
  type SubscriptionFilter,
  subscriptionAddress,
  type TopicDriver,
} from '@anyqueue/queue-core/driver'
import { afterAll, describe, expect, test } from 'vitest'
import { createLocalDriver, type LocalDriver } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-broken-topics-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** What a patch may replace: queue methods of the driver, topic methods of its `topics`. */
type Driver = Omit<QueueDriver, 'topics'> & TopicDriver
const topicCases = selectCases(['topics.'])
const TOPIC_METHODS: ReadonlySet<PropertyKey> = new Set<keyof TopicDriver>([
  'createTopic',
  'deleteTopic',
  'createSubscription',
  'deleteSubscription',
  'publishBatch',
])

/** `target` with the members of `overrides` that `owns` allows replaced; the rest bound to it. */
function patched<T extends object>(target: T, overrides: object, owns: (key: PropertyKey) => boolean): T {
  return new Proxy(target, {
    get(real, key) {
      if (key in overrides && owns(key)) return overrides[key as keyof typeof overrides]
      const value = Reflect.get(real, key, real)
      return typeof value === 'function' ? value.bind(real) : value
    },
  })
}

/** The local driver with some methods replaced; `real` is the driver underneath. */
function broken(name: string, patch: (real: LocalDriver) => Partial<Driver>) {
  return {
    name,
    topicLoadMessages: 300,
    open(store: string): QueueDriver {
      const real = createLocalDriver({ location: join(root, name, store), leaseSeconds: 2 })
      const overrides = patch(real)
      const topics = patched(real.topics, overrides, (key) => TOPIC_METHODS.has(key))
      return patched(real, { ...overrides, topics }, (key) => !TOPIC_METHODS.has(key))
    },
  }
}

/** Every queue method of `real`, with subscription addresses rewritten by `map`. */
function remapped(real: LocalDriver, map: (queue: string) => string): Partial<Driver> {
  return {
    receiveBatch: (q, r) => real.receiveBatch(map(q), r),
    ackBatch: (q, h) => real.ackBatch(map(q), h),
    nack: (q, h, d) => real.nack(map(q), h, d),
    renewLease: (q, h) => real.renewLease(map(q), h),
    sendBatch: (q, m) => real.sendBatch(map(q), m),
  }
}

const brokenDrivers: Array<{ driver: ReturnType<typeof broken>; mustFail: string }> = [
  {
    // The third subscription of a topic is a plain queue nobody publishes to.
    driver: broken('third-subscription-starves', (real) => {
      const counts = new Map<string, number>()
      return {
        async createSubscription(topic, subscription, filter) {
          const n = (counts.get(topic) ?? 0) + 1
          counts.set(topic, n)
          if (n >= 3) return real.createQueue(subscriptionAddress(topic, subscription))
          return real.topics.createSubscription(topic, subscription, filter)
        },
      }
    }),
    mustFail: 'topics.fan-out',
  },
  {
    // Every subscription of a topic reads one shared queue: one ack, one lease, one attempt count.
    driver: broken('subscriptions-share-a-queue', (real) => {
      const first = new Map<string, string>()
      const map = (queue: string) => {
        const address = parseSubscriptionAddress(queue)
        return address ? (first.get(address.topic) ?? queue) : queue
      }
      return {
        ...remapped(real, map),
        async createSubscription(topic, subscription, filter) {
          await real.topics.createSubscription(topic, subscription, filter)
          if (!first.has(topic)) first.set(topic, subscriptionAddress(topic, subscription))
        },
      }
    }),
    mustFail: 'topics.own-lease-and-ack',
  },
  {
    // A new subscription gets the topic's history.
    driver: broken('replays-history', (real) => {
      const history = new Map<string, OutgoingMessage[]>()
      return {
        async publishBatch(topic, messages) {
          history.set(topic, [...(history.get(topic) ?? []), ...messages])
          return real.topics.publishBatch(topic, messages)
        },
        async createSubscription(topic, subscription, filter) {
          await real.topics.createSubscription(topic, subscription, filter)
          const old = history.get(topic) ?? []
          if (old.length > 0) await real.sendBatch(subscriptionAddress(topic, subscription), old.slice(0, 10))
        },
      }
    }),
    mustFail: 'topics.none-before-subscription',
  },
  {
    driver: broken('ignores-filters', (real) => ({
      createSubscription: (topic, subscription) =>
        real.topics.createSubscription(topic, subscription, undefined),
    })),
    mustFail: 'topics.filter-equals',
  },
  {
    // SNS's naive `anything-but`: an absent attribute does not match `notEquals`.
    driver: broken('not-equals-needs-the-attribute', (real) => {
      const filters = new Map<string, SubscriptionFilter | undefined>()
      return {
        async createSubscription(topic, subscription, filter) {
          filters.set(subscriptionAddress(topic, subscription), filter)
          return real.topics.createSubscription(topic, subscription, filter)
        },
        async receiveBatch(queue, request) {
          const got = await real.receiveBatch(queue, request)
          const needed = Object.entries(filters.get(queue) ?? {})
            .filter(([, condition]) => 'notEquals' in condition)
            .map(([name]) => name)
          const dropped = got.filter((m) => needed.some((name) => !(name in m.attributes)))
          if (dropped.length > 0)
            await real.ackBatch(
              queue,
              dropped.map((m) => m.receiptHandle),
            )
          return got.filter((m) => !dropped.includes(m))
        },
      }
    }),
    mustFail: 'topics.filter-not-equals-absent',
  },
  {
    // Deleting one subscription deletes its siblings too.
    driver: broken('delete-takes-siblings', (real) => {
      const names = new Map<string, string[]>()
      return {
        async createSubscription(topic, subscription, filter) {
          names.set(topic, [...(names.get(topic) ?? []), subscription])
          return real.topics.createSubscription(topic, subscription, filter)
        },
        async deleteSubscription(topic) {
          for (const name of names.get(topic) ?? []) await real.topics.deleteSubscription(topic, name)
        },
      }
    }),
    mustFail: 'topics.delete-subscription',
  },
  {
    // Deleting a topic leaves its subscriptions, and their messages, behind.
    driver: broken('delete-topic-leaves-subscriptions', () => ({
      deleteTopic: async () => {},
    })),
    mustFail: 'topics.delete-topic',
  },
  {
    driver: broken('publish-drops-every-100th', (real) => {
      let published = 0
      return {
        async publishBatch(topic, messages) {
          const kept = messages.filter(() => ++published % 100 !== 0)
          const results = kept.length > 0 ? await real.topics.publishBatch(topic, kept) : []
          return messages.map((_, i) => results[i] ?? { id: `dropped-${i}` })
        },
      }
    }),
    mustFail: 'topics.load',
  },
  {
    // A publish to a missing topic creates it instead of failing.
    driver: broken('publish-creates-the-topic', (real) => ({
      async publishBatch(topic, messages) {
        await real.topics.createTopic(topic)
        return real.topics.publishBatch(topic, messages)
      },
    })),
    mustFail: 'topics.publish-validation',
  },
  {
    // A subscription's attempt count never grows: the consumer never gives up on a poison message.
    driver: broken('subscription-attempt-stuck', (real) => ({
      async receiveBatch(queue, request) {
        const got = await real.receiveBatch(queue, request)
        return parseSubscriptionAddress(queue) ? got.map((m) => ({ ...m, attempt: 1 })) : got
      },
    })),
    mustFail: 'topics.consumer-dead-letter',
  },
]

describe.concurrent('the topic cases catch broken topic drivers', () => {
  test('control: the wrapper alone passes every topic case', { timeout: 300_000 }, async () => {
    const results = await runConformance(
      broken('control', () => ({})),
      { cases: topicCases, concurrency: 8 },
    )
    expect(results.filter((r) => r.status === 'failed').map((r) => `${r.name}: ${r.reason}`)).toEqual([])
    expect(results.filter((r) => r.status === 'passed').length).toBe(topicCases.length)
  })

  for (const { driver, mustFail } of brokenDrivers) {
    test(driver.name, { timeout: 300_000 }, async () => {
      const results = await runConformance(driver, { cases: topicCases, concurrency: 8 })
      const failed = results.filter((r) => r.status === 'failed').map((r) => r.id)
      expect(failed).toContain(mustFail)
    })
  }
})

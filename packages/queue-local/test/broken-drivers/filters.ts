/**
 * Filter matching (issue 20): each the real local driver with subscriptions that match one
 * portable filter operator wrongly, as a driver's translation to its backend's filter language
 * would. The wrapped driver subscribes without the filter and drops (acks) on receive what the
 * broken matcher rejects.
 */
import {
  matchesFilter,
  parseSubscriptionAddress,
  type QueueDriver,
  type SubscriptionFilter,
  subscriptionAddress,
} from '@anyqueue/queue-core/driver'
import type { LocalDriver } from '../../src/index.js'
import { type BrokenDriver, entry } from './wrap.js'

type Matcher = (filter: SubscriptionFilter, attributes: Readonly<Record<string, string>>) => boolean

/** Subscriptions filtered by `matches` instead of the portable meaning. */
function filteredBy(real: LocalDriver, matches: Matcher): Partial<QueueDriver> {
  const filters = new Map<string, SubscriptionFilter>()
  const topics = real.topics
  return {
    topics: {
      createTopic: (topic) => topics.createTopic(topic),
      deleteTopic: (topic) => topics.deleteTopic(topic),
      deleteSubscription: (topic, subscription) => topics.deleteSubscription(topic, subscription),
      publishBatch: (topic, messages) => topics.publishBatch(topic, messages),
      async createSubscription(topic, subscription, filter) {
        if (filter) filters.set(subscriptionAddress(topic, subscription), filter)
        return topics.createSubscription(topic, subscription, undefined)
      },
    },
    async receiveBatch(queue, request) {
      const got = await real.receiveBatch(queue, request)
      const filter = parseSubscriptionAddress(queue) ? filters.get(queue) : undefined
      if (!filter) return got
      const dropped = got.filter((m) => !matches(filter, m.attributes))
      if (dropped.length > 0)
        await real.ackBatch(
          queue,
          dropped.map((m) => m.receiptHandle),
        )
      return got.filter((m) => !dropped.includes(m))
    },
  }
}

/** The portable meaning, with the condition on each attribute passed through `rewrite` first. */
const rewritten =
  (rewrite: (condition: SubscriptionFilter[string]) => SubscriptionFilter[string]): Matcher =>
  (filter, attributes) =>
    matchesFilter(
      Object.fromEntries(Object.entries(filter).map(([name, c]) => [name, rewrite(c)])),
      attributes,
    )

/** SQL LIKE without escaping: `_` is any one character, `%` any run. */
const like = (value: string, prefix: string) =>
  new RegExp(
    `^${prefix
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/_/g, '.')
      .replace(/%/g, '.*')}`,
  ).test(value)

export const filterDrivers: BrokenDriver[] = [
  // prefix translated to LIKE 'x%' without escaping the text: `a_` matches `ab…`, `a%` anything.
  entry('filter-prefix-as-unescaped-like', 'topics.filter-prefix-literal', (real) =>
    filteredBy(real, (filter, attributes) =>
      Object.entries(filter).every(([name, c]) => {
        const value = Object.hasOwn(attributes, name) ? attributes[name] : undefined
        if ('prefix' in c) return value !== undefined && like(value, c.prefix)
        return matchesFilter({ [name]: c }, attributes)
      }),
    ),
  ),
  // equals with one value translated to a prefix match (a LIKE without its `%` is… still LIKE).
  entry('filter-equals-one-value-by-prefix', 'topics.filter-exact-values', (real) =>
    filteredBy(
      real,
      rewritten((c) => ('equals' in c && c.equals.length === 1 ? { prefix: c.equals[0]! } : c)),
    ),
  ),
  // notEquals of a single value as SNS's plain anything-but: an absent attribute does not match.
  entry('filter-not-equals-one-value-needs-the-attribute', 'topics.filter-exact-values', (real) =>
    filteredBy(real, (filter, attributes) =>
      Object.entries(filter).every(([name, c]) =>
        'notEquals' in c && c.notEquals.length === 1 && !Object.hasOwn(attributes, name)
          ? false
          : matchesFilter({ [name]: c }, attributes),
      ),
    ),
  ),
  // exists: false read as "no value" through the prototype: `toString` always exists.
  entry('filter-exists-through-the-prototype', 'topics.filter-exact-values', (real) =>
    filteredBy(real, (filter, attributes) =>
      Object.entries(filter).every(([name, c]) =>
        'exists' in c ? name in attributes === c.exists : matchesFilter({ [name]: c }, attributes),
      ),
    ),
  ),
]

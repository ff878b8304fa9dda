import assert from 'node:assert/strict'
import type { FilterOperator, SubscriptionFilter } from '@anyqueue/queue-core'
import { type ConformanceCase, needs } from '../case.js'
import type { CaseContext } from '../context.js'
import { drain, expectNeverFor, expectQueueError } from '../helpers.js'
import { publishAll, SILENCE_MS, topicTimeout } from './topic-helpers.js'

/** The messages a filter case publishes: index → attributes. */
const FILTER_MESSAGES: ReadonlyArray<Record<string, string>> = [
  {},
  { color: 'red' },
  { color: 'green' },
  { color: 'blue' },
  { color: 'redish' },
  { color: 'red', size: 'L' },
  { size: 'L' },
  { color: 'green', size: 'S' },
]

/**
 * Publishes `FILTER_MESSAGES` to a topic with two subscriptions, one filtered and one not: once the
 * unfiltered one has every message, all were fanned out, and the filtered one must have exactly
 * the indexes `expected` — no more (a quiet window catches late ones), no fewer.
 */
async function expectFilter(ctx: CaseContext, filter: SubscriptionFilter, expected: readonly number[]) {
  const topic = await ctx.topic<number>()
  const filtered = await ctx.subscription<number>(topic, 'filtered', filter)
  const witness = await ctx.subscription<number>(topic, 'all')
  await publishAll(
    topic,
    FILTER_MESSAGES.map((attributes, i) => ({ payload: i, attributes })),
  )
  const all = await drain(witness, FILTER_MESSAGES.length, ctx.patience(20_000))
  assert.equal(all.length, FILTER_MESSAGES.length, 'the unfiltered subscription must get every message')
  const got = await drain(filtered, expected.length, ctx.patience(20_000))
  await expectNeverFor(
    filtered,
    SILENCE_MS,
    `filter ${JSON.stringify(filter)} delivered more than it matches`,
  )
  const indexes = got.map((m) => m.payload).sort((a, b) => a - b)
  assert.deepEqual(
    indexes,
    [...expected],
    `filter ${JSON.stringify(filter)} over ${JSON.stringify(FILTER_MESSAGES)}: delivered [${indexes}], expected [${expected}]`,
  )
}

/** Messages whose attribute values differ only in case, by a wildcard, or by a suffix. */
const EXACT_MESSAGES: ReadonlyArray<Record<string, string>> = [
  {},
  { code: 'ab' },
  { code: 'AB' },
  { code: 'abc' },
  { code: 'a_c' },
  { code: 'a%c' },
  { code: 'axc' },
  { code: 'Ab_' },
]

/**
 * `expectFilter` for several filters at once: one topic, one subscription per filter beside an
 * unfiltered witness, the messages published once.
 */
async function expectFilters(
  ctx: CaseContext,
  messages: ReadonlyArray<Record<string, string>>,
  filters: ReadonlyArray<{ filter: SubscriptionFilter; expected: readonly number[] }>,
) {
  const topic = await ctx.topic<number>()
  const subscriptions = await Promise.all(
    filters.map(({ filter }, i) => ctx.subscription<number>(topic, `filtered${i}`, filter)),
  )
  const witness = await ctx.subscription<number>(topic, 'all')
  await publishAll(
    topic,
    messages.map((attributes, i) => ({ payload: i, attributes })),
  )
  const all = await drain(witness, messages.length)
  assert.equal(all.length, messages.length, 'the unfiltered subscription must get every message')
  await Promise.all(
    filters.map(async ({ filter, expected }, i) => {
      const got = await drain(subscriptions[i]!, expected.length)
      await expectNeverFor(
        subscriptions[i]!,
        SILENCE_MS,
        `filter ${JSON.stringify(filter)} delivered more than it matches`,
      )
      const indexes = [...new Set(got.map((m) => m.payload))].sort((a, b) => a - b)
      assert.deepEqual(
        indexes,
        [...expected],
        `filter ${JSON.stringify(filter)} over ${JSON.stringify(messages)}: delivered [${indexes}], expected [${expected}]`,
      )
    }),
  )
}

const filterCase = (
  operator: FilterOperator,
  id: string,
  name: string,
  filter: SubscriptionFilter,
  expected: number[],
  more: FilterOperator[] = [],
): ConformanceCase => ({
  id: `topics.filter-${id}`,
  name: `topics: ${name}`,
  requires: [needs.topics, needs.filter(operator), ...more.map((o) => needs.filter(o))],
  timeoutMs: topicTimeout,
  run: (ctx) => expectFilter(ctx, filter, expected),
})

/** Each filter operator alone and combined, and an undeclared one refused: in suite order. */
export const operatorFilterCases: ConformanceCase[] = [
  filterCase(
    'equals',
    'equals',
    'filter equals: the attribute is present and one of the values',
    { color: { equals: ['red', 'blue'] } },
    [1, 3, 5],
  ),
  filterCase(
    'notEquals',
    'not-equals-absent',
    'filter notEquals: none of the values, and an absent attribute matches',
    { color: { notEquals: ['red', 'green'] } },
    [0, 3, 4, 6],
  ),
  filterCase(
    'exists',
    'exists',
    'filter exists: true means present, false means absent',
    { size: { exists: true }, color: { exists: false } },
    [6],
  ),
  filterCase(
    'prefix',
    'prefix',
    'filter prefix: the attribute is present and starts with the text',
    { color: { prefix: 'red' } },
    [1, 4, 5],
  ),
  filterCase(
    'equals',
    'and',
    'filter: conditions on several attributes all hold (AND)',
    { color: { equals: ['red', 'green'] }, size: { notEquals: ['S'] } },
    [1, 2, 5],
    ['notEquals'],
  ),
  {
    id: 'topics.filter-unsupported',
    name: 'topics: a filter operator the driver does not declare is NOT_SUPPORTED, never approximated',
    requires: [needs.topics],
    timeoutMs: topicTimeout,
    async run(ctx) {
      const topic = await ctx.topic()
      const declared = ctx.capabilities.topics ? ctx.capabilities.topics.filters : []
      const examples: Record<FilterOperator, SubscriptionFilter> = {
        equals: { a: { equals: ['x'] } },
        notEquals: { a: { notEquals: ['x'] } },
        exists: { a: { exists: true } },
        prefix: { a: { prefix: 'x' } },
      }
      for (const [operator, filter] of Object.entries(examples)) {
        if (declared.includes(operator as FilterOperator)) continue
        await expectQueueError(
          () => ctx.client.createSubscription(topic.name, ctx.uniqueName(), { filter }),
          'NOT_SUPPORTED',
          `a subscription filtered with the undeclared ${operator}`,
        )
      }
      await expectQueueError(
        () => ctx.client.createSubscription(topic.name, 'bad', { filter: { a: { below: 3 } } as never }),
        'INVALID_ARGUMENT',
        'a filter with an unknown operator',
      )
      await expectQueueError(
        () => ctx.client.createSubscription(topic.name, 'bad', { filter: { a: { equals: [] } } }),
        'INVALID_ARGUMENT',
        'a filter with an empty list of values',
      )
    },
  },
]

/** Filter values compared exactly, and a prefix taken literally: in suite order. */
export const exactFilterCases: ConformanceCase[] = [
  {
    id: 'topics.filter-exact-values',
    name: 'topics: filter values are compared exactly — case, a single value, an absent attribute, a name like toString',
    requires: [needs.topics, needs.filter('equals'), needs.filter('notEquals'), needs.filter('exists')],
    timeoutMs: topicTimeout,
    run: (ctx) =>
      expectFilters(ctx, EXACT_MESSAGES, [
        // One value is not a prefix, nor compared without case.
        { filter: { code: { equals: ['ab'] } }, expected: [1] },
        // notEquals with one value still matches an absent attribute.
        { filter: { code: { notEquals: ['ab'] } }, expected: [0, 2, 3, 4, 5, 6, 7] },
        // An attribute no message has, named like a property every object inherits.
        { filter: { toString: { exists: false } }, expected: [0, 1, 2, 3, 4, 5, 6, 7] },
      ]),
  },
  {
    id: 'topics.filter-prefix-literal',
    name: 'topics: a prefix filter matches its text literally — case-sensitive, no wildcards',
    requires: [needs.topics, needs.filter('prefix')],
    timeoutMs: topicTimeout,
    run: (ctx) =>
      expectFilters(ctx, EXACT_MESSAGES, [
        { filter: { code: { prefix: 'A' } }, expected: [2, 7] },
        // `_` and `%` are wildcards of SQL LIKE: a translation must escape them.
        { filter: { code: { prefix: 'a_' } }, expected: [4] },
        { filter: { code: { prefix: 'a%' } }, expected: [5] },
      ]),
  },
]

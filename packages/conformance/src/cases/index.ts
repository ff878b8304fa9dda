import type { ConformanceCase } from '../case.js'
import { ackCases } from './ack.js'
import { argumentCases } from './arguments.js'
import { batchCases } from './batch.js'
import { capabilityCases } from './capabilities.js'
import { consumerCases } from './consumer.js'
import { consumerFailureCases } from './consumer-failures.js'
import { consumerOptionCases } from './consumer-options.js'
import { deliveryCases } from './delivery.js'
import { foreignCases } from './foreign.js'
import { inspectCases } from './inspect.js'
import { leaseCases } from './lease.js'
import { lifecycleCases } from './lifecycle.js'
import { longPollCases } from './long-poll.js'
import { nackCases } from './nack.js'
import { payloadCases } from './payload.js'
import { propertyCases } from './properties.js'
import { retryCases } from './retry.js'
import { topicCases } from './topics.js'

/** The queue's own promises, one area per file. */
export const queueCases: ConformanceCase[] = [
  ...payloadCases,
  ...argumentCases,
  ...longPollCases,
  ...leaseCases,
  ...nackCases,
  ...ackCases,
  ...batchCases,
  ...deliveryCases,
  ...lifecycleCases,
  ...capabilityCases,
  ...retryCases,
  ...propertyCases,
  ...foreignCases,
  ...inspectCases,
]

/** The consumer's promises, built on the queue's. */
export const allConsumerCases: ConformanceCase[] = [
  ...consumerCases,
  ...consumerFailureCases,
  ...consumerOptionCases,
]

/** Every case. Topics (the README's "Topics" section) apply where a driver declares them. */
export const cases: ConformanceCase[] = [...queueCases, ...allConsumerCases, ...topicCases]

/**
 * The cases the filters select, in suite order; no filter: every case. Each filter selects by the
 * most precise of these rules that matches any case, so a word that names an area never also picks
 * cases whose names merely contain it (`ack` is in "back" and "nack"):
 * 1. a whole id (`ack.twice`) selects that case;
 * 2. an area (`ack`, or `ack.`) selects the cases whose ids start with `ack.`;
 * 3. the start of an id (`ack.stale`) selects the cases whose ids start so;
 * 4. otherwise, text in the name (`redrive`) selects the cases whose promise mentions it.
 * An empty filter selects nothing.
 */
export function selectCases(
  filters: readonly string[],
  from: readonly ConformanceCase[] = cases,
): ConformanceCase[] {
  if (filters.length === 0) return [...from]
  const matches = filters.map((filter) => filterRule(filter, from))
  return from.filter((c) => matches.some((match) => match(c)))
}

type CaseMatch = (c: ConformanceCase) => boolean

/** The first of `selectCases`' rules that `filter` matches a case by; none: a rule matching nothing. */
function filterRule(filter: string, from: readonly ConformanceCase[]): CaseMatch {
  if (filter === '') return () => false
  const area = filter.endsWith('.') ? filter : `${filter}.`
  const rules: CaseMatch[] = [
    (c) => c.id === filter,
    (c) => c.id.startsWith(area),
    (c) => c.id.startsWith(filter),
    (c) => c.name.includes(filter),
  ]
  return rules.find((rule) => from.some(rule)) ?? (() => false)
}

const ids = new Set<string>()
for (const c of cases) {
  if (ids.has(c.id)) throw new Error(`two conformance cases share the id ${c.id}`)
  ids.add(c.id)
}

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
]

/** The consumer's promises, built on the queue's. */
export const allConsumerCases: ConformanceCase[] = [
  ...consumerCases,
  ...consumerFailureCases,
  ...consumerOptionCases,
]

/** Every case. Topics (DESIGN.md §5) apply where a driver declares them. */
export const cases: ConformanceCase[] = [...queueCases, ...allConsumerCases, ...topicCases]

/**
 * The cases any filter selects: a whole id selects that case alone; otherwise the start of ids (`ack`,
 * `ack.stale`) or text in the name. No filter: every case.
 */
export function selectCases(
  filters: readonly string[],
  from: readonly ConformanceCase[] = cases,
): ConformanceCase[] {
  if (filters.length === 0) return [...from]
  const exact = new Set(filters.filter((f) => from.some((c) => c.id === f)))
  return from.filter((c) =>
    filters.some((f) => (exact.has(f) ? c.id === f : c.id.startsWith(f) || c.name.includes(f))),
  )
}

const ids = new Set<string>()
for (const c of cases) {
  if (ids.has(c.id)) throw new Error(`two conformance cases share the id ${c.id}`)
  ids.add(c.id)
}

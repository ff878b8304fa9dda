import { QUEUE_NAME_PATTERN, QueueError } from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'
import { caseSafeName } from './servicebus-names.js'
import type { ServiceBusQueueAdmin } from './servicebus-options.js'

/**
 * The portable name of a queue entity, or undefined when no portable name maps to it. Reverses
 * `prefix + caseSafeName(name)`: the prefix is matched ignoring case (as Service Bus compares
 * names), a `<lower>.<hex mask>` name gets its capitals back, and the result must map to this very
 * entity again, so a foreign name that only looks like ours (`jobs.0`, `jobs.ff`) is left out. A
 * name without a mask is taken in lower case: that is the portable name that reaches the entity.
 */
export function portableQueueName(entity: string, prefix: string): string | undefined {
  if (entity.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return undefined
  const mapped = entity.slice(prefix.length).toLowerCase()
  const dot = mapped.indexOf('.')
  if (dot < 0) return QUEUE_NAME_PATTERN.test(mapped) ? mapped : undefined
  const lower = mapped.slice(0, dot)
  const hex = mapped.slice(dot + 1)
  if (!/^[0-9a-f]{1,16}$/.test(hex) || !QUEUE_NAME_PATTERN.test(lower)) return undefined
  const mask = BigInt(`0x${hex}`)
  const name = [...lower].map((c, i) => ((mask >> BigInt(i)) & 1n ? c.toUpperCase() : c)).join('')
  return caseSafeName(name) === mapped ? name : undefined
}

/** The portable names of the namespace's queues under `prefix`, sorted (subscriptions are not queues). */
export async function listServiceBusQueues(admin: ServiceBusQueueAdmin, prefix: string): Promise<string[]> {
  if (!admin.listQueues) {
    throw new QueueError(
      'NOT_SUPPORTED',
      'listQueues needs an admin that lists queues (ServiceBusAdministrationClient does)',
      { field: 'admin', driver: DRIVER_NAME },
    )
  }
  const names: string[] = []
  for await (const { name } of admin.listQueues()) {
    const portable = portableQueueName(name, prefix)
    if (portable !== undefined) names.push(portable)
  }
  return names.sort()
}

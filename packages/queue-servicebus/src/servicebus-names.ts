import { parseSubscriptionAddress } from '@anyqueue/queue-core/driver'

/**
 * The entity name for a portable name: the prefix, then the name — unchanged when it has no capital
 * letter. Service Bus compares entity names case-insensitively, so `Jobs` and `jobs` would be one
 * queue: a name with capitals becomes its lower case, a `.` (never in a portable name) and a hex
 * mask of where the capitals were (`Jobs` → `jobs.1`). Distinct portable names stay distinct. A
 * subscription (`topic/subscription`) is the entity path `<topic entity>/Subscriptions/<name>`.
 */
export function entityName(prefix: string, queue: string): string {
  const address = parseSubscriptionAddress(queue)
  if (address)
    return `${topicEntity(prefix, address.topic)}/Subscriptions/${caseSafeName(address.subscription)}`
  return prefix + caseSafeName(queue)
}

/** A topic's entity name: mapped like a queue's. */
export function topicEntity(prefix: string, topic: string): string {
  return prefix + caseSafeName(topic)
}

/** `name` unchanged without capitals, else lower case, `.`, and a hex mask of the capitals' positions. */
export function caseSafeName(name: string): string {
  if (!/[A-Z]/.test(name)) return name
  let mask = 0n
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c >= 65 && c <= 90) mask |= 1n << BigInt(i)
  }
  return `${name.toLowerCase()}.${mask.toString(16)}`
}

import { type AttributeCondition, QueueError, type SubscriptionFilter } from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'

/** Pub/Sub takes filter expressions of at most 256 bytes. */
export const MAX_FILTER_BYTES = 256

/**
 * A portable filter as a Pub/Sub filter expression. Pub/Sub's `!=` already lets an absent attribute
 * match, which is the portable `notEquals`; `equals` and `prefix` need the attribute present, as
 * `=` and `hasPrefix` do. Keys are quoted, so `-` in a name is safe.
 */
export function filterExpression(filter: SubscriptionFilter | undefined): string | undefined {
  const entries = Object.entries(filter ?? {})
  if (entries.length === 0) return undefined
  const expression = entries.map(([name, condition]) => term(name, condition)).join(' AND ')
  const bytes = Buffer.byteLength(expression)
  if (bytes > MAX_FILTER_BYTES) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `filter is ${bytes} bytes as a Pub/Sub filter expression; the limit is ${MAX_FILTER_BYTES}`,
      { field: 'filter', limit: MAX_FILTER_BYTES, driver: DRIVER_NAME },
    )
  }
  return expression
}

function term(name: string, condition: AttributeCondition): string {
  const key = `attributes.${quote(name)}`
  if ('equals' in condition) {
    const any = condition.equals.map((v) => `${key} = ${quote(v)}`)
    return any.length === 1 ? any[0]! : `(${any.join(' OR ')})`
  }
  if ('notEquals' in condition) {
    const none = condition.notEquals.map((v) => `${key} != ${quote(v)}`)
    return none.length === 1 ? none[0]! : `(${none.join(' AND ')})`
  }
  if ('exists' in condition) {
    return condition.exists ? `attributes:${quote(name)}` : `NOT attributes:${quote(name)}`
  }
  return `hasPrefix(${key}, ${quote(condition.prefix)})`
}

function quote(text: string): string {
  return JSON.stringify(text)
}

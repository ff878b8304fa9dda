import type { AttributeCondition, SubscriptionFilter } from '@anyqueue/queue-core/driver'
import { SUBSCRIPTION_PROPERTY } from './constants.js'

/** The name of the one rule the driver gives each subscription it creates. */
export const RULE_NAME = 'anyqueue'

/**
 * A subscription's SQL rule: messages published to the topic (no `content-subscription` property)
 * that match the portable filter, or a message addressed to this subscription alone (a delayed
 * nack's copy, a redrive), which the driver sends through the topic with that property set.
 */
export function subscriptionRule(subscription: string, filter: SubscriptionFilter | undefined): string {
  const own = property(SUBSCRIPTION_PROPERTY)
  const conditions = Object.entries(filter ?? {}).map(([name, condition]) => sqlCondition(name, condition))
  const matches = conditions.length === 0 ? '1=1' : conditions.join(' AND ')
  return `(NOT EXISTS(${own}) AND ${matches}) OR ${own} = ${literal(subscription)}`
}

/**
 * The portable meaning in Service Bus SQL. SQL compares a missing property as unknown (false), so
 * `notEquals` adds `NOT EXISTS` to let an absent attribute match; `prefix` is `LIKE` with `%`, `_`,
 * `[` and the escape character escaped.
 */
function sqlCondition(name: string, condition: AttributeCondition): string {
  const p = property(name)
  if ('equals' in condition) return `${p} IN (${condition.equals.map(literal).join(', ')})`
  if ('notEquals' in condition) {
    return `(NOT EXISTS(${p}) OR ${p} NOT IN (${condition.notEquals.map(literal).join(', ')}))`
  }
  if ('exists' in condition) return condition.exists ? `EXISTS(${p})` : `NOT EXISTS(${p})`
  const escaped = condition.prefix.replace(/[!%_[]/g, (c) => `!${c}`)
  return `${p} LIKE ${literal(`${escaped}%`)} ESCAPE '!'`
}

/** Attribute names are letters, digits, `_` and `-`: bracketed, they are always one identifier. */
function property(name: string): string {
  return `user.[${name}]`
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

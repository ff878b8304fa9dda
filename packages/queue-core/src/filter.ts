import { describeArgument } from './arguments.js'
import type { AttributeCondition, FilterOperator, SubscriptionFilter } from './contract.js'
import { QueueError } from './errors.js'
import { ATTRIBUTE_NAME_PATTERN, LIMITS } from './limits.js'

export type { AttributeCondition, FilterOperator, SubscriptionFilter }

/** The portable filter operators (the conformance README's "Topics" section): what every backend with topics expresses natively. */
export const FILTER_OPERATORS = [
  'equals',
  'notEquals',
  'exists',
  'prefix',
] as const satisfies readonly FilterOperator[]
/** Most attributes one filter names, and most values one `equals`/`notEquals` lists. */
export const FILTER_LIMITS = Object.freeze({ maxAttributes: LIMITS.maxAttributes, maxValues: 10 })

/** The operator of a validated condition. */
export function operatorOf(condition: AttributeCondition): FilterOperator {
  return Object.keys(condition)[0] as FilterOperator
}

/** The portable meaning of a filter: does a message with these attributes match it? */
export function matchesFilter(
  filter: SubscriptionFilter | undefined,
  attributes: Readonly<Record<string, string>>,
): boolean {
  if (filter === undefined) return true
  for (const [name, condition] of Object.entries(filter)) {
    const value = Object.hasOwn(attributes, name) ? attributes[name] : undefined
    if ('equals' in condition) {
      if (value === undefined || !condition.equals.includes(value)) return false
    } else if ('notEquals' in condition) {
      if (value !== undefined && condition.notEquals.includes(value)) return false
    } else if ('exists' in condition) {
      if ((value !== undefined) !== condition.exists) return false
    } else if (value === undefined || !value.startsWith(condition.prefix)) {
      return false
    }
  }
  return true
}

/**
 * Checks a filter given by a caller and copies it, operators frozen in a canonical shape.
 * `INVALID_ARGUMENT` names the field and the limit; an operator the driver cannot express is
 * `NOT_SUPPORTED` (never approximated).
 */
export function checkFilter(
  value: unknown,
  supported: readonly FilterOperator[],
  driver: string,
  field = 'filter',
): SubscriptionFilter | undefined {
  if (value === undefined) return undefined
  const invalid = (message: string, extra: { field?: string; limit?: number } = {}) =>
    new QueueError('INVALID_ARGUMENT', message, { field, ...extra })
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${field} must be an object of attribute conditions, got ${describeArgument(value)}`)
  }
  let names: string[]
  try {
    names = Object.keys(value)
  } catch (error) {
    throw new QueueError('INVALID_ARGUMENT', `${field} could not be read`, { field, cause: error })
  }
  if (names.length > FILTER_LIMITS.maxAttributes) {
    throw invalid(`${field} names ${names.length} attributes; the limit is ${FILTER_LIMITS.maxAttributes}`, {
      limit: FILTER_LIMITS.maxAttributes,
    })
  }
  const copy: Record<string, AttributeCondition> = {}
  for (const name of names) {
    const at = `${field}.${name}`
    if (!ATTRIBUTE_NAME_PATTERN.test(name)) {
      throw invalid(`${at}: ${JSON.stringify(name)} is not a valid attribute name`, { field: at })
    }
    let condition: unknown
    let keys: string[]
    try {
      condition = (value as Record<string, unknown>)[name]
      keys = typeof condition === 'object' && condition !== null ? Object.keys(condition) : []
    } catch (error) {
      throw new QueueError('INVALID_ARGUMENT', `${at} could not be read`, { field: at, cause: error })
    }
    if (keys.length !== 1 || !(FILTER_OPERATORS as readonly string[]).includes(keys[0]!)) {
      throw invalid(`${at} must be an object with exactly one of ${FILTER_OPERATORS.join(', ')}`, {
        field: at,
      })
    }
    const operator = keys[0] as FilterOperator
    const operand = (condition as Record<string, unknown>)[operator]
    const of = `${at}.${operator}`
    if (operator === 'exists') {
      if (typeof operand !== 'boolean') throw invalid(`${of} must be true or false`, { field: of })
      copy[name] = { exists: operand }
    } else if (operator === 'prefix') {
      copy[name] = { prefix: checkValue(operand, of) }
    } else {
      if (!Array.isArray(operand) || operand.length === 0 || operand.length > FILTER_LIMITS.maxValues) {
        throw invalid(`${of} must be a list of 1 to ${FILTER_LIMITS.maxValues} values`, {
          field: of,
          limit: FILTER_LIMITS.maxValues,
        })
      }
      const values = Object.freeze(operand.map((v, i) => checkValue(v, `${of}[${i}]`)))
      copy[name] = operator === 'equals' ? { equals: values } : { notEquals: values }
    }
    if (!supported.includes(operator)) {
      throw new QueueError('NOT_SUPPORTED', `${of}: the ${driver} driver cannot filter with ${operator}`, {
        field: of,
        driver,
      })
    }
  }
  return Object.freeze(copy)
}

function checkValue(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value.isWellFormed()) {
    throw new QueueError('INVALID_ARGUMENT', `${field} must be a well-formed string`, { field })
  }
  const bytes = Buffer.byteLength(value)
  if (bytes === 0 || bytes > LIMITS.maxAttributeValueBytes) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `${field} is ${bytes} bytes; values are 1 to ${LIMITS.maxAttributeValueBytes} bytes (UTF-8)`,
      { field, limit: LIMITS.maxAttributeValueBytes },
    )
  }
  return value
}

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
 * Checks a filter given by a caller and copies it, operators frozen in a canonical shape. Every part
 * is read once, into the copy: a getter or Proxy that answers differently on a second read changes
 * nothing, and one that throws is `INVALID_ARGUMENT` (the error as its `cause`), never the raw error.
 * `INVALID_ARGUMENT` names the field and the limit; a list with holes is refused; an operator the
 * driver cannot express is `NOT_SUPPORTED` (never approximated).
 */
export function checkFilter(
  value: unknown,
  supported: readonly FilterOperator[],
  driver: string,
  field = 'filter',
): SubscriptionFilter | undefined {
  try {
    return copyFilter(value, supported, driver, field)
  } catch (error) {
    if (error instanceof QueueError) throw error
    throw new QueueError('INVALID_ARGUMENT', `${field} could not be read: ${describeError(error)}`, {
      field,
      cause: error,
    })
  }
}

function describeError(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error)
  } catch {
    return 'a value that cannot be shown'
  }
}

function copyFilter(
  value: unknown,
  supported: readonly FilterOperator[],
  driver: string,
  field: string,
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
      const values = Object.freeze(readList(operand, of).map((v, i) => checkValue(v, `${of}[${i}]`)))
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

/** The items of a caller's list, each read once; a hole (`[, 'x']`) is refused, not read as undefined. */
function readList(operand: unknown, field: string): unknown[] {
  const length = Array.isArray(operand) ? operand.length : 0
  if (length === 0 || length > FILTER_LIMITS.maxValues) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `${field} must be a list of 1 to ${FILTER_LIMITS.maxValues} values`,
      {
        field,
        limit: FILTER_LIMITS.maxValues,
      },
    )
  }
  const list = operand as readonly unknown[]
  const items: unknown[] = []
  for (let i = 0; i < length; i++) {
    if (!Object.hasOwn(list, i)) {
      throw new QueueError('INVALID_ARGUMENT', `${field}[${i}] is missing: lists must not have holes`, {
        field: `${field}[${i}]`,
      })
    }
    items.push(list[i])
  }
  return items
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

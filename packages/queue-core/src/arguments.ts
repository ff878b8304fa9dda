import { QueueError } from './errors.js'

/**
 * Reads the named fields of an options argument once, into a plain object. `undefined` means every
 * default. Anything that is not an object (`null`, a string, an array), a field whose getter or
 * Proxy trap throws, or (for options, `unknown: 'reject'`) a field that is not one of `keys` — a
 * typo such as `maxAtempts` would otherwise be dropped without a word — is `INVALID_ARGUMENT` naming
 * it, never a TypeError from reading a property, nor the caller's own error passed through. Later
 * checks see this copy, so a getter cannot answer one thing to the check and another to the call.
 * Message entries pass `unknown: 'ignore'`: a received message may be sent on as it is.
 */
export function readOptions<K extends string>(
  value: unknown,
  field: string,
  keys: readonly K[],
  required = false,
  unknown: 'reject' | 'ignore' = 'reject',
): Partial<Record<K, unknown>> {
  if (value === undefined && !required) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new QueueError('INVALID_ARGUMENT', `${field} must be an object, got ${describeArgument(value)}`, {
      field,
    })
  }
  const copy: Partial<Record<K, unknown>> = {}
  for (const key of keys) {
    try {
      copy[key] = (value as Record<K, unknown>)[key]
    } catch (error) {
      throw new QueueError('INVALID_ARGUMENT', `${field}.${key} could not be read`, {
        field: `${field}.${key}`,
        cause: error,
      })
    }
  }
  if (unknown === 'reject') rejectUnknownKeys(value, field, keys)
  return copy
}

/** `INVALID_ARGUMENT` for the first own key of `value` that is not one of `keys`, listing them. */
function rejectUnknownKeys(value: object, field: string, keys: readonly string[]): void {
  let own: string[]
  try {
    own = Object.keys(value)
  } catch (error) {
    throw new QueueError('INVALID_ARGUMENT', `${field} could not be read`, { field, cause: error })
  }
  for (const key of own) {
    if (!keys.includes(key)) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `${field}.${key} is not an option here; the options are ${keys.join(', ')}`,
        { field: `${field}.${key}` },
      )
    }
  }
}

/** A short rendering of a bad argument for an error message; never throws. */
export function describeArgument(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
    case 'object':
      return 'an object'
    case 'function':
      return 'a function'
    case 'symbol':
      return 'a symbol'
    case 'bigint':
      return `${value}n`
    default:
      return String(value)
  }
}

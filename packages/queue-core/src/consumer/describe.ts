/**
 * A readable one-line description of anything a handler may throw — an Error, `null`, a string, a
 * Symbol, a null-prototype object, a Proxy whose every trap throws — that never throws itself.
 * Dead-letter reasons are built from it: a reason that cannot be built would leave a poisoned
 * message coming back forever.
 */
export function describeThrown(value: unknown): string {
  try {
    if (value instanceof Error) {
      const name = safeString(() => value.name) || 'Error'
      const message = safeString(() => value.message)
      return message ? `${name}: ${message}` : name
    }
    switch (typeof value) {
      case 'string':
        return value
      case 'symbol':
        return value.toString()
      case 'undefined':
        return 'undefined'
      case 'object':
        if (value === null) return 'null'
        return describeObject(value)
      case 'function':
        return `a function ${safeString(() => value.name) || '(anonymous)'}`
      default:
        return String(value)
    }
  } catch {
    return 'an unprintable value'
  }
}

function describeObject(value: object): string {
  const message = safeString(() => (value as { message?: unknown }).message)
  if (message) return message
  const json = safeString(() => JSON.stringify(value))
  if (json && json !== '{}') return json
  return safeString(() => Object.prototype.toString.call(value)) || 'an object'
}

/** `read()` as a string when it is one, else '' — whatever `read` throws. */
function safeString(read: () => unknown): string {
  try {
    const value = read()
    return typeof value === 'string' ? value : ''
  } catch {
    return ''
  }
}

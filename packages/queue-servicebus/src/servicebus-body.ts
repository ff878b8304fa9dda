import { CONTENT_TYPE_JSON } from '@anyqueue/queue-core/driver'

/** What a received Service Bus body becomes (see the README's mapping). */
export interface MappedBody {
  body: string | Uint8Array
  /** Overrides the message's content type: a value section holding a JSON value is JSON. */
  contentType?: string
  /** Set when the body cannot be handed up faithfully; `body` is then its tagged JSON rendering. */
  undecodable?: string
}

/**
 * A data section (what anyqueue and most producers send) is its bytes, unparsed. A value or sequence
 * section — the AMQP-typed bodies of the SDKs' `bodyType: 'value'` — is text when it holds a
 * string, and JSON text when it holds anything JSON can hold exactly (objects, arrays, finite
 * numbers, booleans, null). Anything else (a timestamp, binary, a described type …) is
 * undecodable: its reason names the first such value, and its raw body is the value rendered as
 * JSON with those values tagged (`{"$date": ISO}`, `{"$binary": base64}`, …).
 */
export function mapBody(body: unknown, bodyType: string | undefined): MappedBody {
  if (body === undefined) return { body: '' }
  if (bodyType === 'data' || bodyType === undefined) {
    if (body instanceof Uint8Array) return { body }
  }
  if (typeof body === 'string' && bodyType === 'value') return { body }
  const why = notJson(body, bodyType === 'sequence' ? 'the sequence section' : 'the value section')
  if (why === undefined) return { body: JSON.stringify(body), contentType: CONTENT_TYPE_JSON }
  return { body: JSON.stringify(tagged(body)), undecodable: why }
}

/** Why `value` is not exactly representable as JSON, or undefined when it is. */
function notJson(value: unknown, path: string, depth = 0): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined
    case 'number':
      return Number.isFinite(value) ? undefined : `holds ${value} at ${path}, which JSON cannot hold`
    case 'object': {
      if (value === null) return undefined
      if (depth > 64) return `nests deeper than 64 levels at ${path}`
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const why = notJson(value[i], `${path}[${i}]`, depth + 1)
          if (why !== undefined) return why
        }
        return undefined
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) {
        return `holds ${kind(value)} at ${path}, which JSON cannot hold`
      }
      for (const [key, inner] of Object.entries(value)) {
        const why = notJson(inner, `${path}.${key}`, depth + 1)
        if (why !== undefined) return why
      }
      return undefined
    }
    default:
      return `holds a ${typeof value} at ${path}, which JSON cannot hold`
  }
}

function kind(value: object): string {
  if (value instanceof Date) return 'a Date (an AMQP timestamp)'
  if (value instanceof Uint8Array) return 'binary (AMQP binary or uuid)'
  const name = (value as { constructor?: { name?: string } }).constructor?.name
  return name ? `a ${name}` : 'an object of no plain type'
}

/** A JSON rendering that keeps what JSON cannot hold recognisable, for `rawBody`. */
function tagged(value: unknown): unknown {
  if (value instanceof Date) return { $date: Number.isNaN(value.getTime()) ? null : value.toISOString() }
  if (value instanceof Uint8Array) return { $binary: Buffer.from(value).toString('base64') }
  if (typeof value === 'bigint') return { $bigint: value.toString() }
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) }
  if (value === undefined) return { $undefined: true }
  if (typeof value === 'symbol' || typeof value === 'function') return { $unsupported: String(value) }
  if (Array.isArray(value)) return value.map(tagged)
  if (typeof value === 'object' && value !== null) {
    const proto = Object.getPrototypeOf(value)
    const entries = Object.entries(value).map(([k, v]) => [k, tagged(v)])
    const object = Object.fromEntries(entries)
    return proto === Object.prototype || proto === null ? object : { $type: kind(value), value: object }
  }
  return value
}

/**
 * Application properties are AMQP-typed; attributes are strings. The rule: strings as they are,
 * numbers and bigints in decimal, booleans as `true`/`false`, timestamps as ISO 8601, binary as
 * base64, null as the empty string (anyqueue never sends an empty value, so it stays recognisable).
 */
export function propertyString(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (typeof value === 'object') return JSON.stringify(tagged(value))
  return String(value)
}
